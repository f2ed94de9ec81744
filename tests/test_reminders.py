"""Weekly reminders: when they fall due, the claim, the send, retries, opting out, the e-mail.

Run on SQLite and on PostgreSQL; the tests that race two passes need PostgreSQL's row locks.
"""

from __future__ import annotations

import re
import threading
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail, signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans import reminders
from plans.emails import alert_email
from plans.models import PlanStatus, PlanWeek, RedFlag, Reminder, ReminderStatus, SessionLog
from plans.services import plan_pause
from plans.tasks import send_due_reminders, send_reminder_batch
from recovery.models import AuditEvent, ClearanceStatus, PatientProfile, User
from tests.conftest import make_user
from tests.support import NEW_YORK, START, SMTPSink, at, enrol, free_port, use_smtp


def run(now: datetime) -> str:
    out = StringIO()
    call_command("send_due_reminders", "--now", now.isoformat(), stdout=out)
    return out.getvalue()


def counts(output: str) -> tuple[int, int]:
    found = re.search(r"Claimed (\d+) reminders?, sent (\d+)", output)
    assert found, output
    return int(found[1]), int(found[2])


# --- a real SMTP server that answers as told -----------------------------------------------------


# --- when a reminder is due (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("week_start", "weekday", "hour", "expected"),
    [
        (date(2026, 11, 30), 0, 9, datetime(2026, 11, 30, 9)),  # Monday week, Monday choice
        (date(2026, 11, 30), 2, 18, datetime(2026, 12, 2, 18)),  # later in the week
        (date(2026, 12, 2), 0, 9, datetime(2026, 12, 7, 9)),  # week starts Wednesday: day 6
        (date(2026, 12, 2), 2, 0, datetime(2026, 12, 2, 0)),  # the week's very first hour
        (date(2026, 12, 2), 1, 23, datetime(2026, 12, 8, 23)),  # the week's last day
    ],
)
def test_due_moment_is_the_first_chosen_weekday_and_hour_in_the_week(
    week_start, weekday, hour, expected
):
    due = reminders.reminder_due_at(week_start=week_start, weekday=weekday, hour=hour, tz=NEW_YORK)
    assert due == expected.replace(tzinfo=NEW_YORK)
    assert week_start <= due.date() < week_start + timedelta(days=7)


def test_due_moment_is_on_the_patients_clock_across_daylight_saving():
    # New York springs forward on Sunday 14 March 2027: 09:00 is 13:00 UTC, no longer 14:00.
    before = reminders.reminder_due_at(week_start=date(2027, 3, 7), weekday=6, hour=9, tz=NEW_YORK)
    after = reminders.reminder_due_at(week_start=date(2027, 3, 14), weekday=6, hour=9, tz=NEW_YORK)
    assert before.astimezone(zoneinfo.ZoneInfo("UTC")).hour == 14
    assert after.astimezone(zoneinfo.ZoneInfo("UTC")).hour == 13


# --- the due pass --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_due_before_the_chosen_hour_then_sent_once(dr_cho):
    plan = enrol("ana", dr_cho, first="Ana")
    assert counts(run(at(START, 8, 59))) == (0, 0)
    assert mail.outbox == []
    assert counts(run(at(START, 9, 0))) == (1, 1)
    reminder = Reminder.objects.get(plan=plan)
    assert (reminder.week, reminder.status, reminder.attempts) == (1, ReminderStatus.SENT, 1)
    assert reminder.sent_at is not None
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]


@pytest.mark.django_db
def test_job_run_twice_sends_one_reminder_per_plan_week(dr_cho, dr_dev):
    enrol("ana", dr_cho)
    enrol("ben", dr_dev, hour=7)
    now = at(START, 10)
    assert counts(run(now)) == (2, 2)
    assert counts(run(now)) == (0, 0)
    assert counts(run(now + timedelta(hours=5))) == (0, 0)
    assert Reminder.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ben@example.org"]
    # The next week brings the next reminder, once.
    assert counts(run(at(START + timedelta(days=7), 10))) == (2, 2)
    assert counts(run(at(START + timedelta(days=7), 10, 15))) == (0, 0)
    assert sorted(Reminder.objects.values_list("week", flat=True)) == [1, 1, 2, 2]


