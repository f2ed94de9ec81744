"""Alert delivery: the row is the truth, an e-mail is an attempt recorded on the row, claimed,
sent and recorded by the one outbox step every outbox shares (`recovery.outbox.claim_and_send`).

A message is sent while its row is locked and marked sent in the same transaction. The one
window for a duplicate is a crash after the mail server accepted the message and before the
commit (see README, "Delivery guarantees").
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from plans.emails import alert_email, escalation_email
from plans.models import Alert, AlertKind, AlertTier
from recovery.outbox import AttemptFields, TransientDeliveryError, claim_and_send

logger = logging.getLogger(__name__)

EMAIL = AttemptFields(
    sent_at="email_sent_at",
    attempts="email_attempts",
    next_attempt_at="email_next_attempt_at",
    last_error="email_last_error",
)
ESCALATION = AttemptFields(
    sent_at="escalated_at",
    attempts="escalation_attempts",
    next_attempt_at="escalation_next_attempt_at",
    last_error="escalation_last_error",
)


def alert_deliver(alert_id: int, *, now: datetime | None = None) -> bool:
    """Send one alert's e-mail if it is still unsent. Returns whether this call sent it."""

    def send(alert: Alert) -> bool:
        clinician = alert.patient.clinician
        alert_email(
            clinician_email=clinician.email,
            clinician_name=clinician.get_full_name() or clinician.username,
            patient_id=alert.patient_id,
            urgent=alert.tier == AlertTier.EMERGENCY,
            plan_paused=alert.kind == AlertKind.WARNING_SIGN and alert.plan_id is not None,
            language=clinician.language,
        ).send()
        return True

    return claim_and_send(
        Alert.objects.select_related("patient__clinician").filter(email_sent_at__isnull=True),
        alert_id,
        send=send,
        fields=EMAIL,
        now=now or timezone.now(),
        what="Alert e-mail",
    )


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

    def send(alert: Alert) -> bool:
        clinician = alert.patient.clinician
        escalation_email(
            to=settings.CLINIC_ALERT_EMAIL,
            alert_id=alert.pk,
            clinician_name=clinician.get_full_name() or clinician.username,
            patient_id=alert.patient_id,
            urgent=alert.tier == AlertTier.EMERGENCY,
            hours=settings.ALERT_ESCALATE_HOURS,
        ).send()
        return True

    return claim_and_send(
        _escalation_due(now).select_related("patient__clinician"),
        alert_id,
        send=send,
        fields=ESCALATION,
        now=now,
        what="Alert escalation",
    )


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
