"""Read queries of the clinician's pages, each with a pinned query budget.

`clinician_triage` answers "who needs me now?" for one clinician in a fixed number of queries,
whether they have ten patients or five hundred: every per-patient fact (last session, last two
week decisions, open alerts, this week's red sessions, pending clearances) comes from one
set-based query each, and the ordering is done in Python over those rows.

Triage only reads. In particular it does not call `plan_close_weeks` for each patient (that would
be N locked queries per page view): weeks are closed by the reminder job, the patient's own
dashboard and the clinician's patient page, so a decision shown here can lag by one reminder pass.
A red session does not wait for its week to close: it is listed from the moment it is logged.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple

from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from plans import engine
from plans.models import (
    Alert,
    AlertKind,
    AlertOutcome,
    AlertTier,
    Plan,
    PlanStatus,
    PlanWeek,
    RedFlag,
    SessionLog,
    WeekReview,
    session_summary,
)
from recovery.access import clinician_patients
from recovery.models import (
    Activity,
    Clearance,
    ClearanceStatus,
    PatientProfile,
    User,
    earliest_clearance_date,
    name_shown,
)
from recovery.templatetags.clinic_clock import on_clinic_clock

# Drawing the page, the request's own session and user queries included: pinned by
# tests/test_query_budgets.py.
TRIAGE_QUERY_BUDGET = 15

# Engagement: an active plan with no session for this many days is worth a call...
IDLE_DAYS = 3
# ...and after this many days the patient has probably stopped altogether.
LONG_IDLE_DAYS = 14
# A red session is listed for this many days (today included) from the moment it is logged: its
# week has closed, and decided a reduction that triage lists in its own words, by then.
RED_SESSION_DAYS = 7


class Tier(IntEnum):
    """Why a patient is on the triage list; a lower number is more urgent."""

    URGENT = 1  # an open alert: a warning sign or severe pain
    REVIEW = 2  # pain or a plan that changed course
    ENGAGEMENT = 3
    CLEARANCE = 4

    @property
    def label(self) -> str:
        return {
            Tier.URGENT: "Needs you now",
            Tier.REVIEW: "Pain or plan to review",
            Tier.ENGAGEMENT: "Engagement",
            Tier.CLEARANCE: "Clearance to decide",
        }[self]

    @property
    def badge(self) -> str:
        """Bootstrap colour classes (text contrast checked by axe in the browser tests)."""
        return {
            Tier.URGENT: "text-bg-danger",
            Tier.REVIEW: "text-bg-warning",
            Tier.ENGAGEMENT: "text-bg-info",
            Tier.CLEARANCE: "text-bg-secondary",
        }[self]


@dataclass(frozen=True)
class Reason:
    tier: Tier
    rank: tuple  # order inside the tier
    why: str  # a few words
    detail: str = ""


_ALERT_TIER_WORDS = {value: label.lower() for value, label in AlertTier.choices}
_ALERT_KIND_WORDS = {value: label.lower() for value, label in AlertKind.choices}


@dataclass
class OpenAlert:
    """An unacknowledged alert, as much of it as the list shows."""

    pk: int
    tier: str
    kind: str
    flags: list[str]
    created_at: datetime
    close_url: str  # the page that asks what was done, then closes it
    severe_words: str = ""  # "Severe pain (9/10) on Tuesday" for a severe-pain alert

    @property
    def tier_words(self) -> str:
        return _ALERT_TIER_WORDS.get(self.tier, self.tier)

    @property
    def kind_words(self) -> str:
        return _ALERT_KIND_WORDS.get(self.kind, self.kind)

    @property
    def is_severe_pain(self) -> bool:
        return self.kind == AlertKind.SEVERE_PAIN


@dataclass
class ClosedAlert:
    """An alert closed since midnight on the clinic's clock: triage keeps it in sight for the day,
    with who closed it, when and what was done."""

    pk: int
    patient_url: str
    patient_name: str
    tier: str
    kind: str
    flags: list[str]
    closed_at: datetime
    closed_by: str
    outcome: str
    note: str

    @property
    def what(self) -> str:
        if self.kind == AlertKind.SEVERE_PAIN:
            return "Severe pain"
        return "; ".join(flag_labels(self.flags))

    @property
    def tier_words(self) -> str:
        return _ALERT_TIER_WORDS.get(self.tier, self.tier)

    @property
    def outcome_words(self) -> str:
        return AlertOutcome(self.outcome).label if self.outcome in AlertOutcome.values else ""


@dataclass
class TriageRow:
    """A patient who needs the clinician, under their most urgent reason.

    The page draws hundreds of rows, so a row arrives with its texts and links worked out: a
    `{% url %}` or a filter per row costs the page more than its queries do.
    """

    patient_id: int
    name: str
    url: str  # the patient's page
    reason: Reason
    also: list[Reason] = field(default_factory=list)
    alerts: list[OpenAlert] = field(default_factory=list)
    clearance_url: str = ""  # the clearance decision, when that is the reason
    stage_override: bool = False  # the plan's stage was allowed before its usual time

    @property
    def tier(self) -> Tier:
        return self.reason.tier

    @property
    def urgency(self) -> str:
        """The row's extra CSS class: the most urgent open alert, if any."""
        if not self.alerts:
            return ""
        if self.alerts[0].tier == AlertTier.EMERGENCY:
            return " urgent-emergency"
        return " urgent-same-day"

    @property
    def also_text(self) -> str:
        return "; ".join(_lower_first(reason.why) for reason in self.also)


