"""Opting out of reminders from the signed link in every reminder (no sign-in)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from recovery.audit import audit
from recovery.models import PatientProfile

OPT_OUT_SALT = "stepwise.plans.reminders.opt-out"


def opt_out_token(patient_id: int) -> str:
    """A signed token holding only the patient id. It does not expire: an unsubscribe link in an
    old e-mail must keep working, and all it can do is turn reminders off."""
    return signing.Signer(salt=OPT_OUT_SALT).sign_object(patient_id)


def opt_out_patient_id(token: str) -> int | None:
    try:
        value = signing.Signer(salt=OPT_OUT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    return value if type(value) is int else None


def opt_out_url(patient_id: int) -> str:
    return _opt_out_url_maker()(patient_id)


def _opt_out_url_maker() -> Callable[[int], str]:
    """One URL lookup for a whole batch: `reverse` costs more than signing."""
    signer = signing.Signer(salt=OPT_OUT_SALT)
    marker = "0"
    head, tail = reverse("reminders:stop", args=[marker]).rsplit(marker, 1)
    prefix = settings.SITE_URL + head
    return lambda patient_id: f"{prefix}{signer.sign_object(patient_id)}{tail}"


@transaction.atomic
def reminders_opt_out(*, patient_id: int, via: str) -> PatientProfile:
    """Turn a patient's reminders off (from the signed link: no sign-in). Idempotent.

    Rows already claimed are withdrawn by the sender when their turn comes.
    """
    patient = PatientProfile.objects.select_for_update().get(pk=patient_id)
    if patient.reminders_enabled:
        patient.reminders_enabled = False
        patient.save(update_fields=["reminders_enabled"])
        audit("reminders_opt_out", obj=patient, patient=patient, via=via)
    return patient
