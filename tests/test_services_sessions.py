"""session_log_create and what a warning sign sets off; alert_acknowledge.

Every refusal checks the message and that nothing was stored. Times are given explicitly as the
patient's local clock (`at(...)`), so the suite does not depend on when it runs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from plans import services
from plans.models import Alert, PauseCause, Plan, PlanStatus, RedFlag, SessionLog
from plans.services import alert_acknowledge, plan_pause, session_log_create
from plans.services import alerts as raising  # where a warning sign's steps are taken
from recovery.models import AuditEvent
from stepwise.celery import app as celery_app
from tests.support import clinical_snapshot, refused

DAY = 20  # Ana's plan started 20 days ago: day 20 is the last-but-one day of week 3.


def at(patient, day, hour: int = 12, minute: int = 0) -> datetime:
    """An aware moment on the patient's own clock."""
    return datetime.combine(day, time(hour, minute), tzinfo=patient.tz)


def log(plan: Plan, day_offset: int = DAY, *, today_offset: int | None = None, **fields):
    """Log a session `day_offset` days after the plan's start, as the patient on that day."""
    day = plan.start_date + timedelta(days=day_offset)
    today = plan.start_date + timedelta(days=DAY if today_offset is None else today_offset)
    values = {"activity": "walking", "minutes": 15, **fields}
    return session_log_create(patient=plan.patient, day=day, now=at(plan.patient, today), **values)