@dataclass
class OtherRow:
    """A patient who needs nothing right now, with one line of status."""

    patient_id: int
    name: str
    url: str
    status: str
    stage_override: bool = False


@dataclass
class Triage:
    rows: list[TriageRow]
    others: list[OtherRow]
    closed_today: list[ClosedAlert] = field(default_factory=list)

    def count(self, tier: Tier) -> int:
        return sum(1 for row in self.rows if row.tier == tier)

    @property
    def counts(self) -> list[tuple[Tier, int]]:
        return [(tier, self.count(tier)) for tier in Tier]


# Triage reads plain tuples of the columns it needs, not model instances: a 500-patient panel
# would otherwise build a thousand models (with their JSON fields) per page.


class _Person(NamedTuple):
    pk: int
    timezone: str
    first_name: str
    last_name: str
    username: str
    clearance_status: str | None  # of the latest clearance request

    @property
    def display_name(self) -> str:
        return name_shown(self.first_name, self.last_name, self.username)


class _OpenPlan(NamedTuple):
    patient_id: int
    status: str
    start_date: date
    pause_reason: str
    last_week: int | None
    last_minutes: int | None
    last_decision: str | None
    last_review: str | None
    last_reason: str | None
    last_week_at: datetime | None
    prev_minutes: int | None
    prev_decision: str | None
    prev_review: str | None
    last_session: date | None
    stage_override_reason: str


class _AlertRow(NamedTuple):
    pk: int
    patient_id: int
    tier: str
    kind: str
    flags: list[str]
    created_at: datetime
    session_date: date | None
    session_pain: int | None
    session_lasted: Decimal | None
    report_pain: int | None
    report_at: datetime | None


class _RedSession(NamedTuple):
    patient_id: int
    plan_id: int
    id: int
    date: date
    week: int
    activity: str
    minutes: int
    pain: int | None
    pain_before: int | None
    pain_lasted_hours: Decimal
    pain_duration: str
    sharp_pain: bool
    red_flags: list[str]

    @property
    def is_red(self) -> bool:
        """The engine's own verdict (the query only narrows the rows down)."""
        summary = session_summary(
            self.minutes,
            self.pain,
            self.pain_lasted_hours,
            self.sharp_pain,
            self.red_flags,
            self.pain_before,
        )
        return engine.pain_response(summary) == engine.PainResponse.RED


class _PendingClearance(NamedTuple):
    patient_id: int
    requested_at: datetime
    procedure_date: date
    treatment_name: str
    min_days_to_clearance: int

    @property
    def earliest_clearance(self) -> date:
        return earliest_clearance_date(self.procedure_date, self.min_days_to_clearance)


_URL_MARKER = 9876543210


