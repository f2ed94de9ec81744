"""Finding a patient of one's own panel by name, record number or date of birth."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q

from recovery.access import clinician_patients
from recovery.models import (
    PatientProfile,
    User,
)

# --- search --------------------------------------------------------------------------------------

SEARCH_MAX = 50


def _birth_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD or as the US clinic writes it, MM/DD/YYYY."""
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def patient_search(clinician: User, text: str) -> list[PatientProfile]:
    """The clinician's own patients whose name has every typed word in it, whose clinic record
    number is the text, or whose date of birth it is (one query, at most SEARCH_MAX)."""
    text = " ".join(text.split())[:100]
    if not text:
        return []
    by_name = Q()
    for word in text.split():
        by_name &= Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
    found = by_name | Q(record_number__iexact=text)
    born = _birth_date(text)
    if born is not None:
        found |= Q(date_of_birth=born)
    return list(
        clinician_patients(clinician)
        .filter(found)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")[:SEARCH_MAX]
    )
