"""Thin Celery tasks of the people side: take ids, re-read the world, call one function."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from recovery import outbox


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_outbox_email(row_id: int) -> bool:
    """Send one outbox e-mail, queued when its row committed. A mail-server failure is recorded
    on the row and retried by the pass with backoff, not here; a repeat sends nothing."""
    try:
        return outbox.outbox_send(row_id)
    except outbox.TransientDeliveryError:
        return False


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_due_outbox_emails() -> int:
    """Outbox pass (beat): e-mails not sent yet, e.g. queued while the broker was down or after
    a mail-server failure whose retry has come."""
    return outbox.outbox_send_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_enrolment_email(user_id: int) -> bool:
    """Kept for messages queued before the outbox existed (a deploy while some wait in the
    broker): writes the enrolment e-mail into the outbox if the account still needs one."""
    from recovery.models import OutboxEmailKind, User
    from recovery.services import set_password_email

    with transaction.atomic():
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or user.has_usable_password() or not user.email:
            return False
        set_password_email(user, kind=OutboxEmailKind.ENROLMENT)
    return True
