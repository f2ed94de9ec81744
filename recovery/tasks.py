"""Thin Celery tasks of the people side: take ids, re-read the world, call one function."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from recovery.emails import enrolment_email
from recovery.models import User
from recovery.services import enrolment_link


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def send_enrolment_email(user_id: int) -> bool:
    """Send the set-your-password link. A repeat sends a fresh, equally valid link."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not user.email:
        return False
    enrolment_email(
        first_name=user.first_name or user.username,
        username=user.username,
        email=user.email,
        link=enrolment_link(user, settings.SITE_URL),
    ).send()
    return True
