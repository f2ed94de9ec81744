"""Who may see which patient: the one place that answers it.

Every query that selects patients, or their records, for a person starts from that person
through these helpers (`own_patients`, `own_patient_filter`, `clinician_patients`), so a record
that is not yours is simply not found (404), never "forbidden" (which would confirm it exists).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from recovery.models import PatientProfile, Role


def role_required(role: str):
    """Signed-in users of one role only: anonymous → login page, any other role → 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role != role or not request.user.is_active:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_required = role_required(Role.PATIENT)
clinician_required = role_required(Role.CLINICIAN)


def own_patients(user) -> QuerySet[PatientProfile]:
    """The signed-in patient's own profile as a query (empty for anyone else): what a patient's
    own plans, sessions and reports are selected by, as a subquery of the same statement."""
    if user.role != Role.PATIENT:
        return PatientProfile.objects.none()
    return PatientProfile.objects.filter(user=user)


def own_patient_filter(user, patient: str = "patient") -> Q:
    """`own_patients` as a condition on rows that point at a patient (`patient` names that
    relation, as in `filter()`): the patient's own rows for a patient, none for anyone else.

    For a statement that joins the profile anyway (`select_related("patient")`): the profile's
    `user_id` is then compared in the join PostgreSQL plans already, where `own_patients` adds an
    IN-subquery, one more relation to plan (/me/'s plan query: 1.7 ms of planning against 0.5).
    """
    if user.role != Role.PATIENT:
        return Q(pk__in=[])  # matches nothing: Django sends no query at all
    return Q(**{f"{patient}__user": user})


def own_patient_profile(user) -> PatientProfile:
    """The signed-in patient's own profile (404 if the account has none)."""
    try:
        return PatientProfile.objects.select_related("user").get(user=user)
    except PatientProfile.DoesNotExist:
        raise Http404("No patient record.") from None


def clinician_patients(user) -> QuerySet[PatientProfile]:
    """The patients assigned to this clinician; empty for anyone else."""
    if user.role != Role.CLINICIAN:
        return PatientProfile.objects.none()
    return PatientProfile.objects.filter(clinician=user)


def patient_for_clinician(user, patient_id: int) -> PatientProfile:
    try:
        return clinician_patients(user).select_related("user").get(pk=patient_id)
    except PatientProfile.DoesNotExist:
        raise Http404("No such patient.") from None
