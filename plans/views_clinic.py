"""Clinician pages (/clinic/...). Every patient lookup goes through recovery.access.

Each view: find the patient through the access helper (404 for anyone else's), bind a form, call
one service, redirect. A refused form re-renders the page with the errors beside the fields and
status 400. Each rendering of a patient's record is written to the audit log.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from plans import services as plan_services
from plans.charts import progress_chart
from plans.forms_clinic import (
    RULE_FIELDS,
    AlertCloseForm,
    ContactForm,
    EnrolForm,
    PauseForm,
    ResumeForm,
    RulesForm,
    StageForm,
)
from plans.models import Alert, PlanStatus
from plans.patient_record import (
    alert_row,
    current_plan,
    patient_detail,
    patient_plans,
)
from plans.plan_stories import plan_changes
from plans.programme import adherence, programme_for
from plans.record import KINDS, parse_filters, timeline
from plans.triage import clinician_triage, patient_search
from plans.triage.drawn import attention_rows, other_rows
from recovery import services as recovery_services
from recovery.access import clinician_patients, clinician_required, patient_for_clinician
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import PatientProfile

# Rows of each triage list drawn at once ("Needs attention" and "Everyone else").
TRIAGE_PAGE_SIZE = 50


def refuse(form, error: DomainError) -> None:
    """Put a service's refusal beside the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def refused_by_state(request: HttpRequest, form, error: DomainError) -> bool:
    """A refusal about the record's state, not about a field (the plan was paused meanwhile,
    the clearance already decided in another tab): say so above a fresh page, showing what is
    true now. Returns False when the error belongs beside a field of `form`."""
    if error.field in form.fields:
        return False
    messages.error(request, _("Nothing was changed: %(why)s") % {"why": error.message})
    return True


# --- triage --------------------------------------------------------------------------------------