def _link_maker(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for any number of pks at the cost of one `reverse`."""
    head, tail = reverse(name, args=[_URL_MARKER]).split(str(_URL_MARKER))
    return lambda pk: f"{head}{pk}{tail}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _lower_first(text: str) -> str:
    """ "Pain 8/10 on Tuesday" → "pain 8/10 on Tuesday" (the "also" line runs reasons on)."""
    return text[:1].lower() + text[1:]


def activity_labels(codes) -> list[str]:
    return [Activity(code).label if code in Activity.values else code for code in codes or ()]


def flag_labels(codes) -> list[str]:
    return [RedFlag(code).label if code in RedFlag.values else code for code in codes or ()]


def on_day(day: date, today: date) -> str:
    """When, on the patient's calendar: "today", "on Tuesday" within the week, else the date."""
    ago = (today - day).days
    if ago == 0:
        return "today"
    if 0 < ago < 7:
        return f"on {day:%A}"
    return f"on {day:%a} {day:%-d %b}"


def lasted_phrase(hours) -> str:
    """How long raised pain lasted, as it matters to the engine (the 2-hour and 24-hour marks)."""
    if hours is None:
        return ""
    if hours > engine.SEVERE_PAIN_HOURS:
        return "still there the next day"
    if hours > engine.PAIN_LASTED_HOURS_MAX:
        return "lasting more than 2 hours"
    return ""


def severe_pain_words(pain: int | None, hours, when: str) -> str:
    """ "Severe pain (9/10) on Tuesday"; "Severe pain (8/10, still there the next day) today"."""
    if pain is None:
        return f"Severe pain {when}"
    lasted = lasted_phrase(hours) if pain < engine.SEVERE_PAIN else ""
    return f"Severe pain ({pain}/10{', ' + lasted if lasted else ''}) {when}"


def red_session_words(
    *, pain: int | None, pain_before: int | None, hours, sharp: bool, when: str
) -> str:
    """What made a session red, in the order the engine checks: "Pain 8/10 lasting more than 2
    hours on Tuesday", "Sharp pain 3/10 today", "Pain rose from 2 to 7 on Monday"."""
    rise = None if pain is None or pain_before is None else pain - pain_before
    if rise is not None and rise >= engine.PAIN_RISE_RED:
        what = f"pain rose from {pain_before} to {pain}"
    elif pain is not None:
        what = f"pain {pain}/10"
    else:
        what = "pain"
    what = f"Sharp {what}" if sharp else what[:1].upper() + what[1:]
    lasted = lasted_phrase(hours)
    return f"{what}{' ' + lasted if lasted else ''} {when}"


def _alert_reason(alerts: list[OpenAlert]) -> Reason:
    """Emergency before same-day, then the oldest first. A warning sign is named before severe
    pain, which is same-day tier."""
    emergency = [a for a in alerts if a.tier == AlertTier.EMERGENCY]
    worst = emergency or alerts
    oldest = min(a.created_at for a in worst)
    flags = sorted({label for a in alerts for label in flag_labels(a.flags)})
    severe = [a.severe_words for a in alerts if a.is_severe_pain]
    if emergency:
        why = "Emergency warning sign"
    elif flags:
        why = "Same-day warning sign"
    else:
        why = severe.pop(0)
    if len(alerts) > 1:
        why += f" ({len(alerts)} open alerts)"
    return Reason(
        Tier.URGENT,
        rank=(0 if emergency else 1, oldest),
        why=why,
        detail="; ".join(flags + severe),
    )


def _red_session_reason(session: _RedSession, today: date, plan: _OpenPlan | None) -> Reason:
    when = on_day(session.date, today)
    activity = Activity(session.activity).label if session.activity in Activity.values else ""
    if plan is not None and plan.status == PlanStatus.PAUSED:
        then = "Plan paused."
    elif plan is not None and session.week < engine.week_number(plan.start_date, today):
        then = f"Going too fast: week {session.week + 1} is reduced."
    else:
        then = "Going too fast: next week is reduced when this one closes."
    return Reason(
        Tier.REVIEW,
        rank=(2, session.date.toordinal()),
        why=red_session_words(
            pain=session.pain,
            pain_before=session.pain_before,
            hours=session.pain_lasted_hours,
            sharp=session.sharp_pain,
            when=when,
        ),
        detail=f"{activity}, {session.minutes} min (week {session.week}). {then}",
    )


def _week_reasons(plan: _OpenPlan) -> list[Reason]:
    """The plan's latest prescribed week, when it changed course: in the third person, naming
    the week that caused it (the week before the one prescribed)."""
    decision, review = plan.last_decision, plan.last_review or WeekReview.NONE
    if decision is None:
        return []
    week, cause_week, minutes = plan.last_week, plan.last_week - 1, plan.last_minutes
    now = f"Week {week}: {minutes} min per session."
    if decision == engine.Decision.STOP:
        return [
            Reason(
                Tier.REVIEW,
                rank=(0, plan.last_week_at),
                why="Plan stopped",
                detail=plan.pause_reason or plan.last_reason or "",
            )
        ]
    if review == WeekReview.SEVERE_PAIN:
        why, rank = f"Severe pain in week {cause_week}: reduced to {minutes} minutes", 1
    elif review == WeekReview.REPEATED_PAIN and plan.prev_decision == engine.Decision.REDUCE:
        why, rank = f"Reduced twice in a row: pain again in week {cause_week}", 1
    elif review == WeekReview.REPEATED_PAIN:
        why = f"Pain again at the lowest level ({plan.prev_minutes} minutes) in week {cause_week}"
        rank = 1
    elif decision == engine.Decision.RETURN:
        why, rank = f"No sessions for two weeks: restarted at {minutes} minutes", 3
        now = f"Weeks {cause_week - 1} and {cause_week} had no session. {now}"
    elif review == WeekReview.OVERDOING:
        why, rank = f"Did more than planned in week {cause_week} (overdoing)", 3
        now = f"Held at {minutes} min per session for week {week}."
    elif decision == engine.Decision.REDUCE:
        return [
            Reason(
                Tier.REVIEW,
                rank=(4, plan.last_week_at),
                why=f"Week {week} eased back",
                detail=plan.last_reason or "",
            )
        ]
    else:
        return []
    if plan.status == PlanStatus.PAUSED:
        now += " Plan paused."
    return [Reason(Tier.REVIEW, rank=(rank, plan.last_week_at), why=why, detail=now)]


def _plan_reasons(plan: _OpenPlan, today: date) -> list[Reason]:
    reasons = _week_reasons(plan)
    if plan.status != PlanStatus.ACTIVE or plan.start_date > today:
        return reasons
    since = plan.last_session or plan.start_date
    idle = (today - since).days
    if plan.last_session is None:
        idle_text = f"No session logged since the plan started {_days(idle)} ago"
    else:
        idle_text = f"Last session {plan.last_session:%-d %b} ({_days(idle)} ago)"
    if idle >= LONG_IDLE_DAYS:
        reasons.append(
            Reason(
                Tier.ENGAGEMENT,
                rank=(0, -idle),
                why=f"No session for {_days(idle)}",
                detail=idle_text,
            )
        )
    too_few = (
        plan.last_decision == engine.Decision.HOLD
        and plan.prev_decision == engine.Decision.HOLD
        and WeekReview.OVERDOING not in (plan.last_review, plan.prev_review)
    )
    if too_few:
        reasons.append(
            Reason(
                Tier.ENGAGEMENT,
                rank=(1, -idle),
                why="Held two weeks running",
                detail=f"Too few sessions completed in two weeks; now week {plan.last_week}.",
            )
        )
    if IDLE_DAYS <= idle < LONG_IDLE_DAYS:
        reasons.append(
            Reason(
                Tier.ENGAGEMENT,
                rank=(2, -idle),
                why=f"No session for {_days(idle)}",
                detail=idle_text,
            )
        )
    return reasons


def _clearance_reason(clearance: _PendingClearance, today: date) -> Reason:
    min_days = clearance.min_days_to_clearance
    since = (today - clearance.procedure_date).days
    earliest = clearance.earliest_clearance
    if since < 0:
        when = f"procedure planned in {_days(-since)}"
    else:
        when = f"{_days(since)} since the procedure"
    if today >= earliest:
        minimum = f"minimum of {_days(min_days)} passed"
    else:
        minimum = f"minimum of {_days(min_days)} not reached until {earliest:%-d %b %Y}"
    ready = today >= earliest
    return Reason(
        Tier.CLEARANCE,
        rank=(0 if ready else 1, clearance.requested_at),
        why="Ready for a clearance decision" if ready else "Clearance waiting (too early)",
        detail=f"{clearance.treatment_name}: {when}; {minimum}.",
    )


def _people(patients) -> list[_Person]:
    """The patients in name order, each with the status of their latest clearance request."""
    latest_clearance = Clearance.objects.filter(patient=OuterRef("pk")).order_by(
        "-requested_at", "-id"
    )
    rows = (
        patients.annotate(
            first_name=F("user__first_name"),
            last_name=F("user__last_name"),
            username=F("user__username"),
            clearance_status=Subquery(latest_clearance.values("status")[:1]),
        )
        .order_by("user__last_name", "user__first_name", "pk")
        .values_list(*_Person._fields)
    )
    return [_Person._make(row) for row in rows]


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return PatientProfile(timezone=name).tz


def _open_alerts(
    patients, today: dict[int, date], zones: dict[int, zoneinfo.ZoneInfo]
) -> dict[int, list[OpenAlert]]:
    """Each patient's unacknowledged alerts, emergency first, then the oldest first (one query,
    with the session or symptom report that raised each: a report may have no plan)."""
    close_url = _link_maker("clinic:alert_close")
    alerts: dict[int, list[OpenAlert]] = defaultdict(list)
    rows = (
        Alert.objects.filter(patient__in=patients, acknowledged_at__isnull=True)
        .annotate(
            session_date=F("session_log__date"),
            session_pain=F("session_log__pain"),
            session_lasted=F("session_log__pain_lasted_hours"),
            report_pain=F("symptom_report__pain_now"),
            report_at=F("symptom_report__created_at"),
        )
        .order_by("created_at", "pk")
        .values_list(*_AlertRow._fields)
    )
    for row in map(_AlertRow._make, rows):
        if row.patient_id not in today:
            continue  # joined the panel since it was read: listed on the next drawing
        severe_words = ""
        if row.kind == AlertKind.SEVERE_PAIN:
            pid = row.patient_id
            if row.session_date is not None:
                day, pain, hours = row.session_date, row.session_pain, row.session_lasted
            else:
                # The patient's own calendar date of the report (not `local_date`, which would
                # bound the cached page by a past midnight).
                moment = row.report_at or row.created_at
                day, pain, hours = moment.astimezone(zones[pid]).date(), row.report_pain, None
            severe_words = severe_pain_words(pain, hours, on_day(day, today[pid]))
        alerts[row.patient_id].append(
            OpenAlert(
                row.pk,
                row.tier,
                row.kind,
                row.flags,
                row.created_at,
                close_url(row.pk),
                severe_words,
            )
        )
    for patient_alerts in alerts.values():
        patient_alerts.sort(key=lambda a: (a.tier != AlertTier.EMERGENCY, a.created_at, a.pk))
    return alerts


def _open_plans(patient_ids: list[int]) -> list[_OpenPlan]:
    """Each patient's open plan with its last two weeks and last session date (one query).

    Given the ids rather than a subquery, PostgreSQL reads the plans through the
    plan_one_open_per_patient index instead of scanning every plan.
    """
    weeks = PlanWeek.objects.filter(plan=OuterRef("pk")).order_by("-week")
    last_session = SessionLog.objects.filter(plan=OuterRef("pk")).order_by("-date").values("date")
    rows = (
        Plan.objects.filter(
            patient__in=patient_ids, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED]
        )
        .annotate(
            last_week=Subquery(weeks.values("week")[:1]),
            last_minutes=Subquery(weeks.values("minutes")[:1]),
            last_decision=Subquery(weeks.values("decision")[:1]),
            last_review=Subquery(weeks.values("review")[:1]),
            last_reason=Subquery(weeks.values("reason")[:1]),
            last_week_at=Subquery(weeks.values("created_at")[:1]),
            prev_minutes=Subquery(weeks.values("minutes")[1:2]),
            prev_decision=Subquery(weeks.values("decision")[1:2]),
            prev_review=Subquery(weeks.values("review")[1:2]),
            last_session=Subquery(last_session[:1]),
        )
        .order_by()  # at most one open plan per patient (plan_one_open_per_patient)
        .values_list(*_OpenPlan._fields)
    )
    return [_OpenPlan._make(row) for row in rows]


