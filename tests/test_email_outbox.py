"""The e-mail outbox (issue 16, findings 4 and 9): every e-mail to a person is a row written with
its cause and sent after commit, so a broker or mail outage delays it and never loses it or fails
the request; password reset writes the row and answers at once for any address.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import date, timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from plans.services import patient_enrol
from recovery import outbox
from recovery.models import OutboxEmail, OutboxEmailKind, PatientProfile, TreatmentType
from recovery.services import patient_resend_invite
from stepwise.celery import app
from tests.conftest import make_user
from tests.support import (
    FAILING_BACKEND,
    SMTPSink,
    celery_publishing_to,
    celery_worker,
    free_port,
    redis_database_for_this_process,
    worker_env,
)

SLOW = 0.3  # seconds per message: a slow mail relay
# seconds: what a reset request may take, known address or not. Below the slow relay's 0.3 s,
# so a request that sent inline would fail it; with room for a busy two-core machine.
FAST_ENOUGH = 0.250
ROUNDS = 8


class SlowBackend(BaseEmailBackend):
    """A slow relay: 0.3 s per message; keeps what it sent, with the thread that sent it."""

    sent: list = []
    lock = threading.Lock()

    def send_messages(self, email_messages):
        for message in email_messages:
            time.sleep(SLOW)
            with self.lock:
                SlowBackend.sent.append(message)
        return len(email_messages)


SLOW_BACKEND = "tests.test_email_outbox.SlowBackend"


@pytest.fixture(autouse=True)
def _slow_backend_empty():
    SlowBackend.sent = []


def enrol(clinician, email="cara@example.org", **extra) -> PatientProfile:
    return patient_enrol(
        clinician=clinician,
        first_name="Cara",
        last_name="New",
        email=email,
        treatment_type=TreatmentType.objects.get(name="Lumbar fusion"),
        procedure_date=date.today() - timedelta(days=3),
        today=date.today(),
        **extra,
    )


def enrol_form(**overrides) -> dict:
    return {
        "first_name": "Carla",
        "last_name": "Nueva",
        "email": "carla@example.org",
        "treatment_type": TreatmentType.objects.get(name="Lumbar fusion").pk,
        "procedure_date": (date.today() - timedelta(days=3)).isoformat(),
        "timezone": "Europe/Madrid",
        "date_of_birth": "1958-09-30",
        "phone": "+34 612 345 678",
        **overrides,
    }


# --- the row is written with its cause -------------------------------------------------------


def test_enrolment_writes_its_email_as_a_row_of_the_same_transaction(dr_cho):
    """pytest-django's transaction never commits: nothing is sent, the row is there."""
    patient = enrol(dr_cho)
    row = OutboxEmail.objects.get(user=patient.user)
    assert (row.kind, row.to, row.sent_at, row.attempts) == (
        "enrolment",
        "cara@example.org",
        None,
        0,
    )
    assert row.subject == "Welcome to StepWise: choose your password"
    assert "/accounts/reset/" in row.body and "/accounts/reset/" in row.html
    assert "Hello Cara," in row.body
    assert row.expires_at == row.created_at + timedelta(
        seconds=django_settings.PASSWORD_RESET_TIMEOUT
    )
    # No health detail: neither the treatment nor its date.
    for part in (row.subject, row.body, row.html):
        assert "fusion" not in part.lower()
        assert (date.today() - timedelta(days=3)).isoformat() not in part
    assert mail.outbox == []


def test_a_failed_enrolment_leaves_no_email(dr_cho, ana):
    from recovery.errors import DomainError

    before = OutboxEmail.objects.count()  # Ana's own enrolment e-mail
    with pytest.raises(DomainError):
        enrol(dr_cho, email="ANA@example.org")
    assert OutboxEmail.objects.count() == before


def test_invite_writes_a_fresh_link_as_a_row(dr_cho):
    patient = enrol(dr_cho)
    patient_resend_invite(patient=patient, actor=dr_cho)
    rows = list(OutboxEmail.objects.filter(user=patient.user).order_by("pk"))
    assert [row.kind for row in rows] == ["enrolment", "invite"]
    assert all("/accounts/reset/" in row.body for row in rows)
    assert mail.outbox == []


def test_outbox_add_refuses_to_run_outside_a_transaction(transactional_db, dr_cho):
    from recovery.emails import enrolment_email

    message = enrolment_email(first_name="A", username="a", email="a@example.org", link="x")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.outbox_add(user=dr_cho, kind=OutboxEmailKind.INVITE, message=message)