@pytest.mark.django_db
def test_each_patient_is_reminded_on_their_own_clock(dr_cho):
    enrol("ana", dr_cho, tz="America/New_York")  # Monday 09:00 New York = 14:00 UTC
    enrol("kei", dr_cho, tz="Asia/Tokyo")  # Monday 09:00 Tokyo = 00:00 UTC
    utc = zoneinfo.ZoneInfo("UTC")
    assert counts(run(datetime(2026, 11, 29, 23, 59, tzinfo=utc))) == (0, 0)
    assert counts(run(datetime(2026, 11, 30, 0, 0, tzinfo=utc))) == (1, 1)
    assert mail.outbox[-1].to == ["kei@example.org"]
    assert counts(run(datetime(2026, 11, 30, 13, 59, tzinfo=utc))) == (0, 0)
    assert counts(run(datetime(2026, 11, 30, 14, 0, tzinfo=utc))) == (1, 1)
    assert mail.outbox[-1].to == ["ana@example.org"]


@pytest.mark.django_db
def test_a_week_that_starts_midweek_is_reminded_on_the_next_chosen_day(dr_cho):
    wednesday = date(2026, 12, 2)
    plan = enrol("ana", dr_cho, start=wednesday, weekday=0, hour=9)
    assert counts(run(at(wednesday, 10))) == (0, 0)  # Monday 09:00 has not come in week 1
    assert counts(run(at(date(2026, 12, 7), 8))) == (0, 0)
    assert counts(run(at(date(2026, 12, 7), 9))) == (1, 1)  # week 1's Monday
    assert counts(run(at(date(2026, 12, 9), 9))) == (0, 0)  # week 2 began; Monday not yet
    assert counts(run(at(date(2026, 12, 14), 9))) == (1, 1)
    assert list(plan.reminders.order_by("week").values_list("week", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_a_missed_due_moment_is_caught_up_within_the_week_but_never_after(dr_cho):
    plan = enrol("ana", dr_cho)  # Monday 09:00
    # The job was down all Monday; Thursday's run still reminds about this week.
    assert counts(run(at(START + timedelta(days=3), 12))) == (1, 1)
    assert plan.reminders.get().week == 1
    # It was down for all of week 2: week 3's run reminds about week 3 only.
    assert counts(run(at(START + timedelta(days=14), 9))) == (1, 1)
    assert sorted(plan.reminders.values_list("week", flat=True)) == [1, 3]


@pytest.mark.django_db
def test_no_reminder_without_opt_in_an_active_plan_and_clearance(dr_cho, dr_dev):
    opted_out = enrol("ana", dr_cho)
    PatientProfile.objects.filter(pk=opted_out.patient_id).update(reminders_enabled=False)
    paused = enrol("ben", dr_dev)
    plan_pause(plan=paused, actor=dr_dev, reason="Seen in clinic; waiting for a scan.")
    not_started = enrol("cai", dr_cho, start=START + timedelta(days=7))
    revoked = enrol("dan", dr_cho)
    from recovery.models import Clearance

    Clearance.objects.filter(pk=revoked.clearance_id).update(status=ClearanceStatus.REVOKED)
    assert counts(run(at(START, 12))) == (0, 0)
    assert not Reminder.objects.exists()
    assert mail.outbox == []
    assert not_started.reminders.count() == 0


@pytest.mark.django_db
def test_the_job_closes_finished_weeks_first_and_mails_this_weeks_prescription(dr_cho):
    plan = enrol("ana", dr_cho, first="Ana")
    assert list(plan.weeks.values_list("week", flat=True)) == [1]
    for day in (START, START + timedelta(days=2), START + timedelta(days=4)):
        SessionLog.objects.create(plan=plan, date=day, week=1, activity="walking", minutes=15)
    output = run(at(START + timedelta(days=14), 9, 30))  # week 3
    assert counts(output) == (1, 1)
    assert "closed 1" in output
    weeks = dict(plan.weeks.values_list("week", "minutes"))
    assert sorted(weeks) == [1, 2, 3]
    reminder = plan.reminders.get()
    assert reminder.week == 3
    third = PlanWeek.objects.get(plan=plan, week=3)
    body = mail.outbox[0].body
    assert (
        f"week 3 of your StepWise plan: {third.sessions_per_week} sessions of "
        f"{third.minutes} minutes this week" in body
    )


@pytest.mark.django_db
def test_a_stop_found_while_closing_means_no_reminder(dr_cho):
    plan = enrol("ana", dr_cho)
    # A warning sign in a closed week (written past the service, as an import would).
    SessionLog.objects.create(
        plan=plan, date=START, week=1, activity="walking", minutes=15, red_flags=["fever"]
    )
    assert counts(run(at(START + timedelta(days=7), 10))) == (0, 0)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_claim_no_longer_wanted_is_withdrawn_not_sent(dr_cho):
    plan = enrol("ana", dr_cho)
    reminders.reminders_claim([(plan.pk, 1)])
    PatientProfile.objects.filter(pk=plan.patient_id).update(reminders_enabled=False)
    result = reminders.reminders_send_pending(plan_ids=[plan.pk], now=at(START, 10))
    assert (result.sent, result.withdrawn) == (0, 1)
    assert not Reminder.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_reminder_not_delivered_in_its_week_is_failed_not_sent_late(dr_cho):
    plan = enrol("ana", dr_cho)
    reminders.reminders_claim([(plan.pk, 1)])
    next_week = at(START + timedelta(days=7), 8)  # before week 2's own due moment
    result = reminders.reminders_send_pending(plan_ids=[plan.pk], now=next_week)
    assert (result.sent, result.failed) == (0, 1)
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.FAILED
    assert "Week ended" in reminder.last_error
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_beat_task_fans_out_batches_and_sends(dr_cho, dr_dev, settings):
    """The suite runs tasks in process (no broker): the task path is the command's path."""
    settings.REMINDER_BATCH_SIZE = 1
    enrol("ana", dr_cho)
    enrol("ben", dr_dev)
    result = send_due_reminders.delay(at(START, 10).isoformat()).get()
    assert result["batches"] == 2
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 2
    assert len(mail.outbox) == 2
    assert send_reminder_batch.delay([1], at(START, 10).isoformat()).get()["sent"] == 0


def test_the_tasks_are_safe_to_repeat_and_beat_runs_the_job_every_15_minutes():
    for task in (send_due_reminders, send_reminder_batch):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.max_retries == 5
        assert task.retry_backoff_max <= 600  # never a long ETA
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]
    assert entry["task"] == "plans.tasks.send_due_reminders"
    assert entry["schedule"].minute == {0, 15, 30, 45}
    assert django_settings.REMINDER_LEASE_SECONDS > django_settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
def test_command_refuses_a_moment_without_an_offset():
    with pytest.raises(CommandError, match="UTC offset"):
        call_command("send_due_reminders", "--now", "2026-12-01T09:00:00")


@pytest.mark.django_db
def test_a_due_pass_costs_the_same_queries_for_5_or_35_reminders(dr_cho):
    """Scan page, batch read, one claim INSERT, then per send batch one locked read, one stamp,
    one query per REMINDER_NOTICES entry ("a questionnaire is waiting") and one mark: no query
    per patient."""
    for n in range(40):
        enrol(f"p{n:02d}", dr_cho, hour=9 if n < 5 else 12)
    with CaptureQueriesContext(connection) as five:
        assert reminders.reminders_due_pass(now=at(START, 10)).sent == 5
    with CaptureQueriesContext(connection) as thirty_five:
        assert reminders.reminders_due_pass(now=at(START, 13)).sent == 35
    notices = len(django_settings.REMINDER_NOTICES)
    assert len(five) == len(thirty_five) <= 9 + notices, [q["sql"][:60] for q in thirty_five]
    assert len(mail.outbox) == 40


@pytest.mark.django_db
def test_a_row_in_flight_is_left_to_its_sender_until_the_lease_runs_out(dr_cho, settings):
    """A sender that died mid-batch left its rows stamped: nobody sends them before the lease
    ends (the sender might still be alive), a later pass does after."""
    settings.REMINDER_LEASE_SECONDS = 600
    plan = enrol("ana", dr_cho)
    now = at(START, 10)
    reminders.reminders_claim([(plan.pk, 1)])
    Reminder.objects.update(attempts=1, next_attempt_at=now + timedelta(seconds=600))
    assert counts(run(now + timedelta(seconds=590))) == (0, 0)
    assert counts(run(now + timedelta(seconds=601))) == (0, 1)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 2)
    assert len(mail.outbox) == 1