# Red as `engine.pain_response` decides it, as a filter the database can apply: sharp pain, pain
# >= 7, raised pain lasting more than 2 hours, or a rise of 4 or more over the pain before.
RED_SESSION_Q = (
    Q(sharp_pain=True)
    | Q(pain__gte=engine.PAIN_CAUTION)
    | Q(pain_lasted_hours__gt=engine.PAIN_LASTED_HOURS_MAX)
    | Q(pain__gte=F("pain_before") + engine.PAIN_RISE_RED)
)


def _red_sessions(patient_ids: list[int], today: dict[int, date]) -> dict[int, _RedSession]:
    """Each patient's latest red session of the last RED_SESSION_DAYS days, from the open plan,
    as soon as it is logged (one query). A session with a warning sign is left out: its alert
    and the STOP it caused say more."""
    if not patient_ids:
        return {}
    since = min(today.values()) - timedelta(days=RED_SESSION_DAYS - 1)
    rows = (
        SessionLog.objects.filter(
            plan__patient__in=patient_ids,
            plan__status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED],
            date__gte=since,
        )
        .filter(RED_SESSION_Q)
        .annotate(patient_id=F("plan__patient_id"))
        .order_by("-date", "-id")
        .values_list(*_RedSession._fields)
    )
    latest: dict[int, _RedSession] = {}
    for row in map(_RedSession._make, rows):
        pid = row.patient_id
        if pid in latest or row.red_flags or not row.is_red:
            continue
        if row.date < today[pid] - timedelta(days=RED_SESSION_DAYS - 1):
            continue
        latest[pid] = row
    return latest