# --- sending: once, with backoff, never a stale link -----------------------------------------


def test_the_pass_sends_each_row_once_and_blanks_the_link(dr_cho, now):
    patient = enrol(dr_cho)
    row = OutboxEmail.objects.get(user=patient.user)
    link_line = next(line for line in row.body.splitlines() if "/accounts/reset/" in line)

    assert outbox.outbox_send_due(now=now) == 1
    assert outbox.outbox_send_due(now=now + timedelta(minutes=5)) == 0  # run twice: one e-mail
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cara@example.org"] and message.subject == row.subject
    assert link_line in message.body
    assert "/accounts/reset/" in message.alternatives[0][0]
    row.refresh_from_db()
    assert (row.sent_at, row.attempts, row.last_error) == (now, 1, "")
    assert (row.body, row.html) == ("", "")  # the credential is not kept once sent
    assert outbox.outbox_send(row.pk, now=now) is False  # the queued task after the pass


def test_an_smtp_failure_records_the_attempt_and_is_retried_later(dr_cho, settings, now):
    row = OutboxEmail.objects.get(user=enrol(dr_cho).user)
    settings.EMAIL_BACKEND = FAILING_BACKEND

    with pytest.raises(outbox.TransientDeliveryError):
        outbox.outbox_send(row.pk, now=now)
    row.refresh_from_db()
    assert (row.sent_at, row.attempts, row.last_error) == (None, 1, "SMTPServerDisconnected")
    assert row.next_attempt_at == now + outbox.EMAIL_RETRY.delay(1)
    assert "/accounts/reset/" in row.body  # kept for the next attempt

    assert outbox.outbox_send_due(now=now + timedelta(minutes=1)) == 0  # not due yet
    assert outbox.outbox_send_due(now=row.next_attempt_at) == 0  # due, fails again
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at == now + outbox.EMAIL_RETRY.delay(1) + outbox.EMAIL_RETRY.delay(2)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.outbox_send_due(now=row.next_attempt_at) == 1
    row.refresh_from_db()
    assert (row.attempts, row.last_error, row.body) == (3, "", "")
    assert len(mail.outbox) == 1


def test_the_queued_task_leaves_retries_to_the_pass(dr_cho, settings, now):
    from recovery.tasks import send_outbox_email

    row = OutboxEmail.objects.get(user=enrol(dr_cho).user)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    assert send_outbox_email(row.pk) is False  # no exception, no Celery retry of its own
    row.refresh_from_db()
    assert row.attempts == 1 and row.next_attempt_at is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("expired", "expired"),
        ("disabled", "account disabled"),
        ("address", "address changed"),
        ("password", "password already chosen"),
    ],
)
def test_a_link_that_would_not_work_or_would_reach_someone_else_is_given_up(
    dr_cho, now, change, reason
):
    patient = enrol(dr_cho)
    user = patient.user
    row = OutboxEmail.objects.get(user=user)
    moment = now
    if change == "expired":
        moment = row.expires_at
    elif change == "disabled":
        user.is_active = False
    elif change == "address":
        user.email = "someone-else@example.org"
    else:
        user.set_password("a-passphrase-chosen-already")
    user.save()

    assert outbox.outbox_send_due(now=moment) == 0
    row.refresh_from_db()
    assert (row.sent_at, row.given_up_at, row.last_error) == (None, moment, reason)
    assert (row.body, row.html) == ("", "")
    assert mail.outbox == []
    assert outbox.outbox_send_due(now=moment + timedelta(hours=1)) == 0


def test_the_pass_deletes_rows_finished_a_month_ago(dr_cho, now):
    row = OutboxEmail.objects.get(user=enrol(dr_cho).user)
    outbox.outbox_send_due(now=now)
    outbox.outbox_send_due(now=now + outbox.KEEP_FINISHED)
    assert OutboxEmail.objects.filter(pk=row.pk).exists()
    outbox.outbox_send_due(now=now + outbox.KEEP_FINISHED + timedelta(seconds=1))
    assert not OutboxEmail.objects.filter(pk=row.pk).exists()


