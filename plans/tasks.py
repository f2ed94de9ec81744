"""Thin Celery tasks of the plan side: take ids, re-check the world, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from plans import delivery


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(delivery.TransientDeliveryError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def deliver_alert(alert_id: int) -> bool:
    """E-mail the assigned clinician about one alert, unless it was already delivered."""
    return delivery.alert_deliver(alert_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_pending_alerts() -> int:
    """Outbox pass (beat): alerts whose e-mail was not delivered yet, e.g. while Redis was down."""
    return delivery.alerts_deliver_pending()
