"""A real Celery worker process, on real Redis, against the PostgreSQL test database."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from plans import services
from plans.models import Alert
from stepwise.celery import app
from tests.conftest import approve, make_patient, make_user
from tests.support import (
    SMTPSink,
    celery_worker,
    redis_database_for_this_process,
    reset_broker_connections,
    worker_env,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.smtp]


@pytest.fixture
def broker(redis_url, monkeypatch):
    """Point this process's Celery app at Redis, on a queue of its own (the suite is eager)."""
    url = redis_url.rsplit("/", 1)[0] + f"/{redis_database_for_this_process(14)}"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "broker_url", url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    reset_broker_connections()
    yield url, queue
    reset_broker_connections()


@pytest.mark.django_db(transaction=True)
def test_red_flag_log_reaches_the_clinician_through_a_real_worker(postgres, broker):
    """Log commits → on_commit queues the task in Redis → the worker sends SMTP → row marked."""
    url, queue = broker
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    patient = make_patient(
        "ana",
        "Ana",
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=date.today() - timedelta(days=30),
    )
    approve(patient, start=date.today() - timedelta(days=3))
    with SMTPSink() as sink:
        with celery_worker(worker_env(broker_url=url, smtp_port=sink.port), queue=queue) as (
            _process,
            _queue,
            lines,
        ):
            logged = services.session_log_create(
                patient=patient,
                day=patient.local_date(timezone.now()),
                activity="walking",
                minutes=15,
                red_flags=["fever"],
            )
            alert = logged.alert
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                alert.refresh_from_db()
                if alert.email_sent_at:
                    break
                time.sleep(0.2)
            assert alert.email_sent_at is not None, "".join(lines[-30:])
        messages = sink.wait_for(1)
    assert [m["To"] for m in messages] == ["drcho@example.org"]
    assert Alert.objects.get(pk=alert.pk).email_attempts == 1
    body = messages[0].get_payload()[0].get_payload()
    assert "fever" not in body.lower() and "Ana" not in body


@pytest.mark.django_db(transaction=True)
def test_an_emergency_reaches_the_clinician_and_the_on_call_inbox_through_a_real_worker(
    postgres, broker
):
    """DESIGN section 1 rule 7: an emergency e-mails the assigned clinician and the clinic's
    on-call inbox at once, each once, through Redis, a worker process and SMTP."""
    url, queue = broker
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    patient = make_patient(
        "ana",
        "Ana",
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=date.today() - timedelta(days=30),
    )
    approve(patient, start=date.today() - timedelta(days=3))
    env = {"CLINIC_ALERT_EMAIL": "on-call@clinic.example"}
    with SMTPSink() as sink:
        with celery_worker(worker_env(broker_url=url, smtp_port=sink.port, **env), queue=queue):
            _report, alert = services.symptom_report_create(
                patient=patient, red_flags=["chest_breathing"]
            )
            messages = sink.wait_for(2)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                alert.refresh_from_db()
                if alert.email_sent_at and alert.escalated_at:
                    break
                time.sleep(0.2)
        time.sleep(0.5)
        messages = list(sink.messages)
    assert sorted(m["To"] for m in messages) == ["drcho@example.org", "on-call@clinic.example"]
    assert alert.escalated_at is not None and alert.escalation_attempts == 1
    for message in messages:
        body = message.get_payload()[0].get_payload().lower()
        assert "chest" not in body and "breath" not in body
        assert "Ana" not in message.get_payload()[0].get_payload()