def _pending_clearances(patients) -> list[_PendingClearance]:
    rows = (
        Clearance.objects.filter(patient__in=patients, status=ClearanceStatus.PENDING)
        .annotate(
            procedure_date=F("treatment__procedure_date"),
            treatment_name=F("treatment__treatment_type__name"),
            min_days_to_clearance=F("treatment__treatment_type__min_days_to_clearance"),
        )
        .values_list(*_PendingClearance._fields)
    )
    return [_PendingClearance._make(row) for row in rows]


def _overridden(plan: _OpenPlan | None) -> bool:
    return plan is not None and bool(plan.stage_override_reason)


def _status_line(patient: _Person, plan: _OpenPlan | None, today: date) -> str:
    if plan is not None:
        if plan.status == PlanStatus.PAUSED:
            return "Plan paused"
        if plan.start_date > today:
            return f"Plan starts {plan.start_date:%-d %b}"
        week = engine.week_number(plan.start_date, today)
        last = f", last session {plan.last_session:%-d %b}" if plan.last_session else ""
        return f"On track: week {week}{last}"
    status = patient.clearance_status
    if status == ClearanceStatus.DECLINED:
        return "Clearance declined"
    if status == ClearanceStatus.REVOKED:
        return "Clearance revoked"
    if status is None:
        return "No clearance request"
    return "No open plan"


