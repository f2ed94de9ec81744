"""Patient pages (/me/...). Each view: own data only, bind the form, call a service, redirect.

Every lookup starts from `request.user` (recovery.access), so another patient's session is simply
not found (404).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans import selectors
from plans.charts import progress_chart
from plans.forms import PainFollowUpForm, SessionCorrectForm, SessionLogForm
from plans.forms_reminders import ReminderSettingsForm
from plans.forms_symptoms import SymptomReportForm
from plans.history import history_page
from plans.models import AlertKind, PlanStatus
from plans.patient_advice import (
    follow_up_context,
    is_warning_sign,
    outlook,
    pain_advice,
    phone_href,
    urgency,
    warning_signs,
)
from plans.patient_html import exercise_groups
from plans.services import (
    CORRECTION_ALERTED,
    CORRECTION_CLOSED,
    patient_today,
    plan_close_weeks_shown,
    session_correct,
    session_log_create,
    session_pain_follow_up,
    symptom_report_create,
)
from plans.services import session_delete as delete_own_session
from recovery.access import own_patient_profile, patient_required
from recovery.errors import DomainError
from recovery.models import ClearanceStatus, Language
from recovery.services import patient_update_reminders

# Where a follow-up answer returns to: the page that asked.
FOLLOW_UP_RETURNS = {"dashboard": "me:dashboard", "session_new": "me:session_new"}


# --- /me/ --------------------------------------------------------------------------------------


@patient_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """This week. At most 10 queries for any history length once its weeks are closed."""
    plan = selectors.own_open_plan(request.user)
    patient = plan.patient if plan else own_patient_profile(request.user)
    if plan is None:
        clearance = selectors.latest_clearance(patient)
        earliest = clearance.treatment.earliest_clearance if clearance else None
        return render(
            request,
            "plans/patient/dashboard_waiting.html",
            {
                "clearance": clearance,
                "declined": clearance is not None
                and clearance.status in (ClearanceStatus.DECLINED, ClearanceStatus.REVOKED),
                "earliest": earliest if earliest and earliest > patient_today(patient) else None,
                "phone_href": phone_href(),
                **warning_signs(),
            },
        )
    today = patient_today(patient)
    if plan.status == PlanStatus.ACTIVE:
        plan_close_weeks_shown(plan, today=today)
    board = selectors.dashboard(plan, today=today)
    chart = progress_chart(plan, weeks=board.weeks)
    week = board.this_week
    advice = (
        pain_advice(plan, week.minutes if week else None, board.pain.week_logs, today=today)
        if board.pain.week_logs
        else None
    )
    return render(
        request,
        "plans/patient/dashboard.html",
        {
            "board": board,
            "plan": plan,
            "week": week,
            "chart": chart,
            "exercise_groups": exercise_groups(board.exercises),
            "precautions": plan.clearance.precautions_on(today),
            "urgent": urgency(board.alert),
            "advice": advice,
            "phone_href": phone_href(),
            **follow_up_context(board.pain.follow_ups, "dashboard"),
            **warning_signs(),
        },
    )


@patient_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """Weeks newest first, each with its sessions. Budget: 6 queries whatever the history length."""
    patient = own_patient_profile(request.user)
    page, weeks = history_page(patient, request.GET.get("page"))
    return render(request, "plans/patient/history.html", {"page": page, "weeks": weeks})


# --- logging a session -------------------------------------------------------------------------


# What the log form answers about a session (besides its day and its one-time token).
@patient_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    # A POST reads the plan again under the service's lock: here only what the form checks.
    plan = selectors.own_open_plan(request.user, joined=request.method != "POST")
    patient = plan.patient if plan else own_patient_profile(request.user)
    today = patient_today(patient)
    form = None
    if request.method == "POST" and plan is not None:
        # Sent to the service whatever the plan's state: a resubmission (a double click, or Back
        # then Save) of a warning sign that paused the plan gets the first submission's page.
        form = SessionLogForm(request.POST, plan=plan, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                logged = session_log_create(
                    user=request.user,
                    day=data["date"],
                    submission_token=data["submission_token"],
                    exercises_done=data.get("exercises_done", []),
                    **form.answers(),
                )
            except DomainError as error:
                form.add_error(form.service_field(error.field), error.message)
            else:
                saved = reverse("me:session_saved", args=[logged.log.pk])
                return redirect(saved if logged.created else f"{saved}?repeat=1")
    elif plan is not None and plan.status == PlanStatus.ACTIVE:
        plan_close_weeks_shown(plan, today=today)
    if plan is None or plan.status != PlanStatus.ACTIVE or plan.start_date > today:
        return render(
            request,
            "plans/patient/session_unavailable.html",
            {"plan": plan, "phone_href": phone_href()},
            status=200 if request.method == "GET" else 409,
        )
    # This week's prescription is only read to show the form: a successful save skips it.
    current = plan.week_of(today)
    week = selectors.week_prescription(plan, current)
    minutes = week.minutes if week else None
    pain = selectors.pain_check(plan, week=current, today=today)
    advice = pain_advice(plan, minutes, pain.week_logs, today=today)
    keep_to = advice.keep_to if advice else None
    if form is None:
        form = SessionLogForm(plan=plan, today=today, minutes=keep_to or minutes)
    form.set_week_minutes(minutes, keep_to=keep_to)
    return render(
        request,
        "plans/patient/session_new.html",
        {
            "form": form,
            "plan": plan,
            "week": week,
            "advice": advice,
            "phone_href": phone_href(),
            **follow_up_context(pain.follow_ups, "session_new"),
        },
    )


@patient_required
@require_GET
def session_saved(request: HttpRequest, log_id: int) -> HttpResponse:
    """After saving: what happens next, or what to do now after a warning sign. Budget: 6."""
    patient = own_patient_profile(request.user)
    log = selectors.own_session_log(patient, log_id)
    if log is None:
        raise Http404("No such session.")
    alert = getattr(log, "alert", None)
    now = timezone.now()
    context = {
        "log": log,
        "phone_href": phone_href(),
        "repeat": request.GET.get("repeat") == "1",
        "correctable": log.correctable(now),
        "correctable_until": timezone.localtime(log.correctable_until(), patient.tz),
    }
    if is_warning_sign(alert):
        context["urgent"] = urgency(alert)
        return render(request, "plans/patient/session_urgent.html", context)
    # Severe pain alerts the care team but leaves the plan running: the saved page, with advice.
    context["outlook"], context["advice"] = outlook(log, patient_today(patient))
    return render(request, "plans/patient/session_saved.html", context)


def _correctable_log(request: HttpRequest, log_id: int):
    """(patient, own log) if it may still be changed; a 404 for no such session of theirs; or a
    redirect to it, saying why it can no longer be changed."""
    patient = own_patient_profile(request.user)
    log = selectors.own_session_log(patient, log_id)
    if log is None:
        raise Http404("No such session.")
    if not log.correctable(timezone.now()):
        why = CORRECTION_ALERTED if getattr(log, "alert", None) else CORRECTION_CLOSED
        messages.info(request, why)
        return patient, log, redirect("me:session_saved", log_id=log.pk)
    return patient, log, None


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def session_edit(request: HttpRequest, log_id: int) -> HttpResponse:
    """Correct a session within CORRECTION_HOURS; the clinician sees it edited, and the original."""
    patient, log, refused = _correctable_log(request, log_id)
    if refused:
        return refused
    today = patient_today(patient)
    form = SessionCorrectForm(request.POST or None, log=log, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            session_correct(user=request.user, log_id=log.pk, **form.answers())
        except DomainError as error:
            form.add_error(form.service_field(error.field), error.message)
        else:
            messages.success(request, _("Your correction is saved."))
            return redirect("me:session_saved", log_id=log.pk)
    return render(
        request,
        "plans/patient/session_edit.html",
        {"form": form, "log": log, "phone_href": phone_href()},
        status=400 if form.is_bound else 200,
    )


@patient_required
@require_http_methods(["GET", "HEAD", "POST"])
def session_delete(request: HttpRequest, log_id: int) -> HttpResponse:
    """Delete a session within CORRECTION_HOURS, after a confirmation page."""
    _patient, log, refused = _correctable_log(request, log_id)
    if refused:
        return refused
    if request.method == "POST":
        try:
            delete_own_session(user=request.user, log_id=log.pk)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("me:session_saved", log_id=log.pk)
        messages.success(
            request,
            _("Your %(activity)s session of %(day)s is deleted.")
            % {
                "activity": log.get_activity_display().lower(),
                "day": date_format(
                    log.date, pgettext("date format: weekday, day and month", "l j F")
                ),
            },
        )
        return redirect("me:history")
    return render(request, "plans/patient/session_delete.html", {"log": log})


@patient_required
@require_POST
def session_follow_up(request: HttpRequest, log_id: int) -> HttpResponse:
    """The next day's answer for a session logged "it has not settled yet"."""
    patient = own_patient_profile(request.user)
    log = selectors.own_session_log(patient, log_id)
    if log is None:
        raise Http404("No such session.")
    back = FOLLOW_UP_RETURNS.get(request.POST.get("back"), "me:dashboard")
    day = date_format(log.date, pgettext("date format: weekday, day and month", "l j F"))
    form = PainFollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Nothing was saved: choose when the pain from your session on %(day)s settled.")
            % {"day": day},
        )
        return redirect(back)
    try:
        answered = session_pain_follow_up(
            patient=patient, log_id=log.pk, settled=form.cleaned_data["settled"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(
        request, _("Thank you. Your answer is saved with your session on %(day)s.") % {"day": day}
    )
    if answered.alert is not None:
        messages.warning(
            request,
            _(
                "Pain that lasts this long needs a check, so your care team has been told. Rest "
                "until it settles. If it is not easing by tomorrow, or it gets worse, call your "
                "care team at %(phone)s."
            )
            % {"phone": settings.CLINIC_PHONE},
        )
    return redirect(back)


# --- reporting a symptom -----------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def symptom_new(request: HttpRequest) -> HttpResponse:
    """Warning signs or pain now, without a session, whatever the plan's state (rule 6)."""
    form = SymptomReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report, _ = symptom_report_create(
                patient=own_patient_profile(request.user),
                red_flags=data["red_flags"],
                pain_now=data["pain_now"],
                submission_token=data["submission_token"],
            )
        except DomainError as error:
            form.add_error(form.service_field(error.field), error.message)
        else:
            return redirect("me:symptom_saved", report_id=report.pk)
    return render(
        request, "plans/patient/symptom_new.html", {"form": form, "phone_href": phone_href()}
    )


@patient_required
@require_GET
def symptom_saved(request: HttpRequest, report_id: int) -> HttpResponse:
    """After a report: what to do now after a sign, rest after severe pain, or thank you."""
    report = selectors.own_symptom_report(request.user, report_id)
    if report is None:
        raise Http404("No such report.")
    alert = getattr(report, "alert", None)
    context = {
        "report": report,
        # On the patient's own clock (the page's time zone is UTC).
        "reported_at": date_format(
            report.created_at.astimezone(report.patient.tz),
            pgettext("date format: weekday, day, month, year and time", "l j F Y, H:i"),
        ),
        "urgent": urgency(alert) if is_warning_sign(alert) else None,
        "severe": alert is not None and alert.kind == AlertKind.SEVERE_PAIN,
        "phone_href": phone_href(),
    }
    return render(request, "plans/patient/symptom_saved.html", context)


# --- settings ----------------------------------------------------------------------------------


@patient_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    initial = {
        "reminders_enabled": patient.reminders_enabled,
        "weekday": patient.reminder_weekday,
        "hour": patient.reminder_hour,
        "timezone": patient.timezone,
    }
    suggest = not selectors.reminders_ever_saved(patient)
    form = ReminderSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        suggest_browser_timezone=suggest,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient_update_reminders(
                patient=patient,
                weekday=data["weekday"],
                hour=data["hour"],
                timezone_name=data["timezone"],
                enabled=data["reminders_enabled"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Your reminder settings are saved."))
            return redirect("me:settings")
    # What other apps add (settings.PATIENT_SETTINGS_SECTIONS; plans imports none of them).
    sections = [
        import_string(path)(request, patient)
        for path in getattr(settings, "PATIENT_SETTINGS_SECTIONS", ())
    ]
    return render(
        request,
        "plans/patient/settings.html",
        {"form": form, "patient": patient, "languages": Language.choices, "sections": sections},
    )
