"""Clearance services: request, approve (which starts the plan), decline and revoke.

Every refusal checks the message a person reads and that nothing was stored.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plans.models import PauseCause, Plan, PlanStatus
from plans.services import clearance_approve, clearance_decline, clearance_request, clearance_revoke
from recovery.models import AuditEvent, Clearance, ClearanceStatus
from tests.conftest import approve, make_patient
from tests.support import refused

RULES = {
    "start_minutes": 15,
    "min_increment": 5,
    "max_increment": 10,
    "target_minutes": 40,
    "sessions_per_week": 3,
}
OVERRIDE = "Reviewed in clinic; healing well ahead of schedule."


def pending(patient) -> Clearance:
    return patient.clearances.get(status=ClearanceStatus.PENDING)


def approve_call(patient, actor=None, **overrides):
    """A call of clearance_approve that succeeds unless `overrides` change something."""
    clearance = pending(patient)
    today = clearance.treatment.earliest_clearance + timedelta(days=3)
    kwargs = {
        "clearance": clearance,
        "actor": actor or patient.clinician,
        "rules": dict(RULES),
        "max_stage": 2,
        "allowed_activities": ["walking", "recumbent_bike"],
        "restrictions": "  No lifting over 5 kg.  ",
        "start_date": today,
        "today": today,
    }
    kwargs.update(overrides)
    return lambda: clearance_approve(**kwargs)


# --- request -------------------------------------------------------------------------------------


def test_enrolment_opens_one_pending_clearance_with_an_event(ana, dr_cho):
    clearance = pending(ana)
    assert clearance.decided_by is None
    assert clearance.start_minutes is None
    events = list(clearance.events.values_list("actor", "from_status", "to_status"))
    assert events == [(dr_cho.pk, "", "pending")]


def test_request_refuses_a_second_open_clearance(ana):
    treatment = ana.treatments.get()
    refused(
        lambda: clearance_request(patient=ana, treatment=treatment, actor=None),
        "This patient already has an open clearance.",
    )


def test_request_refuses_another_patients_treatment(ana, ben, dr_cho):
    clearance_decline(clearance=pending(ana), actor=dr_cho, reason="Not yet, see again soon.")
    refused(
        lambda: clearance_request(patient=ana, treatment=ben.treatments.get(), actor=None),
        "That treatment belongs to another patient.",
    )


def test_request_after_a_decline_opens_a_new_pending_clearance(ana, dr_cho):
    clearance_decline(clearance=pending(ana), actor=dr_cho, reason="Wound still healing.")
    clearance = clearance_request(patient=ana, treatment=ana.treatments.get(), actor=dr_cho)
    assert clearance.status == ClearanceStatus.PENDING
    assert ana.clearances.count() == 2


# --- approve -------------------------------------------------------------------------------------


def test_approve_starts_the_plan_with_week_one(ana, dr_cho):
    clearance = pending(ana)
    start = clearance.treatment.earliest_clearance + timedelta(days=5)
    plan = approve_call(ana, start_date=start, today=start - timedelta(days=2))()

    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.APPROVED
    assert clearance.decided_by == dr_cho
    assert clearance.decided_at is not None
    assert clearance.override_reason == ""
    assert clearance.restrictions == "No lifting over 5 kg."
    assert clearance.start_date == start
    assert clearance.max_stage == 2
    assert clearance.allowed_activities == ["walking", "recumbent_bike"]
    assert clearance.rules().__dict__ == RULES

    assert plan.status == PlanStatus.ACTIVE
    assert plan.clearance == clearance
    assert plan.patient == ana
    assert plan.start_date == start
    assert plan.stage == 2
    assert plan.allowed_activities == ["walking", "recumbent_bike"]
    assert plan.rules().__dict__ == RULES
    weeks = list(plan.weeks.values_list("week", "minutes", "sessions_per_week", "decision"))
    assert weeks == [(1, 15, 3, "start")]
    assert "15 minutes" in plan.weeks.get().reason

    events = list(clearance.events.values_list("actor", "from_status", "to_status", "reason"))
    assert events[-1] == (dr_cho.pk, "pending", "approved", "")
    assert AuditEvent.objects.filter(action="clearance_approved", actor=dr_cho).count() == 1


def test_approve_refuses_another_clinician(ana, dr_dev):
    refused(
        approve_call(ana, actor=dr_dev),
        "Only the patient's assigned clinician can decide on clearance.",
    )


def test_approve_refuses_a_patient(ana, ben):
    refused(
        approve_call(ana, actor=ben.user),
        "Only the patient's assigned clinician can decide on clearance.",
    )


@pytest.fixture
def cam(dr_cho):
    """A laminectomy patient: 14 days before clearance is usual."""
    return make_patient(
        "cam",
        "Cam",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=date.today() - timedelta(days=20),
    )


@pytest.mark.parametrize(
    "reason", ["", "   ", "too soon", "  too soon  ", "123456789", "nineteen characters"[:19]]
)
def test_approve_before_the_minimum_days_needs_an_override_reason(cam, reason):
    earliest = cam.treatments.get().earliest_clearance
    error = refused(
        approve_call(cam, today=earliest - timedelta(days=1), override_reason=reason),
        "override reason",
        field="override_reason",
    )
    assert "at least 20 characters" in error.message  # DESIGN §1 rule 1
    assert "Laminectomy" in error.message
    assert f"{earliest:%-d %B %Y}" in error.message


def test_approve_early_with_an_override_records_the_reason(cam, dr_cho):
    earliest = cam.treatments.get().earliest_clearance
    day = earliest - timedelta(days=13)  # the day after the procedure
    plan = approve_call(
        cam,
        today=day,
        start_date=day,
        override_reason=f"  {OVERRIDE}  ",
        max_stage=1,
        allowed_activities=["walking"],
    )()
    clearance = plan.clearance
    assert clearance.override_reason == OVERRIDE
    assert clearance.events.last().reason == f"Override: {OVERRIDE}"


def test_approve_exactly_on_the_minimum_day_needs_no_override(cam):
    earliest = cam.treatments.get().earliest_clearance
    plan = approve_call(
        cam, today=earliest, start_date=earliest, max_stage=1, allowed_activities=["walking"]
    )()
    assert plan.clearance.override_reason == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_minutes": 9}, "start_minutes"),
        ({"start_minutes": 16}, "start_minutes"),
        ({"min_increment": 4}, "min_increment"),
        ({"max_increment": 11}, "max_increment"),
        ({"min_increment": 8, "max_increment": 6}, "max_increment"),
        ({"target_minutes": 121}, "target_minutes"),
        ({"target_minutes": 14}, "target_minutes"),
        ({"sessions_per_week": 0}, "sessions_per_week"),
        ({"sessions_per_week": 8}, "sessions_per_week"),
        ({"sessions_per_week": True}, "sessions_per_week"),
    ],
)
def test_approve_checks_the_rules_with_the_engine(ana, change, field):
    error = refused(approve_call(ana, rules={**RULES, **change}), field, field=field)
    assert error.message.startswith(field)


def test_approve_accepts_the_rule_bounds(ana):
    rules = {
        "start_minutes": 10,
        "min_increment": 10,
        "max_increment": 10,
        "target_minutes": 120,
        "sessions_per_week": 7,
    }
    plan = approve_call(ana, rules=rules)()
    assert plan.rules().__dict__ == rules


def test_approve_refuses_activities_above_the_stage(ana):
    error = refused(
        approve_call(ana, max_stage=2, allowed_activities=["walking", "elliptical"]),
        "These activities belong to a higher stage than the one allowed",
        field="allowed_activities",
    )
    assert "Elliptical trainer" in error.message


def test_approve_refuses_running_below_stage_four(ana):
    refused(
        approve_call(ana, max_stage=3, allowed_activities=["walking", "running"]),
        "Running",
        field="allowed_activities",
    )


def test_approve_refuses_unknown_and_missing_activities(ana):
    refused(
        approve_call(ana, allowed_activities=["walking", "trampoline"]),
        "Unknown activity: trampoline.",
        field="allowed_activities",
    )
    refused(
        approve_call(ana, allowed_activities=[]),
        "Allow at least one activity.",
        field="allowed_activities",
    )


@pytest.mark.parametrize("stage", [0, 5])
def test_approve_refuses_a_stage_out_of_range(ana, stage):
    refused(
        approve_call(ana, max_stage=stage),
        "The highest stage must be between 1 and 4.",
        field="max_stage",
    )


def test_approve_refuses_a_start_date_in_the_past(ana):
    today = pending(ana).treatment.earliest_clearance + timedelta(days=3)
    refused(
        approve_call(ana, today=today, start_date=today - timedelta(days=1)),
        "The plan cannot start in the past.",
        field="start_date",
    )


def test_a_second_approve_is_refused(ana):
    clearance = pending(ana)
    approve_call(ana)()
    today = clearance.treatment.earliest_clearance + timedelta(days=3)
    refused(
        lambda: clearance_approve(
            clearance=clearance,
            actor=ana.clinician,
            rules=dict(RULES),
            max_stage=2,
            allowed_activities=["walking"],
            start_date=today,
            today=today,
        ),
        "Only a pending clearance can be approved; this one is approved.",
    )
    assert Plan.objects.filter(patient=ana).count() == 1


def test_approve_ends_a_plan_paused_under_an_earlier_clearance(ana_plan, dr_cho):
    ana = ana_plan.patient
    clearance_revoke(clearance=ana_plan.clearance, actor=dr_cho, reason="Flare-up after a fall.")
    clearance_request(patient=ana, treatment=ana.treatments.get(), actor=dr_cho)
    new_plan = approve(ana, start=date.today())
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.COMPLETED
    assert ana_plan.ended_at is not None
    assert new_plan.status == PlanStatus.ACTIVE
    assert list(Plan.objects.filter(patient=ana, status="active")) == [new_plan]


# --- decline -------------------------------------------------------------------------------------


def test_decline_records_who_why_and_an_event(ana, dr_cho):
    clearance = clearance_decline(
        clearance=pending(ana), actor=dr_cho, reason="  Wound still healing.  "
    )
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.DECLINED
    assert clearance.decided_by == dr_cho
    assert clearance.decided_at is not None
    assert clearance.decision_reason == "Wound still healing."
    event = clearance.events.last()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        dr_cho,
        "pending",
        "declined",
        "Wound still healing.",
    )
    assert not Plan.objects.filter(patient=ana).exists()


@pytest.mark.parametrize("reason", ["", "    ", "not yet"])
def test_decline_needs_a_reason(ana, dr_cho, reason):
    refused(
        lambda: clearance_decline(clearance=pending(ana), actor=dr_cho, reason=reason),
        "Please write a reason of at least 10 characters.",
        field="reason",
    )


def test_decline_refuses_another_clinician(ana, dr_dev):
    refused(
        lambda: clearance_decline(clearance=pending(ana), actor=dr_dev, reason="Not my patient."),
        "Only the patient's assigned clinician can decide on clearance.",
    )


def test_decline_refuses_an_approved_clearance(ana_plan, dr_cho):
    refused(
        lambda: clearance_decline(
            clearance=ana_plan.clearance, actor=dr_cho, reason="Changed my mind."
        ),
        "Only a pending clearance can be declined; this one is approved.",
    )


# --- revoke --------------------------------------------------------------------------------------


def test_revoke_pauses_the_plan_and_writes_an_event(ana_plan, dr_cho):
    clearance = clearance_revoke(
        clearance=ana_plan.clearance, actor=dr_cho, reason="New disc herniation on MRI."
    )
    clearance.refresh_from_db()
    assert clearance.status == ClearanceStatus.REVOKED
    assert clearance.decided_by == dr_cho
    assert clearance.decision_reason == "New disc herniation on MRI."
    event = clearance.events.last()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        dr_cho,
        "approved",
        "revoked",
        "New disc herniation on MRI.",
    )
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    assert ana_plan.paused_at is not None
    # The clinician's reason as typed; the words around it are said in the reader's language.
    assert (ana_plan.pause_cause, ana_plan.pause_reason) == (
        PauseCause.CLEARANCE_WITHDRAWN,
        "New disc herniation on MRI.",
    )
    assert ana_plan.patient_pause_words == (
        "Clearance withdrawn by your care team: New disc herniation on MRI."
    )
    assert ana_plan.clinician_pause_words == "Clearance withdrawn: New disc herniation on MRI."
    assert AuditEvent.objects.filter(action="plan_pause", object_id=str(ana_plan.pk)).exists()
    assert AuditEvent.objects.filter(action="clearance_revoked", actor=dr_cho).exists()


@pytest.mark.parametrize("reason", ["", "too soon"])
def test_revoke_needs_a_reason(ana_plan, dr_cho, reason):
    refused(
        lambda: clearance_revoke(clearance=ana_plan.clearance, actor=dr_cho, reason=reason),
        "Please write a reason of at least 10 characters.",
        field="reason",
    )


def test_revoke_refuses_another_clinician(ana_plan, dr_dev):
    refused(
        lambda: clearance_revoke(
            clearance=ana_plan.clearance, actor=dr_dev, reason="Not my patient at all."
        ),
        "Only the patient's assigned clinician can decide on clearance.",
    )


def test_revoke_refuses_a_pending_clearance(ana, dr_cho):
    refused(
        lambda: clearance_revoke(clearance=pending(ana), actor=dr_cho, reason="Never approved."),
        "Only an approved clearance can be revoked.",
    )
