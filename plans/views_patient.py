"""Patient pages (/me/...). Each view: own data only, bind the form, call a service, redirect.

Every lookup starts from `request.user` (recovery.access), so another patient's session is simply
not found (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans import engine, selectors
from plans.charts import progress_chart
from plans.forms import (
    PainFollowUpForm,
    ReminderSettingsForm,
    SessionCorrectForm,
    SessionLogForm,
    SymptomReportForm,
)
from plans.models import AlertKind, AlertTier, PainSettled, Plan, PlanStatus, RedFlag, SessionLog
from plans.services import (
    CORRECTION_ALERTED,
    CORRECTION_CLOSED,
    patient_today,
    plan_close_weeks,
    session_correct,
    session_log_create,
    session_pain_follow_up,
    symptom_report_create,
)
from plans.services import session_delete as delete_own_session
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


# --- pain: the advice after a session that went too fast, and the next day's question ----------


@dataclass(frozen=True)
class PainAdvice:
    """What to do for the rest of the week after a red session (DESIGN section 2): keep to next
    week's reduced minutes, and only once the pain has settled. After a severe session (rule 5):
    rest until it settles, and call the care team if it is not easing by tomorrow."""

    keep_to: int | None  # next week's reduced minutes as the engine previews them
    severe: SessionLog | None  # the latest severe session among them
    told: bool  # the care team has been alerted about the severe pain
    today: date

    @property
    def severe_today(self) -> bool:
        return self.severe is not None and self.severe.date == self.today

    @property
    def severe_lasted(self) -> bool:
        """Severe for lasting (pain >= 7 for more than 24 hours), not for its score alone."""
        return self.severe is not None and self.severe.pain < engine.SEVERE_PAIN


def _pain_advice(
    plan: Plan, prescribed: int | None, logs: list[SessionLog], *, today: date
) -> PainAdvice | None:
    """Advice from the week's sessions so far; None when none of them was red."""
    if not any(log.pain_response == engine.PainResponse.RED for log in logs):
        return None
    keep_to = None
    if prescribed:
        week_so_far = engine.WeekLog(
            prescribed_minutes=prescribed, sessions=tuple(log.summary() for log in logs)
        )
        # The engine reads only the last week; the weeks before it only number the answer.
        preview = engine.next_week(plan.rules(), [week_so_far])
        if preview.decision == engine.Decision.REDUCE:
            keep_to = preview.minutes
    severe = [log for log in logs if log.is_severe]
    return PainAdvice(
        keep_to=keep_to,
        severe=max(severe, key=lambda log: (log.date, log.pk)) if severe else None,
        told=any(getattr(log, "alert", None) is not None for log in severe),
        today=today,
    )


def _follow_up_context(follow_ups: list[SessionLog], back: str) -> dict:
    return {
        "follow_ups": follow_ups,
        "follow_up_back": back,
        "settled_choices": PainSettled.choices,
    }


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
                "phone_href": _phone_href(),
                **_warning_signs(),
            },
        )
    today = patient_today(patient)
    if plan.status == PlanStatus.ACTIVE:
        _close_weeks(plan, today)
    board = selectors.dashboard(plan, today=today)
    chart = progress_chart(plan, weeks=board.weeks)
    week = board.this_week
    advice = (
        _pain_advice(plan, week.minutes if week else None, board.pain.week_logs, today=today)
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
            "precautions": plan.clearance.precautions_on(today),
            "urgent": _urgency(board.alert),
            "advice": advice,
            "phone_href": _phone_href(),
            **_follow_up_context(board.pain.follow_ups, "dashboard"),
            **_warning_signs(),
        },
    )


@dataclass(frozen=True)
class Urgency:
    """What a patient must do now after reporting a warning sign."""

    tier: str
    flags: list[str]
    seen_by_care_team: bool
    plan_paused: bool  # a plan was open and is paused now (none while waiting or after the end)

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
        plan_paused=alert.plan_id is not None,
    )


def _is_warning_sign(alert) -> bool:
    return alert is not None and alert.kind == AlertKind.WARNING_SIGN


@patient_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """Weeks newest first, each with its sessions. Budget: 6 queries whatever the history length."""
    patient = own_patient_profile(request.user)
    page, weeks = selectors.history_page(patient, request.GET.get("page"))
    return render(request, "plans/patient/history.html", {"page": page, "weeks": weeks})


# --- logging a session -------------------------------------------------------------------------

# What the log form answers about a session (besides its day and its one-time token).
ANSWERS = (
    *("activity", "minutes", "pain_before", "pain", "pain_duration", "sharp_pain"),
    *("red_flags", "exertion", "notes"),
)


def _answers(data: dict) -> dict:
    return {name: data[name] for name in ANSWERS}


