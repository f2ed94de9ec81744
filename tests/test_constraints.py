"""The database refuses what the services refuse, for writes that go around them.

Each case writes straight to the table (`objects.create` or `.update()`), expects IntegrityError
inside its own atomic block, and checks the constraint that fired by name (both SQLite and
PostgreSQL name a check constraint in the error; a unique one is named by PostgreSQL, and by SQLite
only when it is a partial index, so plain unique constraints check their columns on SQLite).
A valid neighbour of every refused value is written too, so no case passes for the wrong reason.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from plans.models import Alert, Exercise, Plan, PlanWeek, Reminder, SessionLog
from recovery.models import (
    AuditEvent,
    Clearance,
    ClearanceEvent,
    PatientProfile,
    TreatmentType,
    User,
)


@contextmanager
def violates(name: str, *sqlite_columns: str):
    """The block raises IntegrityError naming constraint `name` and leaves nothing behind."""
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        yield
    message = str(info.value)
    if connection.vendor == "sqlite" and sqlite_columns:
        assert all(column in message for column in sqlite_columns), message
    else:
        assert name in message, message


def session(plan: Plan, **fields) -> SessionLog:
    values = {
        "plan": plan,
        "date": plan.start_date,
        "week": 1,
        "activity": "walking",
        "minutes": 15,
        **fields,
    }
    return SessionLog.objects.create(**values)


# --- session logs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "bad", "good", "name"),
    [
        ("minutes", 0, 1, "sessionlog_minutes_range"),
        ("minutes", 301, 300, "sessionlog_minutes_range"),
        ("pain", 11, 10, "sessionlog_pain_range"),
        ("exertion", 5, 6, "sessionlog_borg_range"),
        ("exertion", 21, 20, "sessionlog_borg_range"),
        ("pain_lasted_hours", Decimal("72.1"), Decimal("72.0"), "sessionlog_pain_hours_range"),
        ("week", 0, 1, "sessionlog_week_positive"),
        ("activity", "trampoline", "running", "sessionlog_activity_valid"),
    ],
)
def test_session_log_bounds(ana_plan, field, bad, good, name):
    with violates(name):
        session(ana_plan, **{field: bad})
    row = session(ana_plan, **{field: good})
    with violates(name):
        SessionLog.objects.filter(pk=row.pk).update(**{field: bad})
    row.refresh_from_db()
    assert getattr(row, field) == good
    assert SessionLog.objects.count() == 1


def test_session_log_pain_may_be_missing_or_zero(ana_plan):
    session(ana_plan, pain=None, exertion=None)
    session(ana_plan, pain=0)
    assert SessionLog.objects.count() == 2


def test_one_session_per_submission_token(ana_plan):
    token = uuid.uuid4()
    session(ana_plan, submission_token=token)
    with violates("sessionlog_unique_submission", "plan_id", "submission_token"):
        session(ana_plan, submission_token=token)
    assert SessionLog.objects.count() == 1


# --- plans and clearances: stage and rules --------------------------------------------------------


@pytest.mark.parametrize("value", [0, 5])
def test_stage_range(ana_plan, value):
    with violates("plan_stage_range"):
        Plan.objects.filter(pk=ana_plan.pk).update(stage=value)
    with violates("clearance_stage_range"):
        Clearance.objects.filter(pk=ana_plan.clearance_id).update(max_stage=value)
    exercise = Exercise.objects.create(
        name="Pelvic tilt", category="core", stage=1, instructions="Lie on your back."
    )
    with violates("exercise_stage_range"):
        Exercise.objects.filter(pk=exercise.pk).update(stage=value)
    with violates("treatment_type_stage_range"):
        TreatmentType.objects.filter(name="Laminectomy").update(default_max_stage=value)
    for stage in (1, 4):
        Plan.objects.filter(pk=ana_plan.pk).update(stage=stage)
        Exercise.objects.filter(pk=exercise.pk).update(stage=stage)


# A pause cause has what its sentence needs, and nothing else (plans.models.PauseCause).
def _stop_week(plan: Plan) -> PlanWeek:
    return PlanWeek.objects.create(
        plan=plan, week=9, minutes=0, sessions_per_week=0, decision="stop", reason="Stop."
    )


PAUSE_VIOLATIONS = [
    ({"pause_cause": "tired"}, "plan_pause_cause_valid"),
    ({"pause_cause": "warning_sign"}, "plan_warning_sign_pause_has_day"),
    (
        {"pause_cause": "clinician", "pause_reason": "x", "pause_day": date(2026, 12, 3)},
        "plan_warning_sign_pause_has_day",
    ),
    ({"pause_cause": "week_stop"}, "plan_week_stop_has_week"),
    (
        {"pause_cause": "clinician", "pause_reason": "x", "pause_week": _stop_week},
        "plan_week_stop_has_week",
    ),
    ({"pause_cause": "clinician"}, "plan_pause_reason_typed_only"),
    ({"pause_cause": "clearance_withdrawn"}, "plan_pause_reason_typed_only"),
    (
        {"pause_cause": "warning_sign", "pause_day": date(2026, 12, 3), "pause_reason": "x"},
        "plan_pause_reason_typed_only",
    ),
    ({"pause_reason": "Paused."}, "plan_pause_reason_typed_only"),
]
PAUSE_BOUNDS = [
    {"pause_cause": "", "pause_reason": "", "pause_day": None, "pause_week": None},
    {"pause_cause": "warning_sign", "pause_day": date(2026, 12, 3)},
    {"pause_cause": "week_stop", "pause_week": _stop_week},
    {"pause_cause": "clinician", "pause_reason": "Travelling."},
    {"pause_cause": "clearance_withdrawn", "pause_reason": "MRI pending."},
]


def _pause_fields(plan: Plan, change: dict) -> dict:
    blank = {"pause_cause": "", "pause_reason": "", "pause_day": None, "pause_week": None}
    return {
        **blank,
        **{name: value(plan) if callable(value) else value for name, value in change.items()},
    }


@pytest.mark.parametrize(("change", "name"), PAUSE_VIOLATIONS)
def test_pause_cause_needs_its_words(ana_plan, change, name):
    with violates(name):  # a STOP week written for the case goes with its rollback
        Plan.objects.filter(pk=ana_plan.pk).update(**_pause_fields(ana_plan, change))
    for good in PAUSE_BOUNDS:
        Plan.objects.filter(pk=ana_plan.pk).update(**_pause_fields(ana_plan, good))


def test_a_pause_keeps_its_stop_week_and_goes_with_its_plan(ana_plan):
    stop = _stop_week(ana_plan)
    Plan.objects.filter(pk=ana_plan.pk).update(
        status="paused", pause_cause="week_stop", pause_week=stop
    )
    with pytest.raises(RestrictedError):
        stop.delete()
    assert PlanWeek.objects.filter(pk=stop.pk).exists()
    Plan.objects.filter(pk=ana_plan.pk).delete()  # the plan, with its weeks
    assert not PlanWeek.objects.filter(plan_id=ana_plan.pk).exists()


RULE_VIOLATIONS = [
    ({"start_minutes": 9}, "start_minutes_range"),
    ({"start_minutes": 16}, "start_minutes_range"),
    ({"min_increment": 4}, "increment_range"),
    ({"max_increment": 11}, "increment_range"),
    ({"min_increment": 8, "max_increment": 6}, "increment_range"),
    ({"target_minutes": 121}, "target_range"),
    ({"target_minutes": 12, "start_minutes": 15}, "target_range"),
    ({"sessions_per_week": 0}, "sessions_range"),
    ({"sessions_per_week": 8}, "sessions_range"),
]
RULE_BOUNDS = [
    {"start_minutes": 10, "target_minutes": 10},
    {"start_minutes": 15, "target_minutes": 120},
    {"min_increment": 5, "max_increment": 5},
    {"min_increment": 10, "max_increment": 10},
    {"sessions_per_week": 1},
    {"sessions_per_week": 7},
]


@pytest.mark.parametrize(("change", "name"), RULE_VIOLATIONS)
@pytest.mark.parametrize(("model", "prefix"), [(Plan, "plan"), (Clearance, "clearance")])
def test_rules_bounds(ana_plan, model, prefix, change, name):
    pk = ana_plan.pk if model is Plan else ana_plan.clearance_id
    with violates(f"{prefix}_{name}"):
        model.objects.filter(pk=pk).update(**change)
    for bounds in RULE_BOUNDS:
        model.objects.filter(pk=pk).update(**bounds)


@pytest.mark.parametrize(("change", "name"), RULE_VIOLATIONS)
def test_treatment_type_default_rules_bounds(db, change, name):
    defaults = {f"default_{field}": value for field, value in change.items()}
    with violates(f"treatment_type_{name.replace('start_minutes', 'start')}"):
        TreatmentType.objects.filter(name="Laminectomy").update(**defaults)


# --- weeks and reminders --------------------------------------------------------------------------


def test_one_plan_week_per_week(ana_plan):
    with violates("planweek_unique_week", "plan_id", "week"):
        PlanWeek.objects.create(
            plan=ana_plan, week=1, minutes=20, sessions_per_week=3, decision="start", reason="."
        )
    PlanWeek.objects.create(
        plan=ana_plan, week=2, minutes=20, sessions_per_week=3, decision="hold", reason="."
    )
    assert ana_plan.weeks.count() == 2


@pytest.mark.parametrize(
    ("field", "bad", "good", "name"),
    [
        ("minutes", 121, 120, "planweek_minutes_range"),
        ("week", 0, 9, "planweek_week_positive"),
        ("decision", "pause", "stop", "planweek_decision_valid"),
    ],
)
def test_plan_week_bounds(ana_plan, field, bad, good, name):
    week = ana_plan.weeks.get()
    with violates(name):
        PlanWeek.objects.filter(pk=week.pk).update(**{field: bad})
    PlanWeek.objects.filter(pk=week.pk).update(**{field: good})


def test_one_reminder_per_plan_week(ana_plan):
    Reminder.objects.create(plan=ana_plan, week=3)
    with violates("reminder_unique_week", "plan_id", "week"):
        Reminder.objects.create(plan=ana_plan, week=3)
    Reminder.objects.create(plan=ana_plan, week=4)
    with violates("reminder_status_valid"):
        Reminder.objects.filter(plan=ana_plan, week=4).update(status="maybe")
    assert Reminder.objects.count() == 2


# --- one open plan, one open clearance ------------------------------------------------------------


def _plan_copy(plan: Plan, **fields) -> Plan:
    values = {
        "patient": plan.patient,
        "clearance": plan.clearance,
        "start_date": plan.start_date + timedelta(days=7),
        **plan.rules().__dict__,
        **fields,
    }
    return Plan.objects.create(**values)


@pytest.mark.parametrize("status", ["active", "paused"])
def test_one_open_plan_per_patient(ana_plan, status):
    with violates("plan_one_open_per_patient", "patient_id"):
        _plan_copy(ana_plan, status=status)
    Plan.objects.filter(pk=ana_plan.pk).update(status="paused")
    with violates("plan_one_open_per_patient", "patient_id"):
        _plan_copy(ana_plan, status=status)
    # Finished plans do not count: a patient keeps the history of every restart.
    _plan_copy(ana_plan, status="completed")
    Plan.objects.filter(pk=ana_plan.pk).update(status="completed")
    _plan_copy(ana_plan, status=status)
    assert Plan.objects.filter(patient=ana_plan.patient).count() == 3
    with violates("plan_status_valid"):
        Plan.objects.filter(pk=ana_plan.pk).update(status="finished")


@pytest.mark.parametrize(("existing", "closed"), [("pending", "declined"), ("approved", "revoked")])
def test_one_open_clearance_per_patient(ana, dr_cho, existing, closed):
    if existing == "approved":
        ana.clearances.update(**COMPLETE_APPROVAL, decided_by=dr_cho)
    treatment = ana.treatments.get()
    with violates("clearance_one_open_per_patient", "patient_id"):
        Clearance.objects.create(patient=ana, treatment=treatment)
    # Closed decisions do not count: a patient keeps every earlier decision.
    ana.clearances.update(status=closed)
    Clearance.objects.create(patient=ana, treatment=treatment)
    with violates("clearance_one_open_per_patient", "patient_id"):
        Clearance.objects.create(patient=ana, treatment=treatment)
    with violates("clearance_status_valid"):
        Clearance.objects.filter(patient=ana, status=closed).update(status="maybe")
    assert ana.clearances.count() == 2


COMPLETE_APPROVAL = {
    "status": "approved",
    "start_minutes": 15,
    "min_increment": 5,
    "max_increment": 10,
    "target_minutes": 40,
    "sessions_per_week": 3,
    "start_date": date(2026, 1, 5),
}


@pytest.mark.parametrize(
    "missing",
    [
        "start_minutes",
        "min_increment",
        "max_increment",
        "target_minutes",
        "sessions_per_week",
        "start_date",
        "decided_by",
    ],
)
def test_an_approved_clearance_is_complete(ana, dr_cho, missing):
    pending = ana.clearances.filter(status="pending")
    values = {**COMPLETE_APPROVAL, "decided_by": dr_cho, missing: None}
    with violates("clearance_approved_complete"):
        pending.update(**values)
    pending.update(**{**values, missing: COMPLETE_APPROVAL.get(missing, dr_cho)})
    assert ana.clearances.get().status == "approved"


# --- alerts ---------------------------------------------------------------------------------------


def test_an_acknowledgement_has_both_who_and_when(ana_plan, dr_cho):
    alert = Alert.objects.create(
        plan=ana_plan,
        patient=ana_plan.patient,
        session_log=session(ana_plan, red_flags=["fall"]),
        tier="same_day",
        flags=["fall"],
    )
    alerts = Alert.objects.filter(pk=alert.pk)
    with violates("alert_ack_complete"):
        alerts.update(acknowledged_at=timezone.now())
    with violates("alert_ack_complete"):
        alerts.update(acknowledged_by=dr_cho)
    with violates("alert_closed_with_outcome"):
        alerts.update(acknowledged_at=timezone.now(), acknowledged_by=dr_cho)
    with violates("alert_closed_with_outcome"):
        alerts.update(outcome="spoke_advised")  # an open alert has no outcome yet
    with violates("alert_closed_with_outcome"):
        alerts.update(acknowledged_at=timezone.now(), acknowledged_by=dr_cho, outcome="shrugged")
    with violates("alert_other_outcome_has_note"):
        alerts.update(acknowledged_at=timezone.now(), acknowledged_by=dr_cho, outcome="other")
    alerts.update(acknowledged_at=timezone.now(), acknowledged_by=dr_cho, outcome="no_answer")
    with violates("alert_tier_valid"):
        alerts.update(tier="whenever")
    with violates("alert_ack_complete"):
        Alert.objects.create(
            plan=ana_plan,
            patient=ana_plan.patient,
            session_log=session(ana_plan),
            tier="emergency",
            acknowledged_by=dr_cho,
        )


# --- people ---------------------------------------------------------------------------------------


def test_user_role_and_email(dr_cho):
    with violates("user_role_valid"):
        User.objects.filter(pk=dr_cho.pk).update(role="wizard")
    with violates("user_email_unique_ci"):
        User.objects.create(username="other", email=dr_cho.email.upper())
    User.objects.create(username="nobody-1", email="")
    User.objects.create(username="nobody-2", email="")


@pytest.mark.parametrize(
    ("field", "bad", "name"),
    [
        ("reminder_weekday", 7, "patient_reminder_weekday_range"),
        ("reminder_hour", 24, "patient_reminder_hour_range"),
    ],
)
def test_reminder_settings_range(ana, field, bad, name):
    with violates(name):
        PatientProfile.objects.filter(pk=ana.pk).update(**{field: bad})


# --- append-only trails ---------------------------------------------------------------------------


def test_clearance_events_refuse_update_and_delete(ana):
    event = ClearanceEvent.objects.get()
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert ClearanceEvent.objects.get().reason == ""
    with pytest.raises(ProtectedError):
        Clearance.objects.filter(patient=ana).delete()
    assert ClearanceEvent.objects.count() == 1


def test_audit_events_refuse_update_and_delete(ana):
    event = AuditEvent.objects.filter(action="patient_enrol").get()
    event.action = "nothing_happened"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(action="patient_enrol").count() == 1


@pytest.mark.parametrize("model", [ClearanceEvent, AuditEvent])
def test_append_only_trails_refuse_bulk_update_and_delete(ana, model):
    with pytest.raises((ValueError, IntegrityError)), transaction.atomic():
        model.objects.all().update(at=timezone.now())
    with pytest.raises((ValueError, IntegrityError)), transaction.atomic():
        model.objects.all().delete()


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("recovery_clearanceevent", "UPDATE {t} SET reason = 'rewritten'"),
        ("recovery_clearanceevent", "DELETE FROM {t}"),
        ("recovery_auditevent", "UPDATE {t} SET action = 'rewritten'"),
        ("recovery_auditevent", "DELETE FROM {t}"),
    ],
)
def test_postgres_refuses_raw_rewrites_of_the_trails(postgres, ana, table, statement):
    from django.db import connection

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(t=table))


def test_postgres_still_lets_a_deleted_actor_become_null(postgres, ana):
    """Deleting a staff account keeps its audit rows (actor SET NULL), nothing else changes."""
    from recovery.audit import audit
    from tests.conftest import make_user

    temp = make_user("temp", "staff", "Tem", "P", is_staff=True)
    event = audit("probe", actor=temp)
    temp.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_id is None and event.action == "probe"