def clinician_triage(clinician: User, *, now: datetime | None = None) -> Triage:
    """The clinician's own patients in order of urgency, plus everyone else (5 queries).

    Tiers: 1 open alerts, warning signs and severe pain (emergency before same-day, oldest
    first; a patient waiting for clearance too); 2 pain or a plan that changed course: a plan
    stopped, a week flagged for review (severe or repeated pain, then a red session of the last
    seven days as soon as it is logged, then a return after a break or overdoing), a week eased
    back; 3 engagement (no session for 14+ days, held two weeks running, no session for 3+
    days); 4 clearances waiting for a decision. A patient is listed once, under their most
    urgent reason; the others are shown with it as "also".
    """
    now = now or timezone.now()
    patients = clinician_patients(clinician)
    people = _people(patients)
    # One calendar date per time zone, read through the model (an unknown zone reads as UTC,
    # and a cached page showing the date expires at that zone's midnight).
    dates: dict[str, date] = {}
    tzs: dict[str, zoneinfo.ZoneInfo] = {}
    for person in people:
        if person.timezone not in dates:
            dates[person.timezone] = PatientProfile(timezone=person.timezone).local_date(now)
            tzs[person.timezone] = _zone(person.timezone)
    today = {person.pk: dates[person.timezone] for person in people}
    zones = {person.pk: tzs[person.timezone] for person in people}

    reasons: dict[int, list[Reason]] = defaultdict(list)
    alerts_by_patient = _open_alerts(patients, today, zones)
    for patient_id, alerts in alerts_by_patient.items():
        reasons[patient_id].append(_alert_reason(alerts))

    patient_ids = [person.pk for person in people]
    plans = {plan.patient_id: plan for plan in _open_plans(patient_ids)}
    for patient_id, plan in plans.items():
        reasons[patient_id].extend(_plan_reasons(plan, today[patient_id]))

    for patient_id, session in _red_sessions(patient_ids, today).items():
        reasons[patient_id].append(
            _red_session_reason(session, today[patient_id], plans.get(patient_id))
        )

    for clearance in _pending_clearances(patients):
        reasons[clearance.patient_id].append(
            _clearance_reason(clearance, today[clearance.patient_id])
        )

    patient_url = _link_maker("clinic:patient")
    clearance_url = _link_maker("clinic:clearance")
    rows: list[TriageRow] = []
    others: list[OtherRow] = []
    for person in people:
        pk = person.pk
        found = sorted(reasons.get(pk, ()), key=lambda r: (r.tier, r.rank))
        if found:
            rows.append(
                TriageRow(
                    patient_id=pk,
                    name=person.display_name,
                    url=patient_url(pk),
                    reason=found[0],
                    also=found[1:],
                    alerts=alerts_by_patient.get(pk, []),
                    clearance_url=clearance_url(pk) if found[0].tier == Tier.CLEARANCE else "",
                    stage_override=_overridden(plans.get(pk)),
                )
            )
        else:
            others.append(
                OtherRow(
                    patient_id=pk,
                    name=person.display_name,
                    url=patient_url(pk),
                    status=_status_line(person, plans.get(pk), today[pk]),
                    stage_override=_overridden(plans.get(pk)),
                )
            )
    rows.sort(key=lambda row: (row.reason.tier, row.reason.rank, row.patient_id))
    return Triage(rows=rows, others=others, closed_today=_closed_today(patients, now, patient_url))


