"""Patient pages (/me/...). Each view: own data only, bind the form, call a service, redirect.

Every lookup starts from `request.user` (recovery.access), so another patient's session is simply
not found (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from plans import engine, selectors
from plans.charts import progress_chart
from plans.forms import ReminderSettingsForm, SessionLogForm
from plans.models import AlertTier, PlanStatus, RedFlag, SessionLog
from plans.services import patient_today, plan_close_weeks, session_log_create
from recovery import pagecache
from recovery.access import own_patient_profile, patient_required
from recovery.errors import DomainError
from recovery.models import ClearanceStatus
from recovery.services import patient_update_reminders


def _close_weeks(plan, today):
    """Bring the plan up to date (the one service that closes weeks); refresh it if it paused."""
    created = plan_close_weeks(plan=plan, today=today)
    if any(week.decision == engine.Decision.STOP for week in created):
        plan.refresh_from_db(fields=["status", "pause_reason", "paused_at"])


def _warning_signs() -> dict:
    return {
        "same_day_signs": [f.label for f in RedFlag if f.value in engine.SAME_DAY_FLAGS],
        "emergency_signs": [f.label for f in RedFlag if f.value in engine.EMERGENCY_FLAGS],
    }


def _phone_href() -> str:
    return "tel:" + re.sub(r"[^0-9+]", "", settings.CLINIC_PHONE)


@patient_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """This week, from the page cache until the patient's records change or their day ends.

    Drawing it costs at most 10 queries for any history length once its weeks are closed.
    """
    return pagecache.serve(request, "dashboard", lambda: _dashboard(request))


def _dashboard(request: HttpRequest) -> HttpResponse:
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
                "phone_href": _phone_href(),
                **_warning_signs(),
            },
        )
    today = patient_today(patient)
    if plan.status == PlanStatus.ACTIVE:
        _close_weeks(plan, today)
    board = selectors.dashboard(plan, today=today)
    chart = progress_chart(plan, weeks=board.weeks)
    return render(
        request,
        "plans/patient/dashboard.html",
        {
            "board": board,
            "plan": plan,
            "week": board.this_week,
            "chart": chart,
            "urgent": _urgency(board.alert),
            "phone_href": _phone_href(),
            **_warning_signs(),
        },
    )


@dataclass(frozen=True)
class Urgency:
    """What a patient must do now after reporting a warning sign."""

    tier: str
    flags: list[str]
    seen_by_care_team: bool

    @property
    def emergency(self) -> bool:
        return self.tier == AlertTier.EMERGENCY


def _urgency(alert) -> Urgency | None:
    if alert is None:
        return None
    return Urgency(
        tier=alert.tier,
        flags=[RedFlag(code).label for code in alert.flags if code in RedFlag.values],
        seen_by_care_team=alert.acknowledged_at is not None,
    )


@patient_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """Weeks newest first, each with its sessions. Budget: 6 queries whatever the history length."""
    patient = own_patient_profile(request.user)
    page, weeks = selectors.history_page(patient, request.GET.get("page"))
    return render(request, "plans/patient/history.html", {"page": page, "weeks": weeks})


@patient_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    refusal = None
    if request.method == "POST":
        # A valid form is saved without reading the plan here: the service reads and locks it once
        # and checks the rules that need it (dates, activities, paused). Only a form that comes
        # back loads the page's plan and checks again with it, as before a save.
        form = SessionLogForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                logged = session_log_create(
                    user=request.user,
                    day=data["date"],
                    activity=data["activity"],
                    minutes=data["minutes"],
                    pain=data["pain"],
                    pain_lasted_hours=data["pain_lasted_hours"],
                    sharp_pain=data["sharp_pain"],
                    red_flags=data["red_flags"],
                    exertion=data["exertion"],
                    notes=data["notes"],
                    submission_token=data["submission_token"],
                )
            except DomainError as error:
                refusal = error
            else:
                # A resubmission (a double click) gets the first submission's page: after a
                # warning sign, what to do now, even though that sign has paused the plan.
                return redirect("me:session_saved", log_id=logged.log.pk)
    plan = selectors.own_open_plan(request.user)
    patient = plan.patient if plan else own_patient_profile(request.user)
    today = patient_today(patient)
    if plan is not None and plan.status == PlanStatus.ACTIVE and request.method == "GET":
        _close_weeks(plan, today)
    if plan is None or plan.status != PlanStatus.ACTIVE or plan.start_date > today:
        return render(
            request,
            "plans/patient/session_unavailable.html",
            {"plan": plan, "phone_href": _phone_href()},
            status=200 if request.method == "GET" else 409,
        )
    form = None
    if request.method == "POST":
        form = SessionLogForm(request.POST, plan=plan, today=today)
        # The plan's own checks come first, as they did before the save; the service's refusal
        # (one the form cannot see) is shown beside the field it names.
        if form.is_valid() and refusal is not None:
            form.add_error(form.service_field(refusal.field), refusal.message)
    # This week's prescription is only read to show the form: a successful save skips it.
    week = selectors.week_prescription(plan, plan.week_of(today))
    minutes = week.minutes if week else None
    if form is None:
        form = SessionLogForm(plan=plan, today=today, minutes=minutes)
    else:
        form.set_week_minutes(minutes)
    return render(
        request, "plans/patient/session_new.html", {"form": form, "plan": plan, "week": week}
    )


@dataclass(frozen=True)
class Outlook:
    """What happens next, in plain words, judged from the week so far by the engine itself."""

    kind: str  # "lower", "hold", "on_track", "paused" or "closed"
    heading: str
    sentence: str


def _outlook(log: SessionLog, today) -> Outlook:
    plan = log.plan
    prescription = selectors.week_prescription(plan, log.week)
    if prescription is None or log.week < plan.week_of(today):
        return Outlook(
            "closed",
            "Saved in your history",
            f"This session belongs to week {log.week}, which has already ended, so it does not "
            "change this week's plan. Your care team can see it.",
        )
    sessions = selectors.week_sessions(plan, log.week)
    week_so_far = engine.WeekLog(prescribed_minutes=prescription.minutes, sessions=tuple(sessions))
    # The engine reads only the last week; the weeks before it only number the answer.
    preview = engine.next_week(plan.rules(), [week_so_far])
    last_day = plan.week_bounds(log.week)[1] - timedelta(days=1)
    if preview.decision == engine.Decision.STOP:
        return Outlook(
            "paused",
            "Your plan is paused",
            "A warning sign was reported this week, so your plan is paused until your care team "
            "reviews it. Please do not exercise until they restart it.",
        )
    if preview.decision == engine.Decision.REDUCE:
        lower = preview.minutes < prescription.minutes
        return Outlook(
            "lower",
            "We'll lower next week" if lower else "We'll keep next week gentle",
            f"{preview.reason} Easing back gives your body time to settle; it is a normal "
            "part of recovery.",
        )
    if preview.decision == engine.Decision.HOLD:
        done = sum(engine.is_completed(s.minutes, prescription.minutes) for s in sessions)
        needed = engine.completed_needed(prescription.sessions_per_week)
        more = needed - done
        at_least = engine.completed_minimum(prescription.minutes)
        # A short session is saved and seen, but does not count: say so, or "0 completed" right
        # after logging one reads as if it was lost.
        short = (
            ""
            if engine.is_completed(log.minutes, prescription.minutes)
            else f"This session's {log.minutes} minutes are saved; sessions count towards "
            f"moving up from {at_least} minutes. "
        )
        return Outlook(
            "hold",
            "Keep going",
            f"{short}You have completed {done} of the {needed} sessions this week needs. "
            f"{more} more {'session' if more == 1 else 'sessions'} of at least {at_least} minutes "
            f"by {last_day:%A %-d %B} keeps you on track to move up. If not, we'll hold next "
            "week at the same minutes — that's fine.",
        )
    left = max(0, prescription.sessions_per_week - len(sessions))
    still = (
        f" {left} more {'session is' if left == 1 else 'sessions are'} planned by "
        f"{last_day:%A %-d %B}."
        if left
        else ""
    )
    return Outlook(
        "on_track",
        "You're on track",
        f"So far this week: {preview.reason[0].lower()}{preview.reason[1:]}{still}",
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
    context = {"log": log, "phone_href": _phone_href()}
    if alert is not None:
        context["urgent"] = _urgency(alert)
        return render(request, "plans/patient/session_urgent.html", context)
    context["outlook"] = _outlook(log, patient_today(patient))
    return render(request, "plans/patient/session_saved.html", context)


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
            messages.success(request, "Your reminder settings are saved.")
            return redirect("me:settings")
    return render(request, "plans/patient/settings.html", {"form": form, "patient": patient})
