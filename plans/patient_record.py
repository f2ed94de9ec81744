"""The clinician's record of one patient: the read model of `/clinic/patients/<id>/` (its
clearance, plans, weeks, sessions, alerts and symptom reports, each loaded by one query), and
the rows its tables show. The timeline across plans is `plans.record`; the triage list is
`plans.triage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from plans import engine
from plans.history import plan_end_day
from plans.models import (
    Alert,
    AlertKind,
    AlertTier,
    PainDuration,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
    SymptomReport,
)
from plans.selectors import WeekSummary, week_summaries
from plans.triage import activity_labels, flag_labels, on_day, severe_pain_words
from recovery.models import (
    Clearance,
    ClearanceEvent,
    ClearanceStatus,
    PatientProfile,
)
from recovery.templatetags.clinic_clock import clinic_time

# Drawing the page, the request's own session and user queries included: pinned by
# tests/test_query_budgets.py. 18: the home programme's card (issue 22) reads four weeks'
# adherence, the tailored items and, for a programme not tailored, the stage's exercises
# (`programme_for`); the tailoring form has a page of its own.
PATIENT_DETAIL_QUERY_BUDGET = 18
# The record's weeks table shows the current plan's latest weeks, as many as the chart; every
# week is in the timeline below, paged (a year of rows drawn on every view cost more than the
# rest of the page together).
RECENT_WEEKS = 12


# --- one patient ---------------------------------------------------------------------------------


# A week's decision as a badge: drawn in Python, once a row of the weeks table and of the record
# (a template include a row cost more than the row).
DECISION_WORDS = {
    "start": pgettext_lazy("week decision", "start"),
    "progress": pgettext_lazy("week decision", "progress"),
    "hold": pgettext_lazy("week decision", "hold"),
    "reduce": pgettext_lazy("week decision", "reduce"),
    "stop": pgettext_lazy("week decision", "stop"),
    "maintain": pgettext_lazy("week decision", "maintain"),
    "return": pgettext_lazy("week decision", "return"),
}


def decision_badge(decision: str) -> SafeString:
    return format_html(
        '<span class="badge decision-badge decision-{}">{}</span>',
        decision,
        DECISION_WORDS.get(decision, decision),
    )


@dataclass
class WeekRow:
    """A week of the plan (the same summary the patient's pages and the chart use) and its days."""

    week: WeekSummary
    first_day: date
    last_day: date
    current: bool

    @property
    def badge(self) -> SafeString:
        return decision_badge(self.week.decision)


# The pain response as a word, a colour named in words (the colour is never the only cue) and
# the badge classes that draw it (contrast checked by axe in the browser tests).
PAIN_RESPONSE_BADGES = {
    engine.PainResponse.RED: (gettext_lazy("Too much (red)"), "text-bg-danger"),
    engine.PainResponse.AMBER: (gettext_lazy("In between (amber)"), "text-bg-warning"),
    engine.PainResponse.GREEN: (gettext_lazy("Comfortable (green)"), "text-bg-success"),
    engine.PainResponse.UNKNOWN: (gettext_lazy("Not given"), "text-bg-light border"),
}

_SETTLED_WORDS = {
    "within_2h": gettext_lazy("Settled within 2 hours"),
    "later": gettext_lazy("Settled later that day"),
    "next_day": gettext_lazy("Still there the next day"),
}


def _answered_words(days: int) -> str:
    if days <= 0:
        return _("answered the same day")
    if days == 1:
        return _("answered next day")
    return _("answered %(days)s days later") % {"days": days}


@dataclass
class SessionRow:
    """A logged session as the record shows it: pain before → after, the engine's pain response
    and how long the pain lasted in words (the follow-up's answer once given)."""

    log: SessionLog
    response: engine.PainResponse
    lasted: str

    @property
    def response_text(self) -> str:
        return PAIN_RESPONSE_BADGES[self.response][0]

    @property
    def response_badge(self) -> str:
        return PAIN_RESPONSE_BADGES[self.response][1]

    @property
    def is_red(self) -> bool:
        return self.response == engine.PainResponse.RED


def _lasted_words(log: SessionLog, tz) -> str:
    if log.pain_duration == PainDuration.NOT_SETTLED:
        try:
            follow_up = log.pain_follow_up
        except SessionLog.pain_follow_up.RelatedObjectDoesNotExist:
            return _("Not settled when logged (no answer yet)")
        answered = (follow_up.created_at.astimezone(tz).date() - log.date).days
        words = _SETTLED_WORDS.get(follow_up.settled, follow_up.get_settled_display())
        return f"{words} ({_answered_words(answered)})"  # "Settled later that day (answered …)"
    if log.pain_duration:
        return log.get_pain_duration_display()
    if log.pain_lasted_hours:  # logged before the question had answers to choose from
        return f"{log.pain_lasted_hours.normalize():f} h"
    return "—"


def session_row(log: SessionLog, tz) -> SessionRow:
    return SessionRow(log=log, response=log.pain_response, lasted=_lasted_words(log, tz))


@dataclass
class SymptomRow:
    """A symptom report: the warning signs ticked (none: "None of these"), pain now, and the
    alert it raised, if any."""

    report: SymptomReport
    signs: list[str]
    alert: Alert | None


@dataclass
class AlertRow:
    """One of the patient's alerts: what raised it, in words, and where it stands."""

    alert: Alert
    what: str  # the warning signs, or "Severe pain (9/10) on Tuesday"
    source: str  # "Session on Tue 3 Mar" or "Symptom report (no plan yet)"
    escalation: str  # the clinic's on-call inbox: sent, due, or not needed
    labels: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.alert.acknowledged_at is None

    @property
    def urgency(self) -> str:
        return "urgent-emergency" if self.alert.tier == AlertTier.EMERGENCY else "urgent-same-day"


def _escalation_words(alert: Alert, now: datetime) -> str:
    """Where the alert stands with the clinic's on-call inbox (DESIGN section 1 rule 7)."""
    if alert.escalated_at is not None:
        return _("Sent to the on-call inbox %(at)s") % {"at": clinic_time(alert.escalated_at)}
    if alert.escalate_at is None:
        return _("Not sent to the on-call inbox (raised before escalation existed)")
    if alert.acknowledged_at is not None and alert.tier != AlertTier.EMERGENCY:
        return _("Not sent to the on-call inbox: acknowledged in time")
    if not settings.CLINIC_ALERT_EMAIL:
        return _("Not sent: the clinic has no on-call inbox set up")
    if alert.escalate_at > now:
        return _("Goes to the on-call inbox %(at)s unless acknowledged") % {
            "at": clinic_time(alert.escalate_at)
        }
    due = _("Due to the on-call inbox since %(at)s") % {"at": clinic_time(alert.escalate_at)}
    if alert.escalation_last_error:
        n = alert.escalation_attempts
        tries = ngettext(
            "(failed %(n)d time: %(error)s; retrying)",
            "(failed %(n)d times: %(error)s; retrying)",
            n,
        ) % {"n": n, "error": alert.escalation_last_error}
        return f"{due} {tries}"
    return due


def alert_row(alert: Alert, *, today: date, tz, now: datetime) -> AlertRow:
    """Needs the alert's session log and symptom report loaded (select_related)."""
    log, report = alert.session_log, alert.symptom_report
    labels = flag_labels(alert.flags)
    if log is not None:
        source = _("Session on %(day)s") % {"day": dateformat.format(log.date, "D j M Y")}
        day, pain, hours = log.date, log.pain, log.pain_lasted_hours
    else:
        no_plan = alert.plan_id is None
        source = _("Symptom report (no plan yet)") if no_plan else _("Symptom report")
        day = (report.created_at if report else alert.created_at).astimezone(tz).date()
        pain, hours = (report.pain_now if report else None), None
    if alert.kind == AlertKind.SEVERE_PAIN:
        what = severe_pain_words(pain, hours, on_day(day, today))
    else:
        what = "; ".join(labels)
    return AlertRow(
        alert=alert,
        what=what,
        source=source,
        escalation=_escalation_words(alert, now),
        labels=labels,
    )


@dataclass
class PatientDetail:
    patient: PatientProfile
    today: date
    clearances: list[Clearance]
    clearance: Clearance | None  # the open one, else the latest
    events: list[ClearanceEvent]
    plans: list[Plan]
    plan: Plan | None  # the open one, else the latest
    summaries: list[WeekSummary]  # oldest first, as `progress_chart` takes them
    weeks: list[WeekRow]  # the current plan's, up to where it stopped
    alerts: list[AlertRow] = field(default_factory=list)  # all of them: open first, then latest
    symptom_reports: list[SymptomRow] = field(default_factory=list)  # all of them, latest first

    @property
    def open_alerts(self) -> list[AlertRow]:
        """Emergency first, then the oldest first."""
        rows = [row for row in self.alerts if row.is_open]
        rows.sort(key=lambda r: (r.alert.tier != AlertTier.EMERGENCY, r.alert.created_at))
        return rows

    @property
    def treatment(self):
        return self.clearance.treatment if self.clearance else None

    @property
    def days_since_procedure(self) -> int | None:
        treatment = self.treatment
        return (self.today - treatment.procedure_date).days if treatment else None

    @property
    def days_until_procedure(self) -> int:
        return -(self.days_since_procedure or 0)

    @property
    def minimum_passed(self) -> bool:
        treatment = self.treatment
        return treatment is not None and self.today >= treatment.earliest_clearance

    @property
    def current_week(self) -> int | None:
        if self.plan is None or self.plan.start_date > self.today:
            return None
        return self.plan.week_of(self.today)

    @property
    def plan_activities(self) -> list[str]:
        return activity_labels(self.plan.allowed_activities) if self.plan else []

    @property
    def clearance_activities(self) -> list[str]:
        return activity_labels(self.clearance.allowed_activities) if self.clearance else []

    @property
    def recent_weeks(self) -> list[WeekRow]:
        """The latest RECENT_WEEKS weeks of the current plan, newest first."""
        return self.weeks[::-1][:RECENT_WEEKS]

    @property
    def earlier_weeks_count(self) -> int:
        return max(0, len(self.weeks) - RECENT_WEEKS)

    @property
    def logged_count(self) -> int:
        return sum(w.sessions_logged for w in self.summaries)

    @property
    def earlier_plans(self) -> list[Plan]:
        return [p for p in self.plans if self.plan is None or p.pk != self.plan.pk]

    @property
    def plan_is_open(self) -> bool:
        return self.plan is not None and self.plan.status != PlanStatus.COMPLETED


def patient_plans(patient: PatientProfile) -> list[Plan]:
    """All of a patient's plans, newest first, each with its last prescribed week (one query).

    `last_week` lets the page call `plan_close_weeks` only when a week is waiting to be closed.
    """
    last_week = PlanWeek.objects.filter(plan=OuterRef("pk")).order_by("-week").values("week")
    return list(
        Plan.objects.filter(patient=patient)
        # The clearance and treatment come along: the home programme reads the precautions and
        # the contraindications of the open plan's treatment.
        .select_related("clearance__treatment", "pause_week")
        .annotate(last_week=Subquery(last_week[:1]))
        .order_by("-start_date", "-id")
    )


def current_clearance(patient: PatientProfile) -> Clearance | None:
    """The patient's open clearance (pending or approved), else the latest one. One query."""
    open_first = Case(
        When(status__in=[ClearanceStatus.PENDING, ClearanceStatus.APPROVED], then=Value(0)),
        default=Value(1),
    )
    return (
        Clearance.objects.filter(patient=patient)
        .select_related("treatment__treatment_type")
        .order_by(open_first, "-requested_at", "-id")
        .first()
    )


def current_plan(plans: list[Plan]) -> Plan | None:
    open_plans = [p for p in plans if p.status != PlanStatus.COMPLETED]
    return (open_plans or plans or [None])[0]


def patient_alerts(patient: PatientProfile, *, today: date, now: datetime) -> list[AlertRow]:
    """All of the patient's alerts, open first, then the latest (one query, each with what raised
    it and who closed it). A patient has a handful a year: the record's timeline and each plan's
    story ("ended by a warning sign") read them all."""
    open_first = Case(When(acknowledged_at__isnull=True, then=Value(0)), default=Value(1))
    related = ["session_log", "symptom_report", "acknowledged_by"]
    if any(f.name == "closed_by" for f in Alert._meta.get_fields()):
        related.append("closed_by")
    alerts = (
        Alert.objects.filter(patient=patient)
        .select_related(*related)
        .order_by(open_first, "-created_at", "-pk")
    )
    tz = patient.tz
    return [alert_row(alert, today=today, tz=tz, now=now) for alert in alerts]


def patient_symptom_reports(patient: PatientProfile) -> list[SymptomRow]:
    """The patient's symptom reports, newest first, with the alert each raised (one query)."""
    reports = (
        SymptomReport.objects.filter(patient=patient)
        .select_related("alert")
        .order_by("-created_at", "-id")
    )
    return [
        SymptomRow(report=r, signs=r.red_flag_labels(), alert=getattr(r, "alert", None))
        for r in reports
    ]


def patient_detail(
    patient: PatientProfile,
    *,
    today: date,
    plans: list[Plan] | None = None,
    record: bool = True,
    now: datetime | None = None,
) -> PatientDetail:
    """The top of the clinician's patient page, in 6 queries whatever the history length: the
    clearances and their events, the plans, the current plan's weeks, and the patient's alerts
    and symptom reports (few per patient, all of them: the timeline below reads them too).

    Weeks come from `plans.selectors.week_summaries`, the same numbers the patient's pages and
    the progress chart use. Sessions, and every plan's weeks, are the timeline's
    (`plans.record.timeline`), paged.

    `plans` may be passed in when the caller already loaded them (the page closes the current
    plan's weeks first, which needs the plan). `record=False` leaves out the weeks, alerts and
    symptom reports (the clearance page shows none of them): 3 queries.
    """
    now = now or timezone.now()
    clearances = list(
        Clearance.objects.filter(patient=patient)
        .select_related("treatment__treatment_type", "decided_by")
        .order_by("-requested_at", "-id")
    )
    open_clearances = [
        c for c in clearances if c.status in (ClearanceStatus.PENDING, ClearanceStatus.APPROVED)
    ]
    clearance = (open_clearances or clearances or [None])[0]
    events = list(
        ClearanceEvent.objects.filter(clearance__patient=patient)
        .select_related("actor")
        .order_by("at", "id")
    )
    if plans is None:
        plans = patient_plans(patient)
    plan = current_plan(plans)

    summaries: list[WeekSummary] = []
    weeks: list[WeekRow] = []
    tz = patient.tz
    if plan is not None and record:
        summaries = week_summaries(plan)
        current_week = plan.week_of(today)
        # A stopped plan's weeks end where it stopped (the STOP after a warning sign is not a
        # week the patient had), as on the patient's history.
        end_day = plan_end_day(plan, tz)
        for summary in summaries:
            first, after = plan.week_bounds(summary.week)
            last = after - timedelta(days=1)
            if end_day is not None:
                if first > end_day:
                    continue
                last = min(last, end_day)
            weeks.append(
                WeekRow(
                    week=summary,
                    first_day=first,
                    last_day=last,
                    current=summary.week == current_week and end_day is None,
                )
            )
    return PatientDetail(
        patient=patient,
        today=today,
        clearances=clearances,
        clearance=clearance,
        events=events,
        plans=plans,
        plan=plan,
        summaries=summaries,
        weeks=weeks,
        alerts=patient_alerts(patient, today=today, now=now) if record else [],
        symptom_reports=patient_symptom_reports(patient) if record else [],
    )