# --- the e-mail ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminder_email_has_the_week_the_links_and_list_unsubscribe(dr_cho):
    plan = enrol("ana", dr_cho, first="Ana")
    run(at(START, 9))
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    week = plan.weeks.get(week=1)
    assert message.subject == "Your StepWise plan for week 1"
    log_link = django_settings.SITE_URL + "/me/sessions/new/"
    opt_out = reminders.opt_out_url(plan.patient_id)
    for part in (message.body, html):
        assert "Ana" in part
        assert f"{week.sessions_per_week} sessions of {week.minutes} minutes" in re.sub(
            r"<[^>]+>", "", part
        )
        assert log_link in part
        assert opt_out in part
    assert message.extra_headers["List-Unsubscribe"] == f"<{opt_out}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = message.message()
    assert raw["List-Unsubscribe"] == f"<{opt_out}>"


@pytest.mark.django_db
def test_no_diagnosis_treatment_pain_or_symptom_in_any_email(dr_cho):
    """Ana had a fusion and has logged pain and warning signs: none of it may leave in e-mail."""
    plan = enrol("ana", dr_cho, first="Ana", treatment="Lumbar fusion")
    SessionLog.objects.create(
        plan=plan,
        date=START,
        week=1,
        activity="walking",
        minutes=10,
        pain=8,
        pain_lasted_hours=Decimal("3.0"),
        sharp_pain=True,
        red_flags=[RedFlag.SADDLE_NUMBNESS, RedFlag.FEVER],
        notes="Sharp pain in my lower back and numbness",
    )
    run(at(START, 9))
    clinician = alert_email(
        clinician_email="drcho@example.org",
        clinician_name="Dr Cho",
        patient_id=plan.patient_id,
        urgent=True,
    )
    forbidden = [
        "Lumbar fusion",
        "fusion",
        "surgical",
        "pain",
        "numbness",
        "fever",
        "saddle",
        "red flag",
        *RedFlag.labels,
        *RedFlag.values,
    ]
    assert len(mail.outbox) == 1
    for message in (mail.outbox[0], clinician):
        parts = {
            "subject": message.subject,
            "text": message.body,
            "html": message.alternatives[0][0],
            "headers": str(message.extra_headers),
        }
        for name, text in parts.items():
            for word in forbidden:
                assert word.lower() not in text.lower(), f"{word!r} in the {name}"


