"""The clearance page (/clinic/patients/<id>/clearance/): approve, decline or revoke exercise
clearance with its rules, stage and restrictions, and keep its precautions and wound date.

Like every clinician page: the patient through recovery.access (404 for anyone else's), a bound
form, one service (`plans.services.clearance`, or `clearance_terms` for the precautions and the
wound), a redirect; a refusal re-renders with status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from plans import services as plan_services
from plans.forms_clinic import (
    RULE_FIELDS,
    ApproveForm,
    DecisionReasonForm,
    PrecautionsForm,
    WoundForm,
)
from plans.patient_record import current_clearance, patient_detail
from plans.services import PRECAUTION_FIELDS
from plans.views_clinic import refuse, refused_by_state
from recovery.access import clinician_required, patient_for_clinician
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import WOUND_CATEGORIES, ClearanceStatus, PatientProfile


def _clearance_forms(clearance, today, bound: dict | None = None) -> dict:
    forms = {}
    if clearance is not None and clearance.status == ClearanceStatus.PENDING:
        forms["approve"] = ApproveForm(prefix="approve", clearance=clearance, today=today)
        forms["decline"] = DecisionReasonForm(prefix="decline")
    elif clearance is not None and clearance.status == ClearanceStatus.APPROVED:
        forms["revoke"] = DecisionReasonForm(prefix="revoke")
        forms["precautions"] = PrecautionsForm(
            prefix="precautions",
            initial={name: getattr(clearance, name) for name in PRECAUTION_FIELDS},
        )
        if clearance.treatment.treatment_type.category in WOUND_CATEGORIES:
            forms["wound"] = WoundForm(
                prefix="wound", initial={"wound_healed_on": clearance.wound_healed_on or today}
            )
    forms.update(bound or {})
    return forms


def _render_clearance(
    request: HttpRequest, patient: PatientProfile, *, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    audit(
        "patient_view",
        actor=request.user,
        request=request,
        obj=patient,
        patient=patient,
        page="clearance",
    )
    today = plan_services.patient_today(patient)
    detail = patient_detail(patient, today=today, record=False)
    context = {
        "d": detail,
        "patient": patient,
        "forms": _clearance_forms(detail.clearance, today, bound),
    }
    return render(request, "plans/clinic/clearance.html", context, status=status)


def _clearance_detail_action(
    request: HttpRequest, patient: PatientProfile, clearance, action: str, today
) -> HttpResponse:
    """Change one detail of the clearance (its precautions, the day the wound was seen healed):
    saved and said, refused beside the field, or refused above a fresh page."""
    form = (PrecautionsForm if action == "precautions" else WoundForm)(request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "precautions":
                plan_services.clearance_set_precautions(
                    clearance=clearance, actor=request.user, **data
                )
                done = _("Precautions saved: the patient sees them now.")
            else:
                day = data["wound_healed_on"]
                plan_services.clearance_set_wound_healed(
                    clearance=clearance, actor=request.user, day=day, today=today
                )
                done = _("Wound seen healed on %(day)s: water exercise can now be allowed.") % {
                    "day": dateformat.format(day, "j F Y")
                }
        except DomainError as error:
            if not refused_by_state(request, form, error):
                refuse(form, error)
        else:
            messages.success(request, done)
    if not form.errors:  # saved, or refused by the record's state (said above the page)
        return redirect("clinic:clearance", patient_id=patient.pk)
    return _render_clearance(request, patient, bound={action: form}, status=400)


@clinician_required
@require_http_methods(["GET", "POST"])
def clearance(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_clinician(request.user, patient_id)
    if request.method == "GET":
        return _render_clearance(request, patient)

    action = request.POST.get("action")
    today = plan_services.patient_today(patient)
    current = current_clearance(patient)
    if action == "request":
        # A new decision after a decline or a revocation opens a new clearance.
        if current is None:
            raise Http404("No treatment on record.")
        try:
            plan_services.clearance_request(
                patient=patient, treatment=current.treatment, actor=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("A new clearance request is open for your decision."))
        return redirect("clinic:clearance", patient_id=patient.pk)

    if action in ("precautions", "wound"):
        if current is None:
            raise Http404("No clearance on record.")
        return _clearance_detail_action(request, patient, current, action, today)

    forms_for_action = {
        "approve": lambda: ApproveForm(
            request.POST, prefix="approve", clearance=current, today=today
        ),
        "decline": lambda: DecisionReasonForm(request.POST, prefix="decline"),
        "revoke": lambda: DecisionReasonForm(request.POST, prefix="revoke"),
    }
    if action not in forms_for_action:
        return HttpResponseBadRequest("Unknown action.")
    if current is None:
        raise Http404("No clearance on record.")
    needs = ClearanceStatus.APPROVED if action == "revoke" else ClearanceStatus.PENDING
    if current.status != needs:
        # Decided meanwhile (another tab, another visit): show what is true now.
        messages.error(
            request,
            _("Nothing was changed: this clearance is %(status)s.")
            % {"status": current.get_status_display().lower()},
        )
        return redirect("clinic:clearance", patient_id=patient.pk)
    form = forms_for_action[action]()
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "approve":
                plan = plan_services.clearance_approve(
                    clearance=current,
                    actor=request.user,
                    rules={n: data[n] for n in RULE_FIELDS},
                    max_stage=data["max_stage"],
                    allowed_activities=data["allowed_activities"],
                    restrictions=data["restrictions"],
                    start_date=data["start_date"],
                    today=today,
                    override_reason=data.get("override_reason", ""),
                    stage_override_reason=data["stage_override_reason"],
                    wound_healed_on=data.get("wound_healed_on"),
                    precautions={name: data.get(name) for name in PRECAUTION_FIELDS},
                )
                done = _(
                    "Clearance approved. The plan starts on %(day)s at %(minutes)s minutes per "
                    "session."
                ) % {
                    "day": dateformat.format(plan.start_date, "j F Y"),
                    "minutes": plan.start_minutes,
                }
            elif action == "decline":
                plan_services.clearance_decline(
                    clearance=current, actor=request.user, reason=data["reason"]
                )
                done = _("Clearance declined.")
            else:
                plan_services.clearance_revoke(
                    clearance=current, actor=request.user, reason=data["reason"]
                )
                done = _("Clearance revoked. The plan is paused and no reminders go out.")
        except DomainError as error:
            if refused_by_state(request, form, error):
                return redirect("clinic:clearance", patient_id=patient.pk)
            refuse(form, error)
        else:
            messages.success(request, done)
            target = "clinic:patient" if action == "approve" else "clinic:clearance"
            return redirect(target, patient_id=patient.pk)
    return _render_clearance(request, patient, bound={action: form}, status=400)
