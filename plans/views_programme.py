"""The home programme's pages (DESIGN §9): the patient's `/me/programme/` and its PDF, the
clinician's printable copy and PDF of a patient's programme, and the page that tailors it.

Every page and download is written to the audit log as a record view ("programme_view", with
which format), whoever reads it; the tailoring page, like the record's other pages, as a
"patient_view". The patient's views start from `request.user`; the clinician's
find the patient through `recovery.access` (404 for anyone else's).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from plans import selectors
from plans.forms_clinic import ProgrammeForm
from plans.programme import open_plan, programme_for
from plans.programme_pdf import programme_pdf
from plans.services import patient_today, programme_reset, programme_set
from recovery.access import (
    clinician_required,
    own_patient_profile,
    patient_for_clinician,
    patient_required,
)
from recovery.audit import audit
from recovery.errors import DomainError


def _audit_view(request: HttpRequest, patient, what: str) -> None:
    audit("programme_view", request=request, obj=patient, patient=patient, format=what)


def _pdf_response(programme, patient, *, download_name: str) -> HttpResponse:
    first_name = patient.user.first_name or patient.user.username
    response = HttpResponse(
        programme_pdf(programme, first_name=first_name), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    # A health record: never kept by a shared cache or the browser's back-forward cache.
    response["Cache-Control"] = "private, no-store"
    return response


# --- the patient ---------------------------------------------------------------------------------


def _own_programme(request: HttpRequest):
    plan = selectors.own_open_plan(request.user)
    patient = plan.patient if plan else own_patient_profile(request.user)
    programme = programme_for(
        patient, today=patient_today(patient), plan=plan, find_plan=plan is not None
    )
    return patient, programme


@patient_required
@require_GET
def programme(request: HttpRequest) -> HttpResponse:
    """The home programme, printable. 6 queries whatever its length (tests pin it)."""
    patient, programme = _own_programme(request)
    _audit_view(request, patient, "page")
    return render(
        request,
        "plans/patient/programme.html",
        {"programme": programme, "pdf_url": reverse("me:programme_pdf")},
    )


@patient_required
@require_GET
def programme_download(request: HttpRequest) -> HttpResponse:
    patient, programme = _own_programme(request)
    _audit_view(request, patient, "pdf")
    return _pdf_response(
        programme, patient, download_name=f"home-programme-{programme.today:%Y-%m-%d}.pdf"
    )


# --- the clinician -------------------------------------------------------------------------------


@clinician_required
@require_GET
def clinic_programme(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's programme as they see it, to print for them.

    The sheet is handed to the patient, so the programme (dose words and all) is drawn in the
    PATIENT's language (`translation.override(patient.user.language)` here, `{% language %}` in
    the template); the page around it stays in the clinician's language."""
    patient = patient_for_clinician(request.user, patient_id)
    with translation.override(patient.user.language):
        programme = programme_for(patient, today=patient_today(patient))
    _audit_view(request, patient, "page")
    return render(
        request,
        "plans/clinic/programme.html",
        {
            "programme": programme,
            "patient": patient,
            "patient_language": patient.user.language,
            "pdf_url": reverse("clinic:programme_pdf", args=[patient.pk]),
        },
    )


@clinician_required
@require_GET
def clinic_programme_download(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's programme as a PDF, drawn in the PATIENT's language whatever the
    clinician's (`translation.override(patient.user.language)`): it is handed to the patient."""
    patient = patient_for_clinician(request.user, patient_id)
    _audit_view(request, patient, "pdf")
    with translation.override(patient.user.language):
        programme = programme_for(patient, today=patient_today(patient))
        return _pdf_response(
            programme,
            patient,
            download_name=f"home-programme-{patient.pk}-{programme.today:%Y-%m-%d}.pdf",
        )


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_tailor(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The tailoring page: one block per exercise the open plan's stage allows (the patient's
    own first, in their order), and the reset. Saving or resetting goes back to the record's
    programme card; a refusal re-draws this page with the errors beside the fields and status
    400, storing nothing. Each drawing is audited as a view of the record, like clearance's."""
    patient = patient_for_clinician(request.user, patient_id)
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST" and action not in ("save", "reset"):
        return HttpResponseBadRequest("Unknown action.")
    back = redirect(f"{reverse('clinic:patient', args=[patient.pk])}#programme")
    if action == "reset":
        try:
            programme_reset(patient=patient, actor=request.user)
        except DomainError as error:
            messages.error(request, _("Nothing was changed: %(why)s") % {"why": error.message})
        else:
            messages.success(
                request,
                _("The home programme is back to the stage's exercises at their usual dose."),
            )
        return back
    plan = open_plan(patient)
    if plan is None and action:
        messages.error(request, _("Nothing was changed: this patient has no running plan."))
        return back
    programme = form = None
    if plan is not None:
        allowed = selectors.exercises_for_plan(plan)
        programme = programme_for(
            patient, today=patient_today(patient), plan=plan, allowed=allowed, pictures=False
        )
        form = ProgrammeForm(
            request.POST if action else None, exercises=allowed, programme=programme
        )
        if action and form.is_valid():
            try:
                programme_set(patient=patient, actor=request.user, items=form.items)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("The home programme is saved."))
                return back
    audit(
        "patient_view",
        actor=request.user,
        request=request,
        obj=patient,
        patient=patient,
        page="programme_tailor",
    )
    return render(
        request,
        "plans/clinic/programme_tailor.html",
        {"patient": patient, "programme": programme, "programme_form": form},
        status=400 if action else 200,
    )
