"""Outbox delivery: the row is the truth, an e-mail is an attempt recorded on the row.

A message is sent while its row is locked and marked sent in the same transaction. The one
window for a duplicate is a crash after the mail server accepted the message and before the
commit (see README, "Delivery guarantees").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plans.emails import alert_email, escalation_email
from plans.models import Alert, AlertKind, AlertTier

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
                plan_paused=alert.kind == AlertKind.WARNING_SIGN and alert.plan_id is not None,
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


# --- escalation to the clinic's on-call inbox (DESIGN section 1 rule 7) -------------------------


def _escalation_due(now: datetime):
    """Alerts the on-call inbox is due now: an emergency whatever else happened to it; a same-day
    alert only while nobody has acknowledged it."""
    return (
        Alert.objects.filter(escalated_at__isnull=True, escalate_at__lte=now)
        .filter(Q(tier=AlertTier.EMERGENCY) | Q(acknowledged_at__isnull=True))
        .filter(Q(escalation_next_attempt_at__isnull=True) | Q(escalation_next_attempt_at__lte=now))
    )


def alert_escalate(alert_id: int, *, now: datetime | None = None) -> bool:
    """Send one alert to the on-call inbox if it is due and not yet sent. Returns whether this
    call sent it. Claimed like `alert_deliver`: two beats or a retried task send it once."""
    now = now or timezone.now()
    if not settings.CLINIC_ALERT_EMAIL:
        return False
    failure: Exception | None = None
    with transaction.atomic():
        alert = (
            _escalation_due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__clinician")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None:
            return False  # not due, sent already, acknowledged, or held by another worker
        clinician = alert.patient.clinician
        try:
            escalation_email(
                to=settings.CLINIC_ALERT_EMAIL,
                alert_id=alert.pk,
                clinician_name=clinician.get_full_name() or clinician.username,
                patient_id=alert.patient_id,
                urgent=alert.tier == AlertTier.EMERGENCY,
                hours=settings.ALERT_ESCALATE_HOURS,
            ).send()
        except (SMTPException, OSError) as error:
            failure = error
            alert.escalation_attempts += 1
            alert.escalation_next_attempt_at = now + retry_delay(alert.escalation_attempts)
            alert.escalation_last_error = type(error).__name__[:200]
            alert.save(
                update_fields=[
                    "escalation_attempts",
                    "escalation_next_attempt_at",
                    "escalation_last_error",
                ]
            )
        else:
            alert.escalation_attempts += 1
            alert.escalated_at = now
            alert.escalation_last_error = ""
            alert.save(
                update_fields=["escalation_attempts", "escalated_at", "escalation_last_error"]
            )
    if failure is not None:
        logger.warning(
            "Alert %s escalation failed (%s); will retry.", alert_id, type(failure).__name__
        )
        raise TransientDeliveryError(str(failure)) from failure
    return True


def alerts_escalate_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat pass: send every alert the on-call inbox is due. Returns how many were sent."""
    now = now or timezone.now()
    if not settings.CLINIC_ALERT_EMAIL:
        if _escalation_due(now).exists():
            logger.warning("Alerts are due for escalation but CLINIC_ALERT_EMAIL is not set.")
        return 0
    due = _escalation_due(now).order_by("escalate_at").values_list("pk", flat=True)[:limit]
    sent = 0
    for alert_id in list(due):
        try:
            sent += alert_escalate(alert_id, now=now)
        except TransientDeliveryError:
            continue
    return sent
