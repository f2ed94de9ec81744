"""E-mails of the plan side (see recovery.emails for the conventions)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from recovery.emails import build_email


def alert_email(
    *,
    clinician_email: str,
    clinician_name: str,
    patient_id: int,
    urgent: bool,
    plan_paused: bool = True,
    language: str | None = None,
) -> EmailMultiAlternatives:
    """Tells the clinician to open StepWise. Says nothing of the patient's symptoms, pain or
    treatment: the same words for a warning sign and for severe pain."""
    return build_email(
        "alert",
        {
            "clinician_name": clinician_name,
            "urgent": urgent,
            "plan_paused": plan_paused,
            "link": settings.SITE_URL + reverse("clinic:patient", args=[patient_id]),
        },
        to=[clinician_email],
        language=language,
    )


def escalation_email(
    *,
    to: str,
    alert_id: int,
    clinician_name: str,
    patient_id: int,
    urgent: bool,
    hours: int,
) -> EmailMultiAlternatives:
    """Tells the clinic's on-call inbox that an alert needs a person: an emergency at once, or a
    same-day alert nobody has acknowledged in `hours`. Names the assigned clinician and the
    record, never the patient's symptoms, pain or treatment."""
    return build_email(
        "escalation",
        {
            "alert_id": alert_id,
            "clinician_name": clinician_name,
            "urgent": urgent,
            "hours": hours,
            "link": settings.SITE_URL + reverse("clinic:patient", args=[patient_id]),
        },
        to=[to],
    )


def reminder_email(
    *,
    first_name: str,
    email: str,
    week: int,
    minutes: int,
    sessions_per_week: int,
    log_link: str,
    opt_out_link: str,
    notices: Sequence[str] = (),
    language: str | None = None,
) -> EmailMultiAlternatives:
    """This week's minutes × sessions and two links. No diagnosis, treatment, pain or symptom.
    `notices`: sentences from settings.REMINDER_NOTICES ("a short questionnaire is waiting"),
    which name no health detail either.

    `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058) lets a mail app offer a one-click
    "unsubscribe" that POSTs to the same signed link.
    """
    return build_email(
        "reminder",
        {
            "first_name": first_name,
            "week": week,
            "minutes": minutes,
            "sessions_per_week": sessions_per_week,
            "log_link": log_link,
            "opt_out_link": opt_out_link,
            "notices": list(notices),
        },
        to=[email],
        headers={
            "List-Unsubscribe": f"<{opt_out_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        language=language,
    )