# --- opting out with the signed link -------------------------------------------------------------


@pytest.mark.django_db
def test_opt_out_link_get_asks_and_changes_nothing(client, dr_cho):
    plan = enrol("ana", dr_cho)
    url = reminders.opt_out_url(plan.patient_id).removeprefix(django_settings.SITE_URL)
    response = client.get(url)
    assert response.status_code == 200
    assert b"Stop weekly reminders?" in response.content
    assert b'method="post"' in response.content
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert PatientProfile.objects.get(pk=plan.patient_id).reminders_enabled is True


@pytest.mark.django_db
def test_opt_out_button_posts_and_stops_reminders(dr_cho):
    plan = enrol("ana", dr_cho)
    url = reminders.opt_out_url(plan.patient_id).removeprefix(django_settings.SITE_URL)
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(url)
    assert response.status_code == 200
    assert b"Reminders stopped" in response.content
    assert PatientProfile.objects.get(pk=plan.patient_id).reminders_enabled is False
    event = AuditEvent.objects.get(action="reminders_opt_out")
    assert (event.patient_id, event.actor_id, event.detail) == (
        plan.patient_id,
        None,
        {"via": "email_link"},
    )
    assert browser.post(url).status_code == 200  # again: still off, no second event
    assert AuditEvent.objects.filter(action="reminders_opt_out").count() == 1
    assert counts(run(at(START, 10))) == (0, 0)


