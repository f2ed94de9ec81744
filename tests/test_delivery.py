"""The alert outbox: the Alert row is the truth, each e-mail a delivery attempt recorded on it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail

from plans.delivery import alert_deliver, alerts_deliver_pending
from plans.models import Alert, Plan
from plans.services import session_log_create
from recovery.outbox import EMAIL_RETRY, TransientDeliveryError
from tests.support import FAILING_BACKEND


def red_flag(plan: Plan, flags=("fever",)) -> Alert:
    """A warning sign logged through the service: the alert row exists, its e-mail unsent.

    pytest-django's test transaction never commits, so the on-commit delivery never runs here.
    """
    day = plan.start_date + timedelta(days=3)
    result = session_log_create(
        patient=plan.patient,
        day=day,
        activity="walking",
        minutes=15,
        red_flags=list(flags),
        now=datetime.combine(day, time(12), tzinfo=plan.patient.tz),
    )
    assert mail.outbox == []
    return result.alert


def test_deliver_sends_once_and_marks_the_row_sent(ana_plan, dr_cho, now):
    alert = red_flag(ana_plan)
    assert alert_deliver(alert.pk, now=now) is True
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [dr_cho.email]
    alert.refresh_from_db()
    assert alert.email_sent_at == now
    assert alert.email_attempts == 1
    assert alert.email_last_error == ""

    assert alert_deliver(alert.pk, now=now + timedelta(minutes=1)) is False
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert (alert.email_sent_at, alert.email_attempts) == (now, 1)


def test_deliver_of_an_unknown_alert_does_nothing(db):
    assert alert_deliver(987654) is False
    assert mail.outbox == []


def test_an_smtp_failure_keeps_the_row_unsent_and_schedules_a_retry(ana_plan, settings, now):
    alert = red_flag(ana_plan)
    settings.EMAIL_BACKEND = FAILING_BACKEND

    with pytest.raises(TransientDeliveryError, match="Connection unexpectedly closed"):
        alert_deliver(alert.pk, now=now)
    alert.refresh_from_db()
    assert alert.email_sent_at is None
    assert alert.email_attempts == 1
    assert alert.email_next_attempt_at == now + EMAIL_RETRY.delay(1)
    assert alert.email_next_attempt_at > now
    assert alert.email_last_error == "SMTPServerDisconnected"

    later = alert.email_next_attempt_at
    with pytest.raises(TransientDeliveryError):
        alert_deliver(alert.pk, now=later)
    alert.refresh_from_db()
    assert alert.email_attempts == 2
    assert alert.email_next_attempt_at == later + EMAIL_RETRY.delay(2)
    assert EMAIL_RETRY.delay(2) > EMAIL_RETRY.delay(1)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert alert_deliver(alert.pk, now=alert.email_next_attempt_at) is True
    alert.refresh_from_db()
    assert alert.email_sent_at is not None
    assert (alert.email_attempts, alert.email_last_error) == (3, "")
    assert len(mail.outbox) == 1


def test_an_alert_e_mail_is_retried_sooner_and_sooner_never_given_up():
    delays = [EMAIL_RETRY.delay(attempts) for attempts in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[:3] == [timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert delays[-1] == timedelta(hours=1)
    assert not EMAIL_RETRY.exhausted(1000)


def test_pending_pass_sends_due_rows_and_skips_the_rest(ana_plan, ben_plan, settings, now):
    due = red_flag(ana_plan)
    waiting = red_flag(ben_plan, flags=("saddle_numbness",))
    Alert.objects.filter(pk=waiting.pk).update(
        email_attempts=1, email_next_attempt_at=now + timedelta(minutes=2)
    )

    assert alerts_deliver_pending(now=now) == 1
    assert [message.to for message in mail.outbox] == [[ana_plan.patient.clinician.email]]
    due.refresh_from_db()
    waiting.refresh_from_db()
    assert due.email_sent_at == now
    assert waiting.email_sent_at is None
    assert waiting.email_attempts == 1

    assert alerts_deliver_pending(now=now + timedelta(minutes=1)) == 0  # still not due
    assert len(mail.outbox) == 1

    later = now + timedelta(minutes=2)
    assert alerts_deliver_pending(now=later) == 1
    waiting.refresh_from_db()
    assert waiting.email_sent_at == later
    assert mail.outbox[-1].to == [ben_plan.patient.clinician.email]
    assert mail.outbox[-1].subject.startswith("Urgent:")

    assert alerts_deliver_pending(now=later + timedelta(hours=1)) == 0  # a second run: nothing
    assert len(mail.outbox) == 2


def test_pending_pass_survives_a_failing_server(ana_plan, ben_plan, settings, now):
    first = red_flag(ana_plan)
    second = red_flag(ben_plan)
    settings.EMAIL_BACKEND = FAILING_BACKEND

    assert alerts_deliver_pending(now=now) == 0
    for alert in (first, second):
        alert.refresh_from_db()
        assert alert.email_sent_at is None
        assert alert.email_attempts == 1
        assert alert.email_next_attempt_at > now
    assert alerts_deliver_pending(now=now) == 0  # neither is due again yet
    assert Alert.objects.filter(email_attempts=1).count() == 2
