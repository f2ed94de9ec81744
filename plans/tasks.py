"""Thin Celery tasks of the plan side: take ids, re-check the world, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from plans import delivery, reminders
from plans.services import pictures_sweep

# Database errors worth another try (a restart, a failover); anything else is a bug to see.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

# Late acknowledgement (a worker lost mid-task leaves the message queued) and retries with
# backoff: 30 s, 60 s, ... up to 10 minutes, five times.
RETRIED = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(autoretry_for=(delivery.TransientDeliveryError,), **RETRIED)
def deliver_alert(alert_id: int) -> bool:
    """E-mail the assigned clinician about one alert, unless it was already delivered; an
    emergency also goes to the on-call inbox at once. Each is claimed on its own and sent once,
    so a retry after either failed sends only what is still unsent."""
    try:
        delivery.alert_escalate(alert_id)
    except delivery.TransientDeliveryError:
        delivery.alert_deliver(alert_id)
        raise
    return delivery.alert_deliver(alert_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def escalate_alerts() -> int:
    """Escalation pass (beat): emergencies not yet sent on call, same-day alerts unacknowledged
    for ALERT_ESCALATE_HOURS. Runs in the worker, so a broker outage only delays it."""
    return delivery.alerts_escalate_due()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_pending_alerts() -> int:
    """Outbox pass (beat): alerts whose e-mail was not delivered yet, e.g. while Redis was down."""
    return delivery.alerts_deliver_pending()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_pictures() -> int:
    """Daily (beat): delete picture files a rolled-back admin page left behind, once they are
    older than any upload in flight (plans/services/pictures.py). Safe to run twice."""
    return len(pictures_sweep())


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRIED)
def send_due_reminders(now: str | None = None) -> dict[str, int]:
    """Beat, every 15 minutes: queue one task per batch of active plan ids (the weekly pass:
    close weeks, claim reminders) and one per batch of plans with rows to retry.

    `now` (ISO 8601 with an offset) is for operators and tests; batches then use the same moment.
    SMTP failures do not fail the task: they are recorded on the rows and retried by later passes.
    """
    result = reminders.reminders_due_pass(
        now=reminders.parse_moment(now),
        dispatch=lambda plan_ids: send_reminder_batch.delay(plan_ids, now),
        dispatch_send=lambda plan_ids: deliver_reminders.delay(plan_ids, now),
    )
    return result.as_dict()


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRIED)
def send_reminder_batch(plan_ids: list[int], now: str | None = None) -> dict[str, int]:
    """One batch of plan ids: re-read them, close weeks, claim due weeks; then queue the sending
    of what it claimed, so that no batch's closing waits behind another's SMTP. Any number of
    workers take batches; each plan is closed under its row lock and claimed by its unique row."""
    result = reminders.reminders_process_batch(
        plan_ids, now=reminders.parse_moment(now), send=False
    )
    if result.claimed:
        deliver_reminders.delay(plan_ids, now)
    return result.as_dict()


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRIED)
def deliver_reminders(plan_ids: list[int], now: str | None = None) -> dict[str, int]:
    """Send the ready pending reminder rows of these plans (the outbox: stamped, sent, marked)."""
    moment = reminders.parse_moment(now)
    return reminders.reminders_send_pending(plan_ids=plan_ids, now=moment).as_dict()