def test_deleting_an_account_deletes_its_waiting_emails(db):
    from recovery.emails import enrolment_email

    user = make_user("gone", "patient", "Gone", "Away")
    message = enrolment_email(first_name="Gone", username="gone", email=user.email, link="x")
    outbox.outbox_add(user=user, kind=OutboxEmailKind.INVITE, message=message)
    user.delete()
    assert not OutboxEmail.objects.exists()


def test_the_beat_runs_the_outbox_pass_every_few_minutes():
    entries = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "recovery.tasks.send_due_outbox_emails"
    ]
    assert len(entries) == 1 and entries[0]["schedule"] <= 5 * 60
    assert "recovery.tasks.send_due_outbox_emails" in app.tasks


def test_a_message_queued_by_the_release_before_is_written_to_the_outbox(
    django_capture_on_commit_callbacks, dr_cho
):
    from recovery.tasks import send_enrolment_email

    patient = enrol(dr_cho)
    OutboxEmail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_enrolment_email(patient.user.pk) is True
    assert [m.to for m in mail.outbox] == [["cara@example.org"]]
    assert OutboxEmail.objects.get(user=patient.user).sent_at is not None


# --- a broker that is down: the request answers, the e-mail waits ----------------------------


def broker_at(url: str, queue: str | None = None):
    """This process's Celery app publishing to `url` (the suite runs tasks in process)."""
    return celery_publishing_to(url, queue=queue)


def post_enrolment(clinician) -> tuple[int, float]:
    client = Client(raise_request_exception=False)
    client.force_login(clinician)
    start = time.monotonic()
    response = client.post(reverse("clinic:enrol"), enrol_form())
    return response, time.monotonic() - start


def assert_enrolled_and_waiting(response, seconds: float) -> OutboxEmail:
    assert response.status_code == 302, response.status_code
    patient = PatientProfile.objects.get(user__email="carla@example.org")
    assert response["Location"] == reverse("clinic:patient", args=[patient.pk])
    assert seconds < 2, f"enrolment took {seconds:.2f} s"
    row = OutboxEmail.objects.get(user=patient.user)
    assert row.sent_at is None and row.kind == "enrolment"
    assert mail.outbox == []
    return row


def assert_the_pass_sends_it_once(row: OutboxEmail) -> None:
    assert outbox.outbox_send_due() == 1
    assert outbox.outbox_send_due() == 0
    assert [m.to for m in mail.outbox] == [["carla@example.org"]]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_enrolling_with_the_broker_on_a_dead_port_answers_and_the_pass_sends(dr_cho):
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        response, seconds = post_enrolment(dr_cho)
    row = assert_enrolled_and_waiting(response, seconds)
    assert_the_pass_sends_it_once(row)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_enrolling_after_the_real_redis_broker_stopped_answers_and_the_pass_sends(
    dr_cho, private_redis
):
    """The broker answered once (the app has pooled connections to it), then Redis stopped."""
    url = private_redis.url
    with broker_at(url) as queue:
        app.send_task("recovery.tasks.send_due_outbox_emails", queue=queue)  # warm, then stop
        assert redis.Redis.from_url(url).llen(queue) == 1
        private_redis.process.terminate()
        private_redis.process.wait(10)
        response, seconds = post_enrolment(dr_cho)
    row = assert_enrolled_and_waiting(response, seconds)
    assert_the_pass_sends_it_once(row)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_enrolling_while_the_redis_broker_hangs_answers_and_the_pass_sends(dr_cho, private_redis):
    """A hung Redis (SIGSTOP) accepts connections and never answers: the publish gives up."""
    with broker_at(private_redis.url) as queue:
        app.send_task("recovery.tasks.send_due_outbox_emails", queue=queue)  # warm
        with private_redis.hung():
            response, seconds = post_enrolment(dr_cho)
    row = assert_enrolled_and_waiting(response, seconds)
    assert_the_pass_sends_it_once(row)


# --- a real worker sends it once, and the pass finds nothing more ----------------------------


