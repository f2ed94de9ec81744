"""Thin Celery tasks of the outcome measures: re-check the world, safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from outcomes import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def schedule_questionnaires(now: str | None = None) -> dict[str, int]:
    """Beat, hourly: create the questionnaires whose window opened, close the ones that ended.

    `now` (ISO 8601 with an offset) is for operators and tests."""
    moment = datetime.fromisoformat(now) if now else None
    return services.questionnaires_schedule(now=moment).as_dict()
