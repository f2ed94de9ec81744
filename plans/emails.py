"""E-mails of the plan side (see recovery.emails for the conventions)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from recovery.emails import build_email


def alert_email(
    *, clinician_email: str, clinician_name: str, patient_id: int, urgent: bool
) -> EmailMultiAlternatives:
    """Tells the clinician to open StepWise. Says nothing of the patient's symptoms or treatment."""
    return build_email(
        "alert",
        {
            "clinician_name": clinician_name,
            "urgent": urgent,
            "link": settings.SITE_URL + reverse("clinic:patient", args=[patient_id]),
        },
        to=[clinician_email],
    )