def _closed_today(patients, now: datetime, patient_url: Callable[[int], str]) -> list[ClosedAlert]:
    """Alerts of the panel closed since midnight on the clinic's clock, newest first (one query)."""
    local_now = on_clinic_clock(now)
    midnight = datetime.combine(local_now.date(), datetime.min.time(), tzinfo=local_now.tzinfo)
    rows = (
        Alert.objects.filter(patient__in=patients, acknowledged_at__gte=midnight)
        .order_by("-acknowledged_at", "-pk")
        .values_list(
            *("pk", "patient_id", "patient__user__first_name", "patient__user__last_name"),
            *("patient__user__username", "tier", "kind", "flags", "acknowledged_at"),
            *("acknowledged_by__first_name", "acknowledged_by__last_name"),
            *("acknowledged_by__username", "outcome", "outcome_note"),
        )
    )
    return [
        ClosedAlert(
            pk=pk,
            patient_url=patient_url(patient_id),
            patient_name=name_shown(first, last, username),
            tier=tier,
            kind=kind,
            flags=flags,
            closed_at=closed_at,
            closed_by=name_shown(by_first, by_last, by_username),
            outcome=outcome,
            note=note,
        )
        for (
            pk,
            patient_id,
            first,
            last,
            username,
            tier,
            kind,
            flags,
            closed_at,
            by_first,
            by_last,
            by_username,
            outcome,
            note,
        ) in rows
    ]


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