@pytest.mark.django_db
def test_rfc8058_one_click_post_from_the_email_header(dr_cho):
    """A mail app posts `List-Unsubscribe=One-Click` to the header's URL: no cookie, no token."""
    plan = enrol("ana", dr_cho)
    run(at(START, 9))
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    url = header.strip("<>").removeprefix(django_settings.SITE_URL)
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert PatientProfile.objects.get(pk=plan.patient_id).reminders_enabled is False
    assert AuditEvent.objects.get(action="reminders_opt_out").detail == {"via": "one_click"}
    assert counts(run(at(START + timedelta(days=7), 9))) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_token",
    [
        lambda pk: reminders.opt_out_token(pk)[:-2] + "xx",  # tampered signature
        lambda pk: (
            signing.b64_encode(b"99999").decode() + ":" + reminders.opt_out_token(pk).split(":")[1]
        ),  # another id under this signature
        lambda pk: signing.Signer().sign_object(pk),  # no salt: some other signed value
        lambda pk: signing.Signer(salt="other.purpose").sign_object(pk),
        lambda pk: signing.Signer(salt=reminders.OPT_OUT_SALT).sign_object({"patient": pk}),
        lambda pk: signing.Signer(salt=reminders.OPT_OUT_SALT).sign_object(987654),  # no one
        lambda pk: "garbage",
    ],
)
def test_opt_out_refuses_a_link_it_did_not_make(client, dr_cho, make_token):
    plan = enrol("ana", dr_cho)
    url = f"/reminders/stop/{make_token(plan.patient_id)}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert PatientProfile.objects.get(pk=plan.patient_id).reminders_enabled is True


@pytest.mark.django_db
def test_the_opt_out_token_holds_only_the_patient_id(dr_cho):
    plan = enrol("ana", dr_cho)
    token = reminders.opt_out_token(plan.patient_id)
    payload = signing.b64_decode(token.split(":")[0].encode())
    assert payload == str(plan.patient_id).encode()
    assert reminders.opt_out_patient_id(token) == plan.patient_id
    assert Client().put(f"/reminders/stop/{token}/").status_code == 405


# --- a mail server that fails --------------------------------------------------------------------


@pytest.mark.smtp
@pytest.mark.django_db
def test_smtp_refusing_keeps_rows_pending_then_retries_with_backoff(dr_cho, dr_dev, settings):
    enrol("ana", dr_cho)
    enrol("ben", dr_dev)
    now = at(START, 10)
    with SMTPSink(reply="451 4.3.0 Try again later") as sink:
        use_smtp(settings, sink.port)
        output = run(now)
        assert counts(output) == (2, 0)
        assert sink.refused == 2 and sink.messages == []
    rows = list(Reminder.objects.order_by("pk"))
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {
        (ReminderStatus.PENDING, 1, "SMTPDataError 451")
    }
    assert all(r.next_attempt_at >= now + timedelta(minutes=5) for r in rows)
    with SMTPSink() as sink:
        use_smtp(settings, sink.port)
        assert counts(run(now + timedelta(minutes=2))) == (0, 0)  # backing off
        assert sink.messages == []
        assert counts(run(now + timedelta(minutes=15))) == (0, 2)
        assert sorted(sink.recipients()) == ["ana@example.org", "ben@example.org"]
    assert set(Reminder.objects.values_list("status", "attempts", "last_error")) == {
        (ReminderStatus.SENT, 2, "")
    }