@pytest.mark.redis
@pytest.mark.smtp
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_enrolment_reaches_the_patient_through_a_real_worker_once(postgres, redis_url):
    url = redis_url.rsplit("/", 1)[0] + f"/{redis_database_for_this_process(14)}"
    clinician = make_user("drcho", "clinician", "Mei", "Cho")
    with SMTPSink() as sink, broker_at(url) as queue:
        with celery_worker(worker_env(broker_url=url, smtp_port=sink.port), queue=queue) as (
            _process,
            _queue,
            lines,
        ):
            response, _seconds = post_enrolment(clinician)
            assert response.status_code == 302
            row = OutboxEmail.objects.get(to="carla@example.org")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                row.refresh_from_db()
                if row.sent_at:
                    break
                time.sleep(0.2)
            assert row.sent_at is not None, "".join(lines[-30:])
        messages = sink.wait_for(1)
        assert outbox.outbox_send_due() == 0
        time.sleep(0.3)
        messages = list(sink.messages)
    assert [m["To"] for m in messages] == ["carla@example.org"]
    assert row.attempts == 1
    text = messages[0].get_payload()[0].get_payload()
    assert "/accounts/reset/" in text and "fusion" not in text.lower()


# --- two passes at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_send_each_row_once(postgres, dr_cho, settings, monkeypatch):
    """The first pass holds the row while the slow relay takes the message; the second skips it
    (SKIP LOCKED) and, once the first commits, finds it sent."""
    settings.EMAIL_BACKEND = SLOW_BACKEND
    monkeypatch.setattr(outbox, "queue_after_commit", lambda *a, **k: None)  # only the passes
    with transaction.atomic():
        enrol(dr_cho)
    results: list[int] = []

    def one_pass() -> None:
        try:
            results.append(outbox.outbox_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [0, 1]
    assert len(SlowBackend.sent) == 1
    assert OutboxEmail.objects.get().attempts == 1


# --- password reset: the same answer, in the same time, for anyone ---------------------------


def reset(email: str, n: int) -> tuple[object, float]:
    client = Client(raise_request_exception=False)
    start = time.monotonic()
    response = client.post(
        reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"10.9.{n // 250}.{n % 250 + 1}"
    )
    return response, time.monotonic() - start


def test_password_reset_writes_a_row_for_a_known_active_usable_account_only(ana, ben, now):
    inactive = ben.user
    inactive.is_active = False
    inactive.save()
    never_chose = enrol(ana.clinician, email="cara@example.org").user
    OutboxEmail.objects.all().delete()
    for n, email in enumerate(
        ["ANA@example.org", "nobody@example.org", inactive.email, never_chose.email]
    ):
        response, _ = reset(email, n)
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    row = OutboxEmail.objects.get()
    assert (row.user, row.kind, row.to) == (ana.user, "password_reset", "ana@example.org")
    assert "/accounts/reset/" in row.body and row.subject
    assert mail.outbox == []
    assert outbox.outbox_send_due(now=now) == 1
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_password_reset_takes_the_same_time_for_known_and_unknown_addresses(
    ana, settings, redis_url, record_property
):
    """A slow relay (0.3 s a message) costs the request nothing: it commits the row, queues a
    task on the real broker and answers; the e-mail goes later."""
    settings.EMAIL_BACKEND = SLOW_BACKEND
    url = redis_url.rsplit("/", 1)[0] + f"/{redis_database_for_this_process(14)}"
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with broker_at(url) as queue:
        try:
            reset("warm-up@example.org", 100)  # templates, URL resolver, broker connection
            for n in range(ROUNDS):
                for kind, email in (("known", ana.user.email), ("unknown", f"x{n}@example.org")):
                    response, seconds = reset(email, n * 2 + (kind == "known"))
                    assert response.status_code == 302
                    assert response["Location"] == reverse("password_reset_done")
                    timings[kind].append(seconds)
            assert SlowBackend.sent == []  # nothing was sent while a request ran
            assert redis.Redis.from_url(url).llen(queue) == ROUNDS  # a task per known request
        finally:
            redis.Redis.from_url(url).delete(queue)
    record_property("reset_seconds", timings)
    print("password reset, seconds:", {k: [round(s, 3) for s in v] for k, v in timings.items()})
    # Medians, not maxima: one request delayed by a busy machine says nothing about the relay.
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    slow = {kind: seconds for kind, seconds in medians.items() if seconds >= FAST_ENOUGH}
    assert not slow, f"reset requests slower than {FAST_ENOUGH} s (median): {slow}"
    gap = abs(statistics.median(timings["known"]) - statistics.median(timings["unknown"]))
    assert gap < 0.015, f"known and unknown addresses differ by {gap * 1000:.0f} ms (median)"
    # The pass sends what the requests wrote, each once.
    assert outbox.outbox_send_due() == ROUNDS
    assert outbox.outbox_send_due() == 0
    assert [m.to for m in SlowBackend.sent] == [["ana@example.org"]] * ROUNDS
