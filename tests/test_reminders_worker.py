"""Reminders with every moving part real: a Celery worker process on Redis, PostgreSQL, SMTP.

Redis database 11 belongs to these tests (flushed before and after each one).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from plans import services
from plans.models import Alert, Reminder, ReminderStatus
from plans.tasks import deliver_pending_alerts, send_due_reminders
from stepwise.celery import app
from tests.conftest import approve, make_patient, make_user
from tests.support import (
    START,
    SMTPSink,
    at,
    celery_worker,
    enrol,
    free_port,
    redis_database_for_this_process,
    reset_broker_connections,
    use_smtp,
    worker_env,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.smtp]

REDIS_DB = redis_database_for_this_process(11)


@pytest.fixture
def broker(redis_url, monkeypatch):
    """Returns `activate()`: from then on this process's Celery app sends to Redis database 11,
    on a queue of its own. Set up the data first: until then tasks run in process."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    server = redis.Redis.from_url(url)
    server.flushdb()
    queue = f"remind-{uuid.uuid4().hex[:8]}"

    def activate() -> tuple[str, str]:
        monkeypatch.setitem(app.conf, "broker_url", url)
        monkeypatch.setitem(app.conf, "task_always_eager", False)
        monkeypatch.setitem(app.conf, "task_default_queue", queue)
        reset_broker_connections()
        return url, queue

    yield activate
    monkeypatch.undo()
    reset_broker_connections()
    server.flushdb()  # a killed worker's unacknowledged messages must not outlive the test


def wait_until(condition, timeout: float = 60.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def sent_count() -> int:
    return Reminder.objects.filter(status=ReminderStatus.SENT).count()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_due_job_and_the_mail_arrives(postgres, broker):
    """Beat's task on Redis → the worker fans out batch tasks → SMTP → rows marked sent."""
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    plans = [enrol(f"p{n}", clinician, first=f"Pat{n}") for n in range(5)]
    url, queue = broker()
    now = at(START, 10).isoformat()
    with SMTPSink() as sink:
        env = worker_env(
            broker_url=url,
            smtp_port=sink.port,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            REMINDER_BATCH_SIZE="2",
        )
        with celery_worker(env, queue=queue) as (_process, _queue, lines):
            send_due_reminders.apply_async(args=[now], queue=queue)
            assert wait_until(lambda: sent_count() == 5, 60), "".join(lines[-40:])
            messages = sink.messages
            # Run again: nothing more to send.
            send_due_reminders.apply_async(args=[now], queue=queue)
            assert wait_until(
                lambda: (
                    sum("send_due_reminders" in line and "succeeded" in line for line in lines) == 2
                )
            ), "".join(lines[-40:])
            time.sleep(0.5)
        batches = [line for line in lines if "send_reminder_batch" in line and "succeeded" in line]
    assert len(batches) == 3  # five plans in batches of two: one task per batch, not per patient
    assert len(messages) == 5 == len(sink.messages)
    assert Reminder.objects.count() == 5
    by_recipient = {m["To"]: m for m in messages}
    assert sorted(by_recipient) == sorted(f"p{n}@example.org" for n in range(5))
    message = by_recipient["p3@example.org"]
    assert message["Subject"] == "Your StepWise plan for week 1"
    # A long header is folded on the wire; a reader unfolds it (RFC 5322 2.2.3).
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<http") and unsubscribe.endswith(">")
    assert "/reminders/stop/" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (part.get_payload(decode=True).decode() for part in message.get_payload())
    week = plans[3].weeks.get(week=1)
    for body in (text, html):
        assert "Pat3" in body
        assert "week 1" in body
        assert "/me/sessions/new/" in body
        assert unsubscribe.strip("<>") in body
    assert f"{week.sessions_per_week} sessions of {week.minutes} minutes" in text


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_then_restarted_loses_nothing(postgres, broker):
    """SIGKILL while the SMTP server is slow: the in-flight rows wait out their lease and are
    sent by the next run. Only the batch that was in flight may go out twice."""
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    patients = [f"p{n:02d}@example.org" for n in range(12)]
    for n in range(12):
        enrol(f"p{n:02d}", clinician)
    url, queue = broker()
    send_batch = 2
    extra = {
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "REMINDER_BATCH_SIZE": "4",
        "REMINDER_SEND_BATCH": str(send_batch),
        "REMINDER_LEASE_SECONDS": "20",
    }
    with SMTPSink(delay=0.4) as sink:
        env = worker_env(broker_url=url, smtp_port=sink.port, **extra)
        with celery_worker(env, queue=queue) as (process, _queue, lines):
            send_due_reminders.apply_async(args=[at(START, 10).isoformat()], queue=queue)
            assert wait_until(lambda: len(sink.messages) >= 3, 60), "".join(lines[-40:])
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        before_kill = len(sink.messages)
        marked = sent_count()
        in_flight = Reminder.objects.filter(
            status=ReminderStatus.PENDING, next_attempt_at__isnull=False
        ).count()
        assert 0 < before_kill < 12 and marked < 12
        assert in_flight <= send_batch
        assert before_kill - marked <= send_batch  # accepted by the server, not yet marked

        # A new worker; the next run comes after the lease of the dead one has run out.
        sink.delay = 0
        later = at(START, 10) + timedelta(minutes=1)
        with celery_worker(env, queue=queue) as (_process, _queue, lines):
            send_due_reminders.apply_async(args=[later.isoformat()], queue=queue)
            assert wait_until(lambda: sent_count() == 12, 60), "".join(lines[-40:])
            time.sleep(0.5)
        received = sink.recipients()
    assert Reminder.objects.count() == 12
    assert set(received) == set(patients)  # every due reminder was sent
    duplicates = len(received) - len(set(received))
    assert duplicates <= send_batch  # only the batch in flight when the worker died
    assert duplicates == before_kill - marked


@pytest.mark.django_db
def test_with_redis_down_a_red_flag_is_saved_and_its_alert_delivered_later(
    client, settings, monkeypatch, django_capture_on_commit_callbacks, dr_cho
):
    """The patient's log and the clinician's alert row do not wait for Redis; the outbox pass
    (beat's deliver-pending-alerts) sends the e-mail once it runs again."""
    patient = make_patient(
        "ana",
        "Ana",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=timezone.localdate() - timedelta(days=30),
    )
    approve(patient, start=timezone.localdate() - timedelta(days=3))
    closed = f"redis://127.0.0.1:{free_port()}/{REDIS_DB}"  # nothing listens: Redis is down
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "broker_url", closed)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    reset_broker_connections()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            started = time.monotonic()
            logged = services.session_log_create(
                patient=patient,
                day=patient.local_date(timezone.now()),
                activity="walking",
                minutes=15,
                red_flags=["numbness"],
            )
        assert time.monotonic() - started < 15
        health = client.get("/healthz")
    finally:
        monkeypatch.undo()
        reset_broker_connections()
    assert logged.created and logged.alert is not None
    alert = Alert.objects.get(pk=logged.alert.pk)
    assert alert.email_sent_at is None
    assert health.status_code == 503
    assert health.json()["broker"] == "down"

    # Redis is back: beat runs the outbox pass.
    with SMTPSink() as sink:
        use_smtp(settings, sink.port)
        assert deliver_pending_alerts() == 1
        assert deliver_pending_alerts() == 0
    alert.refresh_from_db()
    assert alert.email_sent_at is not None and alert.email_attempts == 1
    assert sink.recipients() == ["drcho@example.org"]
    assert "numbness" not in sink.messages[0].as_string().lower()
