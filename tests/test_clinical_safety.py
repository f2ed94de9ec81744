"""Clinical safety, version 2 (DESIGN section 1 rules 4-7): severe pain, the pain follow-up,
symptom reports in every plan state, and escalation to the clinic's on-call inbox."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from plans import engine
from plans.delivery import alert_escalate, alerts_escalate_due
from plans.models import (
    Alert,
    AlertKind,
    AlertTier,
    PainFollowUp,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
    SymptomReport,
)
from plans.services import (
    plan_close_weeks,
    plan_pause,
    plan_resume,
    session_log_create,
    session_pain_follow_up,
    symptom_report_create,
)
from recovery.errors import DomainError
from tests.conftest import approve

ON_CALL = "on-call@clinic.example"


@pytest.fixture(autouse=True)
def _on_call(settings):
    settings.CLINIC_ALERT_EMAIL = ON_CALL
    settings.ALERT_ESCALATE_HOURS = 4


def log(plan: Plan, day: date, **fields) -> SessionLog:
    fields.setdefault("activity", "walking")
    fields.setdefault("minutes", 15)
    fields.setdefault("pain_before", 1)
    fields.setdefault("pain", 2)
    fields.setdefault("pain_duration", "within_2h")
    noon = datetime.combine(day, time(12), tzinfo=plan.patient.tz)
    return session_log_create(patient=plan.patient, day=day, now=noon, **fields)


# --- severe pain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "duration", "severe"),
    [
        (9, "within_2h", True),  # pain >= 9
        (8, "within_2h", False),
        (7, "next_day", True),  # pain >= 7 lasting over 24 hours
        (7, "later", False),  # over 2 hours only: red, not severe
        (6, "next_day", False),
    ],
)
def test_severe_pain_alerts_the_same_day_and_keeps_the_plan(ana_plan, pain, duration, severe):
    day = ana_plan.start_date + timedelta(days=15)
    result = log(ana_plan, day, pain=pain, pain_duration=duration)
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE  # severe pain never pauses
    if severe:
        alert = result.alert
        assert (alert.kind, alert.tier) == (AlertKind.SEVERE_PAIN, AlertTier.SAME_DAY)
        assert alert.session_log_id == result.log.pk
        wait = alert.escalate_at - alert.created_at
        assert abs(wait - timedelta(hours=4)) < timedelta(seconds=5)
    else:
        assert result.alert is None
        assert not Alert.objects.exists()


def test_a_warning_sign_with_severe_pain_is_one_warning_alert_that_pauses(ana_plan):
    day = ana_plan.start_date + timedelta(days=15)
    result = log(ana_plan, day, pain=9, red_flags=["fever"])
    assert result.alert.kind == AlertKind.WARNING_SIGN
    assert Alert.objects.count() == 1
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED


def test_an_emergency_sign_is_due_on_call_at_once(ana_plan):
    day = ana_plan.start_date + timedelta(days=15)
    alert = log(ana_plan, day, red_flags=["chest_breathing"]).alert
    assert alert.tier == AlertTier.EMERGENCY
    assert abs(alert.escalate_at - alert.created_at) < timedelta(seconds=1)


def test_a_red_week_reduces_by_a_fifth_and_stores_its_review(ana):
    start = date.today() - timedelta(days=14)
    plan = approve(ana, start=start, sessions_per_week=3, target=60)
    # Week 1 at 15 minutes: three sessions, one severe (pain 9).
    for offset, pain in ((0, 2), (2, 9), (4, 2)):
        log(plan, start + timedelta(days=offset), pain=pain)
    plan_close_weeks(plan=plan, today=start + timedelta(days=7))
    week2 = PlanWeek.objects.get(plan=plan, week=2)
    assert week2.decision == engine.Decision.REDUCE
    assert week2.minutes == 10  # 15 - max(5, 5 * ceil(15 / 25))
    assert week2.review == engine.Review.SEVERE_PAIN


# --- the pain follow-up -------------------------------------------------------------------------


def test_follow_up_gives_the_session_its_duration_once(ana_plan):
    day = ana_plan.start_date + timedelta(days=15)
    logged = log(ana_plan, day, pain=5, pain_duration="not_settled").log
    assert logged.pain_lasted_hours == Decimal("0.0")

    result = session_pain_follow_up(patient=ana_plan.patient, log_id=logged.pk, settled="later")
    logged.refresh_from_db()
    assert logged.pain_lasted_hours == Decimal("12.0")
    assert logged.pain_duration == "not_settled"  # what the patient said at the time stays
    assert logged.pain_response == engine.PainResponse.RED
    assert result.alert is None
    with pytest.raises(DomainError, match="already told us"):
        session_pain_follow_up(patient=ana_plan.patient, log_id=logged.pk, settled="within_2h")
    assert PainFollowUp.objects.count() == 1


def test_follow_up_that_makes_a_session_severe_raises_the_alert_then(ana_plan):
    day = ana_plan.start_date + timedelta(days=15)
    logged = log(ana_plan, day, pain=7, pain_duration="not_settled")
    assert logged.alert is None
    result = session_pain_follow_up(
        patient=ana_plan.patient, log_id=logged.log.pk, settled="next_day"
    )
    assert result.alert.kind == AlertKind.SEVERE_PAIN
    assert result.alert.session_log_id == logged.log.pk


def test_follow_up_redecides_a_week_that_has_closed(ana):
    start = date.today() - timedelta(days=8)  # week 1 closed yesterday; today is in week 2
    plan = approve(ana, start=start, sessions_per_week=1, target=60)
    logged = log(
        plan, start + timedelta(days=6), pain_before=1, pain=3, pain_duration="not_settled"
    )
    plan_close_weeks(plan=plan, today=date.today())
    week2 = PlanWeek.objects.get(plan=plan, week=2)
    assert week2.decision == engine.Decision.PROGRESS

    session_pain_follow_up(patient=ana, log_id=logged.log.pk, settled="next_day")
    week2.refresh_from_db()
    assert week2.decision == engine.Decision.REDUCE
    assert week2.minutes == 10


def test_follow_up_refuses_another_patients_session_and_an_answered_one(ana_plan, ben_plan):
    day = ana_plan.start_date + timedelta(days=15)
    answered = log(ana_plan, day, pain_duration="within_2h").log
    with pytest.raises(DomainError, match="No such session"):
        session_pain_follow_up(patient=ben_plan.patient, log_id=answered.pk, settled="later")
    with pytest.raises(DomainError, match="already answered"):
        session_pain_follow_up(patient=ana_plan.patient, log_id=answered.pk, settled="later")
    with pytest.raises(DomainError, match="Choose when"):
        session_pain_follow_up(patient=ana_plan.patient, log_id=answered.pk, settled="soon")
    assert not PainFollowUp.objects.exists()


# --- symptom reports in every plan state --------------------------------------------------------


def _state(patient, state: str):
    """Put `patient` in one plan state: waiting for clearance, active, paused or completed."""
    if state == "waiting":
        return None
    plan = approve(patient, start=date.today() - timedelta(days=3))
    if state in ("paused", "completed"):
        plan_pause(plan=plan, actor=patient.clinician, reason="Seen in clinic; pausing for now.")
    if state == "completed":
        plan_resume(plan=plan, actor=patient.clinician, start_minutes=10, today=date.today())
        plan.refresh_from_db()
        assert plan.status == PlanStatus.COMPLETED
        Plan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).update(
            status=PlanStatus.COMPLETED
        )
    return plan


@pytest.mark.parametrize("state", ["waiting", "active", "paused", "completed"])
def test_a_warning_sign_reported_without_a_session_alerts_in_every_state(ana, state):
    _state(ana, state)
    report, alert = symptom_report_create(patient=ana, red_flags=["weakness"])
    assert report.red_flags == ["weakness"]
    assert (alert.kind, alert.tier) == (AlertKind.WARNING_SIGN, AlertTier.SAME_DAY)
    assert alert.symptom_report_id == report.pk and alert.session_log_id is None
    open_plan = Plan.objects.filter(
        patient=ana, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED]
    ).first()
    assert report.plan_id == (open_plan.pk if open_plan else None)
    if state in ("active", "paused"):
        open_plan.refresh_from_db()
        assert open_plan.status == PlanStatus.PAUSED
    assert not Plan.objects.filter(patient=ana, status=PlanStatus.ACTIVE).exists()


def test_pain_now_of_nine_alone_raises_a_severe_alert_and_eight_none(ana_plan):
    _, alert = symptom_report_create(patient=ana_plan.patient, pain_now=8)
    assert alert is None
    _, alert = symptom_report_create(patient=ana_plan.patient, pain_now=9)
    assert alert.kind == AlertKind.SEVERE_PAIN
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE
    assert SymptomReport.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "pain_now"),
        ({"pain_now": 11}, "pain_now"),
        ({"red_flags": ["headache"]}, "red_flags"),
    ],
)
def test_a_report_with_nothing_to_report_or_bad_values_stores_nothing(ana_plan, fields, field):
    with pytest.raises(DomainError) as refused:
        symptom_report_create(patient=ana_plan.patient, **fields)
    assert refused.value.field == field
    assert not SymptomReport.objects.exists() and not Alert.objects.exists()


def test_the_same_report_sent_twice_is_stored_once(ana_plan):
    import uuid

    token = uuid.uuid4()
    first = symptom_report_create(
        patient=ana_plan.patient, red_flags=["fall"], submission_token=token
    )
    again = symptom_report_create(
        patient=ana_plan.patient, red_flags=["fall"], submission_token=token
    )
    assert first[0].pk == again[0].pk and first[1].pk == again[1].pk
    assert SymptomReport.objects.count() == 1 and Alert.objects.count() == 1


def test_reports_are_append_only_on_postgresql(ana_plan, postgres):
    from django.db import IntegrityError, transaction

    report, _ = symptom_report_create(patient=ana_plan.patient, pain_now=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        SymptomReport.objects.filter(pk=report.pk).update(pain_now=0)


# --- escalation to the on-call inbox ------------------------------------------------------------


def same_day_alert(plan: Plan) -> Alert:
    return log(plan, plan.start_date + timedelta(days=15), red_flags=["fever"]).alert


def test_a_same_day_alert_escalates_once_after_the_hours_pass(ana_plan):
    alert = same_day_alert(ana_plan)
    created = alert.created_at
    assert alerts_escalate_due(now=created + timedelta(hours=3, minutes=59)) == 0
    assert mail.outbox == []

    due = created + timedelta(hours=4)
    assert alerts_escalate_due(now=due) == 1
    assert alerts_escalate_due(now=due + timedelta(minutes=5)) == 0  # the beat again: nothing
    assert alert_escalate(alert.pk, now=due + timedelta(minutes=6)) is False  # a retried task
    assert [m.to for m in mail.outbox] == [[ON_CALL]]
    alert.refresh_from_db()
    assert alert.escalated_at == due
    assert alert.escalation_attempts == 1


def test_an_acknowledged_same_day_alert_never_escalates(ana_plan, dr_cho):
    from plans.services import alert_acknowledge

    alert = same_day_alert(ana_plan)
    alert_acknowledge(alert=alert, actor=dr_cho, outcome="spoke_advised")
    assert alerts_escalate_due(now=alert.created_at + timedelta(days=1)) == 0
    assert mail.outbox == []


def test_an_emergency_goes_on_call_at_once_even_once_acknowledged(ana_plan, dr_cho):
    from plans.services import alert_acknowledge

    alert = log(ana_plan, ana_plan.start_date + timedelta(days=15), red_flags=["fainting"]).alert
    alert_acknowledge(alert=alert, actor=dr_cho, outcome="spoke_advised")
    assert alerts_escalate_due(now=alert.created_at) == 1
    assert mail.outbox[0].to == [ON_CALL]
    assert mail.outbox[0].subject.startswith("Urgent:")


def test_without_an_on_call_inbox_nothing_is_marked_sent(ana_plan, settings):
    settings.CLINIC_ALERT_EMAIL = ""
    alert = same_day_alert(ana_plan)
    later = alert.created_at + timedelta(hours=5)
    assert alerts_escalate_due(now=later) == 0
    alert.refresh_from_db()
    assert alert.escalated_at is None
    settings.CLINIC_ALERT_EMAIL = ON_CALL  # set later: the next pass sends it
    assert alerts_escalate_due(now=later) == 1


def test_escalation_emails_carry_no_health_details(ana_plan):
    day = ana_plan.start_date + timedelta(days=15)
    alerts = [
        log(ana_plan, day, pain=9, notes="My back is on fire").alert,
        symptom_report_create(patient=ana_plan.patient, red_flags=["saddle_numbness"])[1],
    ]
    assert [a.kind for a in alerts] == [AlertKind.SEVERE_PAIN, AlertKind.WARNING_SIGN]
    assert alerts_escalate_due(now=timezone.now() + timedelta(hours=5)) == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = " ".join([message.subject, message.body, message.alternatives[0][0]]).lower()
        for word in ("pain", "numbness", "saddle", "fire", "injection", "fusion", "9/10"):
            assert word not in text, word
        assert ana_plan.patient.user.first_name not in message.body
        assert f"/clinic/patients/{ana_plan.patient_id}/" in message.body


@pytest.mark.django_db(transaction=True)
def test_two_escalation_passes_at_once_send_one_email(ana_plan, postgres):
    """Two beats (or a beat and a retried task) at the same moment: the row lock decides."""
    alert = same_day_alert(ana_plan)
    due = alert.created_at + timedelta(hours=4)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(alerts_escalate_due(now=due))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert [m.to for m in mail.outbox if m.to == [ON_CALL]] == [[ON_CALL]], [
        (m.to, m.subject) for m in mail.outbox
    ]
    assert connection.vendor == "postgresql"


def test_an_emergency_whose_task_was_never_queued_is_sent_by_the_next_beat_pass(ana_plan):
    """With Redis down when the alert was raised, its on-commit task is never queued (here: the
    test's transaction never commits, so it never runs). The beat's pass reads the rows and
    sends in process, so the outage delays the on-call e-mail and never loses it. The same with
    a real Redis stopped and a real worker: tests/test_celery_worker.py."""
    alert = log(ana_plan, ana_plan.start_date + timedelta(days=15), red_flags=["both_legs"]).alert
    assert alert.escalated_at is None
    assert alerts_escalate_due(now=timezone.now()) == 1
    assert mail.outbox[0].to == [ON_CALL]


# --- closing weeks reads the week before (v) ----------------------------------------------------


def _add(plan: Plan, week: int, **values) -> None:
    SessionLog.objects.create(
        plan=plan,
        date=plan.start_date + timedelta(days=7 * (week - 1)),
        week=week,
        activity="walking",
        **{"minutes": 15, "pain_before": 1, "pain": 1, **values},
    )


@pytest.fixture
def fresh_plan(ana):
    return approve(ana, start=date.today() - timedelta(days=30), sessions_per_week=1, target=60)


def test_a_second_red_week_closed_on_its_own_is_repeated_pain(fresh_plan):
    plan = fresh_plan
    _add(plan, 1, pain=8)
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=7))
    _add(plan, 2, minutes=10, pain=8)
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=14))  # reads week 1 too
    week3 = PlanWeek.objects.get(plan=plan, week=3)
    assert (week3.decision, week3.minutes, week3.review) == ("reduce", 10, "repeated_pain")


def test_one_empty_week_after_a_logged_one_holds_rather_than_returns(fresh_plan):
    plan = fresh_plan
    _add(plan, 1)
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=7))
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=14))
    assert PlanWeek.objects.get(plan=plan, week=3).decision == "hold"
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=21))
    week4 = PlanWeek.objects.get(plan=plan, week=4)
    assert (week4.decision, week4.minutes) == ("return", 15)


def test_overdoing_holds_and_is_stored_for_review(fresh_plan):
    plan = fresh_plan
    _add(plan, 1, minutes=31)  # more than twice the 15 prescribed
    plan_close_weeks(plan=plan, today=plan.start_date + timedelta(days=7))
    week2 = PlanWeek.objects.get(plan=plan, week=2)
    assert (week2.decision, week2.minutes, week2.review) == ("hold", 15, "overdoing")