@pytest.fixture
def eager_celery():
    """Run queued tasks in process, so the e-mail lands in mail.outbox even when CI has Redis."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


# --- refusals -------------------------------------------------------------------------------------


def test_refuses_a_date_in_the_future(ana_plan):
    refused(
        lambda: log(ana_plan, DAY + 1, today_offset=DAY),
        "The date cannot be in the future.",
        field="date",
    )


def test_future_means_the_patients_own_today(ana_plan):
    """21:00 in New York is already tomorrow in UTC; tomorrow is still the future for Ana."""
    ana = ana_plan.patient
    evening = at(ana, ana_plan.start_date + timedelta(days=DAY), hour=21)
    tomorrow = ana_plan.start_date + timedelta(days=DAY + 1)
    assert evening.astimezone(UTC).date() == tomorrow
    assert services.patient_today(ana, evening) == tomorrow - timedelta(days=1)
    refused(
        lambda: session_log_create(
            patient=ana, day=tomorrow, activity="walking", minutes=15, now=evening
        ),
        "The date cannot be in the future.",
        field="date",
    )


def test_refuses_a_date_before_the_plan_started(ana_plan):
    refused(
        lambda: log(ana_plan, -1),
        f"Your plan started on {ana_plan.start_date:%-d %B %Y}; pick that day or later.",
        field="date",
    )


@pytest.mark.parametrize("activity", ["water", "running", "trampoline"])
def test_refuses_an_activity_not_in_the_plan(ana_plan, activity):
    refused(
        lambda: log(ana_plan, activity=activity),
        "That activity is not part of your plan yet.",
        field="activity",
    )


def test_refuses_when_the_plan_is_paused(ana_plan, dr_cho):
    plan_pause(plan=ana_plan, actor=dr_cho, reason="Waiting for the MRI results.")
    refused(
        lambda: log(ana_plan),
        "Your plan is paused, so sessions cannot be logged. Please talk to your care team.",
    )


def test_refuses_without_a_plan(ana):
    refused(
        lambda: session_log_create(
            patient=ana, day=ana.treatments.get().procedure_date, activity="walking", minutes=15
        ),
        "You do not have an exercise plan yet.",
    )


def test_refuses_on_a_completed_plan(ana_plan):
    Plan.objects.filter(pk=ana_plan.pk).update(status=PlanStatus.COMPLETED)
    refused(lambda: log(ana_plan), "You do not have an exercise plan yet.")


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"minutes": 0}, "Minutes must be between 1 and 300.", "minutes"),
        ({"minutes": 301}, "Minutes must be between 1 and 300.", "minutes"),
        ({"pain": -1}, "Pain must be between 0 and 10.", "pain"),
        ({"pain": 11}, "Pain must be between 0 and 10.", "pain"),
        ({"exertion": 5}, "Effort must be between 6 and 20.", "exertion"),
        ({"exertion": 21}, "Effort must be between 6 and 20.", "exertion"),
        (
            {"pain_lasted_hours": 72.1},
            "Hours of pain must be between 0 and 72.",
            "pain_lasted_hours",
        ),
        ({"pain_lasted_hours": -1}, "Hours of pain must be between 0 and 72.", "pain_lasted_hours"),
        ({"red_flags": ["numbness", "itchy_ears"]}, "Unknown warning sign.", "red_flags"),
    ],
)
def test_refuses_values_out_of_bounds(ana_plan, fields, message, field):
    refused(lambda: log(ana_plan, **fields), message, field=field)


@pytest.mark.parametrize(
    "fields",
    [
        {"minutes": 1, "pain": 0, "exertion": 6, "pain_lasted_hours": 0},
        {"minutes": 300, "pain": 10, "exertion": 20, "pain_lasted_hours": 72},
    ],
)
def test_accepts_the_bounds(ana_plan, fields):
    result = log(ana_plan, **fields)
    assert result.created
    result.log.refresh_from_db()
    assert result.log.minutes == fields["minutes"]
    assert result.log.pain == fields["pain"]
    assert result.log.exertion == fields["exertion"]
    assert result.log.pain_lasted_hours == Decimal(fields["pain_lasted_hours"])


# --- a normal session -----------------------------------------------------------------------------


def test_saves_the_session_with_its_week(ana_plan):
    result = log(
        ana_plan,
        activity="recumbent_bike",
        minutes=25,
        pain=3,
        pain_lasted_hours=1.25,
        exertion=12,
        notes="  Felt fine.  ",
    )
    assert result.created
    assert result.alert is None
    row = SessionLog.objects.get()
    assert row == result.log
    assert row.plan == ana_plan
    assert row.date == ana_plan.start_date + timedelta(days=DAY)
    assert row.week == 3
    assert (row.activity, row.minutes, row.pain, row.exertion) == ("recumbent_bike", 25, 3, 12)
    assert row.pain_lasted_hours == Decimal("1.2")  # one decimal place, as stored
    assert row.notes == "Felt fine."
    assert row.red_flags == []
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE


@pytest.mark.parametrize(("offset", "week"), [(0, 1), (6, 1), (7, 2), (13, 2), (14, 3), (20, 3)])
def test_the_week_follows_the_plans_start_date(ana_plan, offset, week):
    assert log(ana_plan, offset).log.week == week


def test_logging_closes_the_weeks_that_have_passed(ana_plan):
    log(ana_plan)
    weeks = list(ana_plan.weeks.values_list("week", "decision"))
    # Nothing logged in week 1: the engine holds at the start minutes. Nothing in weeks 1 and 2:
    # a return after a break, at the start minutes (never above what was prescribed).
    assert weeks == [(1, "start"), (2, "hold"), (3, "return")]
    assert ana_plan.weeks.get(week=3).minutes == ana_plan.start_minutes


def test_the_same_submission_twice_stores_one_session(ana_plan):
    token = uuid.uuid4()
    first = log(ana_plan, submission_token=token)
    second = log(ana_plan, submission_token=token, minutes=40)
    assert first.created
    assert not second.created
    assert second.log.pk == first.log.pk
    assert SessionLog.objects.count() == 1
    assert SessionLog.objects.get().minutes == 15
    assert SessionLog.objects.get().submission_token == token


def test_different_submissions_store_two_sessions(ana_plan):
    """Two forms with other answers are two sessions; a caller without a token (an import) is
    stored as given. (The same answers again under a new token within REPEAT_MINUTES are a
    repeat: tests/test_session_corrections.py.)"""
    log(ana_plan, submission_token=uuid.uuid4())
    log(ana_plan, submission_token=uuid.uuid4(), minutes=20)
    log(ana_plan)
    assert SessionLog.objects.count() == 3


def test_a_session_is_stamped_with_the_services_clock(ana_plan):
    """`created_at` is the `now` the service was given, the clock its repeat check and the
    correction window read it by: it was the wall clock, so a test's repeat check passed or failed
    by the hour of day it ran at."""
    moment = at(ana_plan.patient, ana_plan.start_date + timedelta(days=DAY), hour=7, minute=5)
    result = session_log_create(
        patient=ana_plan.patient,
        day=moment.date(),
        now=moment,
        activity="walking",
        minutes=15,
    )
    result.log.refresh_from_db()
    assert result.log.created_at == moment


# --- warning signs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "tier"),
    [
        (["numbness"], "same_day"),
        (["fall", "fever"], "same_day"),
        (["saddle_numbness"], "emergency"),
        (["numbness", "bladder_bowel", "fever"], "emergency"),
    ],
)
def test_a_warning_sign_alerts_pauses_and_stops_in_one_go(ana_plan, flags, tier):
    result = log(ana_plan, red_flags=flags, pain=4)

    assert Alert.objects.count() == 1
    alert = Alert.objects.get()
    assert result.alert == alert
    assert alert.tier == tier
    assert alert.flags == sorted(flags)
    assert alert.session_log == result.log
    assert alert.patient == ana_plan.patient
    assert alert.plan == ana_plan
    assert alert.acknowledged_at is None
    assert alert.email_sent_at is None  # delivery waits for the commit

    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    assert ana_plan.paused_at is not None
    day = result.log.date
    # The cause and its day are stored, not a sentence: the sentence is built when shown.
    assert (ana_plan.pause_cause, ana_plan.pause_day, ana_plan.pause_reason) == (
        PauseCause.WARNING_SIGN,
        day,
        "",
    )
    assert ana_plan.patient_pause_words == f"Warning sign reported on {day:%-d %B %Y}."

    stop = ana_plan.weeks.order_by("week").last()
    assert (stop.week, stop.decision, stop.minutes, stop.sessions_per_week) == (4, "stop", 0, 0)
    urgent = "an urgent warning sign" if tier == "emergency" else "a warning sign"
    assert urgent in stop.reason

    audit = AuditEvent.objects.get(action="alert_created")
    assert audit.object_id == str(alert.pk)
    assert audit.patient == ana_plan.patient
    assert audit.detail == {"tier": tier, "kind": "warning_sign"}
    assert AuditEvent.objects.filter(action="plan_pause", object_id=str(ana_plan.pk)).count() == 1


def test_a_warning_sign_reported_late_still_stops_the_coming_week(ana_plan):
    """A Sunday numbness logged on Monday: the week it belongs to has already closed."""
    result = log(ana_plan, DAY, today_offset=DAY + 1, red_flags=["numbness"])
    assert result.log.week == 3
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED
    weeks = list(ana_plan.weeks.values_list("week", "decision", "minutes"))
    assert weeks[-1] == (5, "stop", 0)
    assert [w for w, decision, _ in weeks if decision == "stop"] == [5]


def test_a_resubmitted_warning_sign_returns_the_first_alert(ana_plan):
    token = uuid.uuid4()
    first = log(ana_plan, red_flags=["fever"], submission_token=token)
    again = log(ana_plan, red_flags=["fever"], submission_token=token)
    assert not again.created
    assert again.log.pk == first.log.pk
    assert again.alert == first.alert
    assert Alert.objects.count() == 1
    assert ana_plan.weeks.filter(decision="stop").count() == 1


def test_a_refused_submission_with_a_new_token_is_still_refused(ana_plan):
    log(ana_plan, red_flags=["fever"], submission_token=uuid.uuid4())
    refused(lambda: log(ana_plan, submission_token=uuid.uuid4()), "Your plan is paused")


FORBIDDEN_WORDS = [
    "pain",
    "numb",
    "tingl",
    "fever",
    "wound",
    "bladder",
    "bowel",
    "saddle",
    "epidural",
    "steroid",
    "injection",
    "diagnos",
    "symptom",
]


def test_the_alert_email_goes_to_the_clinician_only_after_commit(
    ana_plan, dr_cho, eager_celery, django_capture_on_commit_callbacks
):
    flags = ["radiating_pain", "saddle_numbness", "wound"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = log(ana_plan, red_flags=flags, pain=8, sharp_pain=True, notes="Sciatica again")
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [dr_cho.email]
    assert message.subject.startswith("Urgent:")
    html = message.alternatives[0][0]
    assert f"/clinic/patients/{ana_plan.patient.pk}/" in message.body

    text = " ".join([message.subject, message.body, html]).lower()
    treatment = ana_plan.clearance.treatment.treatment_type
    for word in [*FORBIDDEN_WORDS, treatment.name.lower(), "sciatica"]:
        assert word not in text, word
    for flag in RedFlag:
        assert flag.value not in text
        assert flag.label.lower() not in text

    result.alert.refresh_from_db()
    assert result.alert.email_sent_at is not None


def test_a_same_day_alert_email_is_not_marked_urgent(
    ana_plan, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        log(ana_plan, red_flags=["fall"])
    assert len(mail.outbox) == 1
    assert not mail.outbox[0].subject.lower().startswith("urgent")
    assert "today" in mail.outbox[0].body


def test_no_email_while_the_transaction_is_open(ana_plan, eager_celery):
    # pytest-django's test transaction never commits, so on_commit never fires.
    log(ana_plan, red_flags=["fall"])
    assert Alert.objects.count() == 1
    assert mail.outbox == []


def test_a_session_without_a_sign_or_severe_pain_queues_no_email(
    ana_plan, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        log(ana_plan, pain=8)  # red (the week will be reduced), but not severe
    assert callbacks == []
    assert mail.outbox == []


def test_severe_pain_emails_the_clinician_without_saying_so(
    ana_plan, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        log(ana_plan, pain=9)
    assert [m.to for m in mail.outbox] == [[ana_plan.patient.clinician.email]]
    message = mail.outbox[0]
    assert "today" in message.body and "paused" not in message.body
    assert "pain" not in (message.subject + message.body).lower()


def _boom(*args, **kwargs):
    raise RuntimeError("database went away")


@pytest.mark.parametrize("step", ["alert", "stop_week", "pause", "audit"])
def test_a_failing_step_rolls_the_whole_log_back(
    ana_plan, monkeypatch, eager_celery, django_capture_on_commit_callbacks, step
):
    if step == "alert":
        monkeypatch.setattr(Alert.objects, "create", _boom)
    elif step == "stop_week":
        real = raising._week_create

        def week_create(plan, prescription):
            if prescription.decision == "stop":
                _boom()
            return real(plan, prescription)

        monkeypatch.setattr(raising, "_week_create", week_create)
    elif step == "pause":
        monkeypatch.setattr(raising, "_pause", _boom)
    else:
        real_audit = raising.audit

        def audit(action, **kwargs):
            if action == "alert_created":
                _boom()
            return real_audit(action, **kwargs)

        monkeypatch.setattr(raising, "audit", audit)

    # Weeks 2 and 3 would be closed by the log; close them first so "nothing changed" is exact.
    services.plan_close_weeks(plan=ana_plan, today=ana_plan.start_date + timedelta(days=DAY))
    before = clinical_snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="database went away"),
    ):
        log(ana_plan, red_flags=["calf_pain"])
    assert clinical_snapshot() == before
    assert not SessionLog.objects.exists()
    assert not Alert.objects.exists()
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.ACTIVE
    assert callbacks == []
    assert mail.outbox == []


# --- alert_acknowledge ----------------------------------------------------------------------------


@pytest.fixture
def alert(ana_plan) -> Alert:
    return log(ana_plan, red_flags=["fever"]).alert


def test_acknowledge_records_who_and_when(alert, dr_cho):
    acknowledged = alert_acknowledge(alert=alert, actor=dr_cho, outcome="spoke_advised")
    alert.refresh_from_db()
    assert alert.acknowledged_by == dr_cho
    assert alert.acknowledged_at is not None
    assert acknowledged.acknowledged_at == alert.acknowledged_at
    audit = AuditEvent.objects.get(action="alert_acknowledge")
    assert (audit.actor, audit.object_id) == (dr_cho, str(alert.pk))


def test_acknowledge_twice_is_refused(alert, dr_cho):
    alert_acknowledge(alert=alert, actor=dr_cho, outcome="spoke_advised")
    when = Alert.objects.get().acknowledged_at
    refused(
        lambda: alert_acknowledge(alert=alert, actor=dr_cho, outcome="spoke_advised"),
        "This alert was already closed.",
    )
    assert Alert.objects.get().acknowledged_at == when


def test_acknowledge_by_another_clinician_is_refused(alert, dr_dev):
    refused(
        lambda: alert_acknowledge(alert=alert, actor=dr_dev, outcome="spoke_advised"),
        "Only the patient's assigned clinician can close this alert.",
    )
    assert Alert.objects.get().acknowledged_at is None


@pytest.mark.parametrize(
    ("outcome", "note", "field", "message"),
    [
        ("", "", "outcome", "Choose what was done about this alert."),
        ("plan_ended", "", "outcome", "Choose what was done about this alert."),
        ("not_recorded", "", "outcome", "Choose what was done about this alert."),
        ("other", "   ", "note", "Say in the note what was done."),
        ("no_answer", "x" * 1001, "note", "The note can be at most 1,000 characters"),
    ],
)
def test_closing_needs_a_chosen_outcome_and_a_sane_note(
    alert, dr_cho, outcome, note, field, message
):
    refused(
        lambda: alert_acknowledge(alert=alert, actor=dr_cho, outcome=outcome, note=note),
        message,
        field,
    )
    assert Alert.objects.get().acknowledged_at is None


def test_ending_a_plan_closes_its_alerts_as_plan_ended(alert, ana_plan, dr_cho):
    from plans.services import patient_today, plan_resume

    ana_plan.refresh_from_db()
    plan_resume(
        plan=ana_plan, actor=dr_cho, start_minutes=10, today=patient_today(ana_plan.patient)
    )
    closed = Alert.objects.get()
    assert (closed.acknowledged_by, closed.outcome) == (dr_cho, "plan_ended")
