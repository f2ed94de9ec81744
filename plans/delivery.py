"""Outbox delivery: the row is the truth, an e-mail is an attempt recorded on the row.

A message is sent while its row is locked and marked sent in the same transaction. The one
window for a duplicate is a crash after the mail server accepted the message and before the
commit (see README, "Delivery guarantees").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plans.emails import alert_email
from plans.models import Alert, AlertTier

logger = logging.getLogger(__name__)

RETRY_CAP = timedelta(hours=1)


class TransientDeliveryError(Exception):
    """The mail server could not be reached or refused for now; try again later."""


def retry_delay(attempts: int) -> timedelta:
    return min(timedelta(minutes=2**attempts), RETRY_CAP)


def alert_deliver(alert_id: int, *, now: datetime | None = None) -> bool:
    """Send one alert's e-mail if it is still unsent. Returns whether this call sent it."""
    now = now or timezone.now()
    failure: Exception | None = None
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__clinician")
            .filter(pk=alert_id, email_sent_at__isnull=True)
            .first()
        )
        if alert is None:
            return False  # already sent, or another worker holds it right now
        clinician = alert.patient.clinician
        try:
            alert_email(
                clinician_email=clinician.email,
                clinician_name=clinician.get_full_name() or clinician.username,
                patient_id=alert.patient_id,
                urgent=alert.tier == AlertTier.EMERGENCY,
            ).send()
        except (SMTPException, OSError) as error:
            failure = error
            alert.email_attempts += 1
            alert.email_next_attempt_at = now + retry_delay(alert.email_attempts)
            alert.email_last_error = type(error).__name__[:200]
            alert.save(
                update_fields=["email_attempts", "email_next_attempt_at", "email_last_error"]
            )
        else:
            alert.email_attempts += 1
            alert.email_sent_at = now
            alert.email_last_error = ""
            alert.save(update_fields=["email_attempts", "email_sent_at", "email_last_error"])
    if failure is not None:
        logger.warning("Alert %s e-mail failed (%s); will retry.", alert_id, type(failure).__name__)
        raise TransientDeliveryError(str(failure)) from failure
    return True


def alerts_deliver_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every unsent alert whose next attempt has come. Returns how many were sent."""
    now = now or timezone.now()
    due = (
        Alert.objects.filter(email_sent_at__isnull=True)
        .filter(Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for alert_id in list(due):
        try:
            sent += alert_deliver(alert_id, now=now)
        except TransientDeliveryError:
            continue
    return sent