@pytest.mark.smtp
@pytest.mark.django_db
def test_smtp_unreachable_keeps_rows_pending_and_gives_up_after_the_cap(dr_cho, settings):
    settings.REMINDER_MAX_ATTEMPTS = 3
    plan = enrol("ana", dr_cho)
    use_smtp(settings, free_port())  # nothing listens there
    now = at(START, 10)
    for attempt in (1, 2):
        assert counts(run(now))[1] == 0
        reminder = plan.reminders.get()
        assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, attempt)
        assert reminder.last_error == "ConnectionRefusedError"
        now = reminder.next_attempt_at + timedelta(seconds=1)
    output = run(now)
    assert "failed 1" in output
    reminder = plan.reminders.get()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 3)
    assert reminder.next_attempt_at is None
    # Failed stays failed: no further attempt, and the same week is not claimed again.
    assert counts(run(now + timedelta(hours=3))) == (0, 0)
    assert plan.reminders.count() == 1


@pytest.mark.smtp
@pytest.mark.django_db
def test_a_refused_message_does_not_stop_the_rest_of_the_batch(dr_cho, settings):
    enrol("ana", dr_cho)
    enrol("ben", dr_cho)
    with SMTPSink(refuse={"ben@example.org"}) as sink:
        use_smtp(settings, sink.port)
        output = run(at(START, 10))
    assert counts(output) == (2, 1)
    assert sink.recipients() == ["ana@example.org"]
    ben = Reminder.objects.get(plan__patient__user__username="ben")
    assert (ben.status, ben.last_error) == (ReminderStatus.PENDING, "SMTPRecipientsRefused")


# --- two passes at once --------------------------------------------------------------------------


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_send_one_reminder_per_plan_week(postgres, settings):
    """Two threads, two connections, released together: the unique row and the row locks decide."""
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    plans = [enrol(f"p{n:02d}", clinician) for n in range(24)]
    settings.REMINDER_SEND_BATCH = 5
    now = at(START, 10)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one_pass() -> None:
        try:
            barrier.wait(10)
            results.append(reminders.reminders_due_pass(now=now))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    with SMTPSink(delay=0.01) as sink:
        use_smtp(settings, sink.port)
        threads = [threading.Thread(target=one_pass) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert Reminder.objects.count() == len(plans)
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == len(plans)
    recipients = sink.recipients()
    assert sorted(recipients) == sorted(f"p{n:02d}@example.org" for n in range(24))
    assert sum(r.sent for r in results) == len(plans)


@pytest.mark.django_db(transaction=True)
def test_two_batches_of_the_same_plans_at_once_claim_and_send_once(postgres):
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    plans = [enrol(f"p{n:02d}", clinician) for n in range(12)]
    ids = [p.pk for p in plans]
    now = at(START, 10)
    barrier = threading.Barrier(3)
    results = []

    def batch() -> None:
        try:
            barrier.wait(10)
            results.append(reminders.reminders_process_batch(ids, now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=batch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 3
    assert Reminder.objects.count() == 12
    assert sum(r.sent for r in results) == 12
    reminded = [m.to[0] for m in mail.outbox if m.subject.startswith("Your StepWise plan")]
    assert sorted(reminded) == sorted(f"p{n:02d}@example.org" for n in range(12))


def test_reminder_settings_have_sane_defaults():
    assert reminders.batch_size() == 1000
    assert reminders.send_batch_size() == 250
    policy = reminders.retry_policy()
    assert policy.delay(1) == timedelta(minutes=5)
    assert policy.delay(3) == timedelta(minutes=20)
    assert policy.delay(10) == timedelta(hours=2)
    assert (policy.exhausted(5), policy.exhausted(6)) == (False, True)
    assert timezone.is_aware(reminders.Clock().now())


@pytest.mark.django_db
def test_a_disabled_account_gets_no_reminder(dr_cho):
    plan = enrol("ana", dr_cho)
    User.objects.filter(pk=plan.patient.user_id).update(is_active=False)
    assert counts(run(at(START, 10))) == (0, 0)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_claim_for_an_account_disabled_since_is_withdrawn(dr_cho):
    plan = enrol("ana", dr_cho)
    reminders.reminders_claim([(plan.pk, 1)])
    User.objects.filter(pk=plan.patient.user_id).update(is_active=False)
    result = reminders.reminders_send_pending(plan_ids=[plan.pk], now=at(START, 10))
    assert (result.sent, result.withdrawn) == (0, 1)
    assert mail.outbox == []
