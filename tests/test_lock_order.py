"""One lock order (issue 16, finding 3): each pair of services that lock more than one row, run
at the same moment on PostgreSQL, never deadlocks.

Revoke and pause used to deadlock in 4 tries of 8: revoke locked the clearance (and, through a
`select_related`, the patient), then the plan; pause locked the plan and the patient together.
The order is written in the docstring of `plans.services`. Each test runs its pair 20 times, each
time on fresh rows, two threads with their own connections released by a barrier, and checks
that no call failed with anything but a `DomainError` (a refusal a person reads, never a
`DeadlockDetected`) and that the rows end as one of the two serial orders leaves them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection

from plans import services as plan_services
from plans.models import (
    Alert,
    PainFollowUp,
    PauseCause,
    Plan,
    PlanStatus,
    SessionLog,
    SymptomReport,
)
from recovery.errors import DomainError
from recovery.models import Clearance, ClearanceStatus, PatientProfile, TreatmentType
from tests.conftest import approve, make_patient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
TIMEOUT = 30
_names = itertools.count()


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, each on its own connection. Returns each call's result
    or the DomainError it raised; any other exception (a deadlock) fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive(), "a caller is stuck"
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert unexpected == [], unexpected
    return results


def refused(result: object) -> bool:
    return isinstance(result, DomainError)


def patient_with_plan(clinician) -> Plan:
    name = f"p{next(_names)}"
    patient = make_patient(
        name,
        name.title(),
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=date.today() - timedelta(days=30),
    )
    return approve(patient, start=plan_services.patient_today(patient) - timedelta(days=10))


def log(plan: Plan, **fields) -> Callable[[], object]:
    patient = PatientProfile.objects.get(pk=plan.patient_id)
    day = plan_services.patient_today(patient)
    return lambda: plan_services.session_log_create(
        patient=patient, day=day, activity="walking", minutes=15, **fields
    )


def revoke(plan: Plan, clinician) -> Callable[[], object]:
    clearance = Clearance.objects.get(pk=plan.clearance_id)
    return lambda: plan_services.clearance_revoke(
        clearance=clearance, actor=clinician, reason="Imaging shows this needs more time."
    )


def pause(plan: Plan, clinician) -> Callable[[], object]:
    return lambda: plan_services.plan_pause(
        plan=plan, actor=clinician, reason="Flare-up reported by phone."
    )


def resume(plan: Plan, clinician) -> Callable[[], object]:
    today = plan_services.patient_today(plan.patient)
    return lambda: plan_services.plan_resume(
        plan=plan, actor=clinician, start_minutes=10, today=today
    )


def fresh(plan: Plan) -> Plan:
    return Plan.objects.get(pk=plan.pk)


def test_revoke_and_pause(postgres, dr_cho):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        revoked, paused = race(revoke(plan, dr_cho), pause(plan, dr_cho))
        assert not refused(revoked)  # either order: the clearance is revoked
        assert Clearance.objects.get(pk=plan.clearance_id).status == ClearanceStatus.REVOKED
        plan = fresh(plan)
        assert plan.status == PlanStatus.PAUSED
        if refused(paused):  # revoke first: it paused the plan, the pause found nothing to do
            assert (plan.pause_cause, plan.pause_reason) == (
                PauseCause.CLEARANCE_WITHDRAWN,
                "Imaging shows this needs more time.",
            )
        else:
            assert (plan.pause_cause, plan.pause_reason) == (
                PauseCause.CLINICIAN,
                "Flare-up reported by phone.",
            )


@pytest.mark.parametrize("flags", [[], ["bladder_bowel"]], ids=["plain", "warning_sign"])
def test_revoke_and_log(postgres, dr_cho, flags):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        revoked, logged = race(revoke(plan, dr_cho), log(plan, red_flags=flags))
        assert Clearance.objects.get(pk=plan.clearance_id).status == ClearanceStatus.REVOKED
        assert fresh(plan).status == PlanStatus.PAUSED
        if refused(logged):  # revoke first: a paused plan takes no session
            assert str(logged) == plan_services.PLAN_PAUSED
            assert not SessionLog.objects.filter(plan=plan).exists()
        else:
            assert SessionLog.objects.filter(plan=plan).count() == 1
            assert Alert.objects.filter(plan=plan).count() == len(flags[:1])
        assert not refused(revoked)


@pytest.mark.parametrize("flags", [[], ["bladder_bowel"]], ids=["plain", "warning_sign"])
def test_pause_and_log(postgres, dr_cho, flags):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        paused, logged = race(pause(plan, dr_cho), log(plan, red_flags=flags))
        assert fresh(plan).status == PlanStatus.PAUSED
        stored = SessionLog.objects.filter(plan=plan).count()
        if refused(logged):
            assert stored == 0 and not refused(paused)
        else:
            assert stored == 1
            # A warning sign logged first paused the plan already: the clinician's pause is
            # refused. A plain log leaves the plan for the pause.
            assert refused(paused) == bool(flags)


def test_follow_up_and_log(postgres, ana):
    for _ in range(ROUNDS):
        plan = patient_with_plan(ana.clinician)
        first = log(plan, pain=6, pain_duration="not_settled")()
        patient = PatientProfile.objects.get(pk=plan.patient_id)
        followed, logged = race(
            lambda patient=patient, first=first: plan_services.session_pain_follow_up(
                patient=patient, log_id=first.log.pk, settled="next_day"
            ),
            log(plan, pain=2, pain_duration="within_2h"),
        )
        assert not refused(followed) and not refused(logged)
        assert PainFollowUp.objects.filter(session_log=first.log).count() == 1
        assert SessionLog.objects.filter(plan=plan).count() == 2


def test_symptom_report_and_pause(postgres, dr_cho):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        patient = PatientProfile.objects.get(pk=plan.patient_id)
        reported, paused = race(
            lambda patient=patient: plan_services.symptom_report_create(
                patient=patient, red_flags=["both_legs"]
            ),
            pause(plan, dr_cho),
        )
        assert not refused(reported)
        plan = fresh(plan)
        assert plan.status == PlanStatus.PAUSED
        assert SymptomReport.objects.filter(patient=patient).count() == 1
        assert Alert.objects.filter(patient=patient).count() == 1
        if refused(paused):  # the report came first and paused the plan
            assert plan.pause_cause == PauseCause.WARNING_SIGN
            assert plan.pause_day is not None
        else:
            assert (plan.pause_cause, plan.pause_reason) == (
                PauseCause.CLINICIAN,
                "Flare-up reported by phone.",
            )


def test_resume_and_revoke(postgres, dr_cho):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        plan_services.plan_pause(plan=plan, actor=dr_cho, reason="Paused before the race.")
        resumed, revoked = race(resume(plan, dr_cho), revoke(plan, dr_cho))
        plans = Plan.objects.filter(patient_id=plan.patient_id)
        if refused(revoked):  # only an approved clearance can be revoked: cannot happen here
            pytest.fail(f"revoke refused: {revoked}")
        if refused(resumed):  # revoke first: the clearance is withdrawn, nothing restarts
            assert plans.count() == 1 and fresh(plan).status == PlanStatus.PAUSED
        else:  # resume first: the new plan runs until the revoke pauses it
            new = plans.exclude(pk=plan.pk).get()
            assert fresh(plan).status == PlanStatus.COMPLETED
            assert new.status == PlanStatus.PAUSED
        assert Clearance.objects.get(pk=plan.clearance_id).status == ClearanceStatus.REVOKED


def test_acknowledge_and_resume(postgres, dr_cho):
    for _ in range(ROUNDS):
        plan = patient_with_plan(dr_cho)
        alert = log(plan, red_flags=["rapid_weakness"])().alert  # pauses the plan
        acked, resumed = race(
            lambda alert=alert: plan_services.alert_acknowledge(
                alert=alert, actor=dr_cho, outcome="spoke_advised"
            ),
            resume(plan, dr_cho),
        )
        assert not refused(resumed)
        alert.refresh_from_db()
        assert alert.acknowledged_by_id == dr_cho.pk and alert.acknowledged_at is not None
        if refused(acked):  # resume first acknowledged the plan's open alerts itself
            assert str(acked) == "This alert was already closed."
        assert fresh(plan).status == PlanStatus.COMPLETED


def test_approve_and_enrol(postgres, dr_cho):
    """Approval read the treatment type FOR UPDATE (a `select_related` join), which an
    enrolment of the same type (a row pointing at it) had to wait for."""
    kind = TreatmentType.objects.get(name="Epidural steroid injection")
    for _ in range(ROUNDS):
        name = f"p{next(_names)}"
        patient = make_patient(
            name, name.title(), dr_cho, treatment=kind.name, procedure_date=date.today()
        )
        other = f"p{next(_names)}"
        approved, enrolled = race(
            lambda patient=patient: approve(patient, start=date.today()),
            lambda other=other: plan_services.patient_enrol(
                clinician=dr_cho,
                first_name="Other",
                last_name="Tester",
                email=f"{other}@example.org",
                treatment_type=kind,
                procedure_date=date.today() - timedelta(days=3),
                today=date.today(),
            ),
        )
        assert not refused(approved) and not refused(enrolled)
        assert Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).count() == 1


def test_one_clinician_acting_on_two_patients(postgres, dr_cho):
    """Two decisions of one clinician at once, on two patients: both audit rows point at the
    clinician's user row, which both COMMITs' page-revision triggers then lock."""
    for _ in range(ROUNDS):
        first, second = patient_with_plan(dr_cho), patient_with_plan(dr_cho)
        results = race(pause(first, dr_cho), revoke(second, dr_cho))
        assert not any(refused(result) for result in results)
        assert fresh(first).status == fresh(second).status == PlanStatus.PAUSED