@patient_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    plan = selectors.own_open_plan(request.user)
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
                    **_answers(data),
                )
            except DomainError as error:
                form.add_error(form.service_field(error.field), error.message)
            else:
                saved = reverse("me:session_saved", args=[logged.log.pk])
                return redirect(saved if logged.created else f"{saved}?repeat=1")
    elif plan is not None and plan.status == PlanStatus.ACTIVE:
        _close_weeks(plan, today)
    if plan is None or plan.status != PlanStatus.ACTIVE or plan.start_date > today:
        return render(
            request,
            "plans/patient/session_unavailable.html",
            {"plan": plan, "phone_href": _phone_href()},
            status=200 if request.method == "GET" else 409,
        )
    # This week's prescription is only read to show the form: a successful save skips it.
    current = plan.week_of(today)
    week = selectors.week_prescription(plan, current)
    minutes = week.minutes if week else None
    pain = selectors.pain_check(plan, week=current, today=today)
    advice = _pain_advice(plan, minutes, pain.week_logs, today=today)
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
            "phone_href": _phone_href(),
            **_follow_up_context(pain.follow_ups, "session_new"),
        },
    )


@dataclass(frozen=True)
class Outlook:
    """What happens next, in plain words, judged from the week so far by the engine itself."""

    kind: str  # "lower", "hold", "on_track", "paused" or "closed"
    heading: str
    sentence: str


def _outlook(log: SessionLog, today) -> tuple[Outlook, PainAdvice | None]:
    plan = log.plan
    prescription = selectors.week_prescription(plan, log.week)
    red = log.pain_response == engine.PainResponse.RED
    if prescription is None or log.week < plan.week_of(today):
        advice = _pain_advice(plan, None, [log], today=today) if red else None
        return Outlook(
            "closed",
            "Saved in your history",
            f"This session belongs to week {log.week}, which has already ended. "
            "Your care team can see it.",
        ), advice
    logs = selectors.week_logs(plan, log.week)
    sessions = [s.summary() for s in logs]
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
        ), None
    advice = _pain_advice(plan, prescription.minutes, logs, today=today)
    if preview.decision == engine.Decision.REDUCE:
        lower = preview.minutes < prescription.minutes
        return Outlook(
            "lower",
            "We'll lower next week" if lower else "We'll keep next week gentle",
            preview.reason,
        ), advice
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
        if preview.review == engine.Review.OVERDOING:
            return Outlook("hold", "Keep to the plan", preview.reason), advice
        return Outlook(
            "hold",
            "Keep going",
            f"{short}You have completed {done} of the {needed} sessions this week needs. "
            f"{more} more {'session' if more == 1 else 'sessions'} of at least {at_least} minutes "
            f"by {last_day:%A %-d %B} keeps you on track to move up. If not, we'll hold next "
            "week at the same minutes — that's fine.",
        ), advice
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
    ), advice


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
        "phone_href": _phone_href(),
        "repeat": request.GET.get("repeat") == "1",
        "correctable": log.correctable(now),
        "correctable_until": timezone.localtime(log.correctable_until(), patient.tz),
    }
    if _is_warning_sign(alert):
        context["urgent"] = _urgency(alert)
        return render(request, "plans/patient/session_urgent.html", context)
    # Severe pain alerts the care team but leaves the plan running: the saved page, with advice.
    context["outlook"], context["advice"] = _outlook(log, patient_today(patient))
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
            session_correct(user=request.user, log_id=log.pk, **_answers(form.cleaned_data))
        except DomainError as error:
            form.add_error(form.service_field(error.field), error.message)
        else:
            messages.success(request, "Your correction is saved.")
            return redirect("me:session_saved", log_id=log.pk)
    return render(
        request,
        "plans/patient/session_edit.html",
        {"form": form, "log": log, "phone_href": _phone_href()},
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
            f"Your {log.get_activity_display().lower()} session of {log.date:%A %-d %B} "
            "is deleted.",
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
    day = f"{log.date:%A %-d %B}"
    form = PainFollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            f"Nothing was saved: choose when the pain from your session on {day} settled.",
        )
        return redirect(back)
    try:
        answered = session_pain_follow_up(
            patient=patient, log_id=log.pk, settled=form.cleaned_data["settled"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, f"Thank you. Your answer is saved with your session on {day}.")
    if answered.alert is not None:
        messages.warning(
            request,
            "Pain that lasts this long needs a check, so your care team has been told. Rest "
            "until it settles. If it is not easing by tomorrow, or it gets worse, call your care "
            f"team at {settings.CLINIC_PHONE}.",
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
        request, "plans/patient/symptom_new.html", {"form": form, "phone_href": _phone_href()}
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
        "reported_at": f"{report.created_at.astimezone(report.patient.tz):%A %-d %B %Y, %H:%M}",
        "urgent": _urgency(alert) if _is_warning_sign(alert) else None,
        "severe": alert is not None and alert.kind == AlertKind.SEVERE_PAIN,
        "phone_href": _phone_href(),
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
            messages.success(request, "Your reminder settings are saved.")
            return redirect("me:settings")
    return render(request, "plans/patient/settings.html", {"form": form, "patient": patient})