@clinician_required
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    """The clinician's patients in order of urgency, and a search by name, record number or
    date of birth (?q=)."""
    query = request.GET.get("q", "").strip()[:100]
    triage = clinician_triage(request.user)
    # Both lists are paged: the page draws at most a page of each (a 500-patient panel drew
    # every row on every view). The most urgent patients are always on the first page.
    attention = Paginator(triage.rows, TRIAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    others = Paginator(triage.others, TRIAGE_PAGE_SIZE).get_page(request.GET.get("others"))
    context = {
        "triage": triage,
        "query": query,
        "attention": attention,
        "others": others,
        "attention_rows": attention_rows(attention, request.get_full_path()),
        "other_rows": other_rows(others),
    }
    if query:
        context["found"] = patient_search(request.user, query)
    return render(request, "plans/clinic/triage.html", context)


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def patient_details(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The assigned clinician corrects the patient's phone, date of birth and record number."""
    patient = patient_for_clinician(request.user, patient_id)
    initial = {
        "phone": patient.phone,
        "date_of_birth": patient.date_of_birth,
        "record_number": patient.record_number,
    }
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recovery_services.patient_update_contact(
                patient=patient,
                actor=request.user,
                today=plan_services.patient_today(patient),
                **form.cleaned_data,
            )
        except DomainError as error:
            refuse(form, error)
        else:
            messages.success(
                request, _("%(name)s's details are saved.") % {"name": patient.user.display_name()}
            )
            return redirect("clinic:patient", patient_id=patient.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "plans/clinic/patient_details.html",
        {"patient": patient, "form": form},
        status=status,
    )


@clinician_required
def invite(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send a fresh set-your-password link (the first one expires after three days)."""
    patient = patient_for_clinician(request.user, patient_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        recovery_services.patient_resend_invite(patient=patient, actor=request.user)
    except DomainError as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request,
            _("A new sign-in link is on its way to %(email)s.") % {"email": patient.user.email},
        )
    return redirect("clinic:patient", patient_id=patient.pk)


def _plan_after(alert: Alert) -> str:
    """What acknowledging leaves of the plan: a warning sign paused it, severe pain did not."""
    plan = alert.plan
    if plan is None:
        return _("There is no plan yet.")
    if plan.status == PlanStatus.PAUSED:
        return _("The plan stays paused until you resume it.")
    if plan.status == PlanStatus.ACTIVE:
        return _("The plan keeps running.")
    return ""


def _safe_next(request: HttpRequest, target: str) -> str:
    """`target` if it is a page of this site, else triage."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("clinic:triage")


@clinician_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_close(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Close an alert: the page shows it and asks what was done; nothing closes in one click."""
    # Looked up before the method check, so someone else's alert is 404 whatever the method.
    alert = (
        Alert.objects.filter(patient__in=clinician_patients(request.user), pk=alert_id)
        .select_related("patient__user", "plan", "session_log", "symptom_report", "acknowledged_by")
        .first()
    )
    if alert is None:
        raise Http404("No such alert.")
    back = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = AlertCloseForm(request.POST or None)
    status = 200
    if request.method == "POST" and alert.acknowledged_at is None:
        if form.is_valid():
            try:
                plan_services.alert_acknowledge(
                    alert=alert,
                    actor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                if not refused_by_state(request, form, error):
                    refuse(form, error)
            else:
                done = _("Alert for %(name)s closed.") % {"name": alert.patient.user.display_name()}
                messages.success(request, f"{done} {_plan_after(alert)}".strip())
                return redirect(back)
        status = 400
    elif request.method == "POST":
        messages.info(request, _("This alert was already closed."))
        return redirect(back)
    now = timezone.now()
    context = {
        "alert": alert,
        "row": alert_row(alert, today=alert.patient.local_date(now), tz=alert.patient.tz, now=now),
        "patient": alert.patient,
        "form": form,
        "back": back,
    }
    return render(request, "plans/clinic/alert_close.html", context, status=status)


# --- enrolment -----------------------------------------------------------------------------------


@clinician_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = plan_services.patient_enrol(
                clinician=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                treatment_type=data["treatment_type"],
                procedure_date=data["procedure_date"],
                planned=data["planned"],
                timezone_name=data["timezone"],
                phone=data["phone"],
                date_of_birth=data["date_of_birth"],
                record_number=data["record_number"],
                language=data["language"],
                today=timezone.now().astimezone(form.tz).date(),
            )
        except DomainError as error:
            refuse(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(name)s is enrolled. We e-mailed them a link to choose a password; their "
                    "clearance is waiting for your decision."
                )
                % {"name": patient.user.display_name()},
            )
            return redirect("clinic:patient", patient_id=patient.pk)
    status = 400 if form.is_bound else 200
    return render(request, "plans/clinic/enrol.html", {"form": form}, status=status)


# --- one patient ---------------------------------------------------------------------------------


def _plan_forms(plan, bound: dict | None = None, weeks=None, treatment=None, today=None) -> dict:
    """The four plan-control forms, prefilled from the plan; `bound` replaces one of them.
    `weeks`, the plan's weeks already read, tell how high a resume may start; the treatment and
    today, when each stage's time comes."""
    forms = {}
    if plan is not None and plan.status != PlanStatus.COMPLETED:
        forms = {
            "pause": PauseForm(prefix="pause"),
            "resume": ResumeForm(
                prefix="resume",
                initial={"start_minutes": plan.start_minutes},
                ceiling=plan_services.resume_ceiling(plan, weeks),
            ),
            "rules": RulesForm(prefix="rules", initial=RulesForm.initial_from(plan.rules())),
            "stage": StageForm(
                prefix="stage",
                treatment=treatment,
                today=today,
                initial={"stage": plan.stage, "allowed_activities": plan.allowed_activities},
            ),
        }
    forms.update(bound or {})
    return forms


def _programme_context(patient: PatientProfile, plan, today) -> dict:
    """The record's home programme card: adherence per exercise over four weeks and, for an
    open plan, what the patient does now (one line an exercise, `programme_for` without
    pictures): 2 queries with a tailored programme, 3 with the stage's exercises, 1 without an
    open plan. The tailoring form has a page of its own (views_programme.programme_tailor)."""
    context = {"adherence": adherence(patient, today=today)}
    if plan is not None and plan.status != PlanStatus.COMPLETED:
        context["programme"] = programme_for(patient, today=today, plan=plan, pictures=False)
    return context


def render_patient(
    request: HttpRequest,
    patient: PatientProfile,
    *,
    bound: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    today = plan_services.patient_today(patient)
    # A week ended since the reminder job last ran is decided now (idempotent, row-locked).
    plans = plan_services.patient_plans_closed(patient, today=today)
    detail = patient_detail(patient, today=today, plans=plans)
    # The timeline below the current plan: every plan's record, filtered and paged by GET
    # parameters (a filtered page has a query string: never served from the page cache).
    kind, plan_filter, page = parse_filters(request.GET, detail.plans)
    record = timeline(
        patient,
        plans=detail.plans,
        alerts=detail.alerts,
        reports=detail.symptom_reports,
        events=detail.events,
        changes=plan_changes(patient),
        kind=kind,
        plan=plan_filter,
        page=page,
    )
    context = {
        "d": detail,
        "patient": patient,
        "forms": _plan_forms(
            detail.plan, bound, weeks=detail.summaries, treatment=detail.treatment, today=today
        ),
        # The patient's own chart, drawn from the weeks already loaded (no extra query).
        "chart": progress_chart(detail.plan, weeks=detail.summaries) if detail.plan else None,
        "record": record,
        "kinds": KINDS,
        "current_story": next(
            (s for s in record.plans if detail.plan and s.plan.pk == detail.plan.pk), None
        ),
        **_programme_context(patient, detail.plan, today),
    }
    return render(request, "plans/clinic/patient.html", context, status=status)


@clinician_required
@require_GET
def patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's record; every view is audited."""
    patient = patient_for_clinician(request.user, patient_id)
    audit("patient_view", actor=request.user, request=request, obj=patient, patient=patient)
    return render_patient(request, patient)


PLAN_ACTIONS = {
    "pause": PauseForm,
    "resume": ResumeForm,
    "rules": RulesForm,
    "stage": StageForm,
}


@clinician_required
def plan_action(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_clinician(request.user, patient_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    action = request.POST.get("action")
    if action not in PLAN_ACTIONS:
        return HttpResponseBadRequest("Unknown action.")
    plan = current_plan(patient_plans(patient))
    if plan is None or plan.status == PlanStatus.COMPLETED:
        messages.error(request, _("Nothing was changed: this patient has no running plan."))
        return redirect("clinic:patient", patient_id=patient.pk)
    extra = {"ceiling": plan_services.resume_ceiling(plan)} if action == "resume" else {}
    form = PLAN_ACTIONS[action](request.POST, prefix=action, **extra)
    needs = {"pause": PlanStatus.ACTIVE, "resume": PlanStatus.PAUSED}.get(action)
    if needs and plan.status != needs:
        # A stale page (another tab, a red flag meanwhile): show what is true now.
        messages.error(
            request,
            _("Nothing was changed: the plan is %(status)s now.")
            % {"status": plan.get_status_display().lower()},
        )
        return redirect("clinic:patient", patient_id=patient.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "pause":
                plan_services.plan_pause(plan=plan, actor=request.user, reason=data["reason"])
                done = _("Plan paused. No reminders go out until you resume it.")
            elif action == "resume":
                plan_services.plan_resume(
                    plan=plan,
                    actor=request.user,
                    start_minutes=data["start_minutes"],
                    today=plan_services.patient_today(patient),
                )
                done = _("Plan resumed at week 1, %(minutes)s minutes per session.") % {
                    "minutes": data["start_minutes"]
                }
            elif action == "rules":
                plan_services.plan_update_rules(
                    plan=plan, actor=request.user, rules={n: data[n] for n in RULE_FIELDS}
                )
                done = _("Rules updated. Weeks already prescribed keep their minutes.")
            else:
                plan_services.plan_set_stage(
                    plan=plan,
                    actor=request.user,
                    stage=data["stage"],
                    signed_off=data["signed_off"],
                    # None keeps today's activities (those above a lowered stage drop out).
                    allowed_activities=data["allowed_activities"] or None,
                    override_reason=data["stage_override_reason"],
                )
                done = _("Allowed stage is now %(stage)s.") % {"stage": data["stage"]}
        except DomainError as error:
            if refused_by_state(request, form, error):
                return redirect("clinic:patient", patient_id=patient.pk)
            refuse(form, error)
        else:
            messages.success(request, done)
            return redirect("clinic:patient", patient_id=patient.pk)
    audit("patient_view", actor=request.user, request=request, obj=patient, patient=patient)
    return render_patient(request, patient, bound={action: form}, status=400)
