"""Read queries of the clinician's pages, each with a pinned query budget.

`clinician_triage` answers "who needs me now?" for one clinician in a fixed number of queries,
whether they have ten patients or five hundred: every per-patient fact (last session, last two
week decisions, open alerts, pending clearances) comes from one set-based query with subquery
annotations, and the ordering is done in Python over those rows.

Triage only reads. In particular it does not call `plan_close_weeks` for each patient (that would
be N locked queries per page view): weeks are closed by the reminder job, the patient's own
dashboard and the clinician's patient page, so a decision shown here can lag by one reminder pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import IntEnum
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone

from plans import engine
from plans.models import (
    Alert,
    AlertTier,
    Plan,
    PlanStatus,
    PlanWeek,
    RedFlag,
    SessionLog,
)
from plans.selectors import WeekSummary, week_summaries
from recovery.access import clinician_patients
from recovery.models import (
    Activity,
    Clearance,
    ClearanceEvent,
    ClearanceStatus,
    PatientProfile,
    User,
    earliest_clearance_date,
    name_shown,
)
from recovery.rows import execute

# Drawing each page, the request's own session and user queries included: pinned by
# tests/test_query_budgets.py and tests/test_views_clinic.py.
TRIAGE_QUERY_BUDGET = 15
PATIENT_DETAIL_QUERY_BUDGET = 15

# Engagement: an active plan with no session for this many days is worth a call...
IDLE_DAYS = 3
# ...and after this many days the patient has probably stopped altogether.
LONG_IDLE_DAYS = 14
# The patient page lists this many of the most recent sessions (the week table covers them all).
RECENT_LOGS = 50


class Tier(IntEnum):
    """Why a patient is on the triage list; a lower number is more urgent."""

    RED_FLAG = 1
    EASED_BACK = 2
    ENGAGEMENT = 3
    CLEARANCE = 4

    @property
    def label(self) -> str:
        return {
            Tier.RED_FLAG: "Red flag",
            Tier.EASED_BACK: "Plan reduced or stopped",
            Tier.ENGAGEMENT: "Engagement",
            Tier.CLEARANCE: "Clearance to decide",
        }[self]

    @property
    def badge(self) -> str:
        """Bootstrap colour classes (text contrast checked by axe in the browser tests)."""
        return {
            Tier.RED_FLAG: "text-bg-danger",
            Tier.EASED_BACK: "text-bg-warning",
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


@dataclass
class OpenAlert:
    """An unacknowledged alert, as much of it as the list shows."""

    pk: int
    tier: str
    flags: list[str]
    created_at: datetime
    ack_url: str

    @property
    def tier_words(self) -> str:
        return _ALERT_TIER_WORDS.get(self.tier, self.tier)


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
        return "; ".join(reason.why.lower() for reason in self.also)


@dataclass
class OtherRow:
    """A patient who needs nothing right now, with one line of status."""

    patient_id: int
    name: str
    url: str
    status: str


@dataclass
class Triage:
    rows: list[TriageRow]
    others: list[OtherRow]

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
    last_decision: str | None
    last_reason: str | None
    last_week_at: datetime | None
    prev_decision: str | None
    last_session: date | None


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


def activity_labels(codes) -> list[str]:
    return [Activity(code).label if code in Activity.values else code for code in codes or ()]


def flag_labels(codes) -> list[str]:
    return [RedFlag(code).label if code in RedFlag.values else code for code in codes or ()]


def _alert_reason(alerts: list[OpenAlert]) -> Reason:
    """Emergency before same-day, then the oldest first."""
    emergency = [a for a in alerts if a.tier == AlertTier.EMERGENCY]
    worst = emergency or alerts
    oldest = min(a.created_at for a in worst)
    flags = sorted({label for a in alerts for label in flag_labels(a.flags)})
    why = "Emergency warning sign" if emergency else "Same-day warning sign"
    if len(alerts) > 1:
        why += f" ({len(alerts)} open alerts)"
    return Reason(
        Tier.RED_FLAG,
        rank=(0 if emergency else 1, oldest),
        why=why,
        detail="; ".join(flags),
    )


def _plan_reasons(plan: _OpenPlan, today: date) -> list[Reason]:
    reasons: list[Reason] = []
    if plan.last_decision == engine.Decision.STOP:
        reasons.append(
            Reason(
                Tier.EASED_BACK,
                rank=(0, plan.last_week_at),
                why="Plan stopped",
                detail=plan.pause_reason or plan.last_reason or "",
            )
        )
    elif plan.last_decision == engine.Decision.REDUCE:
        reasons.append(
            Reason(
                Tier.EASED_BACK,
                rank=(1, plan.last_week_at),
                why=f"Week {plan.last_week} eased back",
                detail=plan.last_reason or "",
            )
        )
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
    if plan.last_decision == engine.Decision.HOLD and plan.prev_decision == engine.Decision.HOLD:
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


def _open_alerts(patients) -> dict[int, list[OpenAlert]]:
    """Each patient's unacknowledged alerts, emergency first, then the oldest first."""
    ack_url = _link_maker("clinic:alert_ack")
    alerts: dict[int, list[OpenAlert]] = defaultdict(list)
    rows = (
        Alert.objects.filter(patient__in=patients, acknowledged_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", "patient_id", "tier", "flags", "created_at")
    )
    for pk, patient_id, tier, flags, created_at in rows:
        alerts[patient_id].append(OpenAlert(pk, tier, flags, created_at, ack_url(pk)))
    for patient_alerts in alerts.values():
        patient_alerts.sort(key=lambda a: (a.tier != AlertTier.EMERGENCY, a.created_at, a.pk))
    return alerts


def _open_plans(patient_ids: list[int]) -> list[_OpenPlan]:
    """Each patient's open plan with its last two decisions and last session date (one query).

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
            last_decision=Subquery(weeks.values("decision")[:1]),
            last_reason=Subquery(weeks.values("reason")[:1]),
            last_week_at=Subquery(weeks.values("created_at")[:1]),
            prev_decision=Subquery(weeks.values("decision")[1:2]),
            last_session=Subquery(last_session[:1]),
        )
        .order_by()  # at most one open plan per patient (plan_one_open_per_patient)
        .values_list(*_OpenPlan._fields)
    )
    return [_OpenPlan._make(row) for row in rows]


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


# The triage's page-cache revision: the clinician's own number (their name, and who is on their
# panel: a patient profile changing raises it) and the sum of their patients' numbers, each of
# which only rises and rises with any change to that patient's records (plans migration 0004).
# With the panel fixed, the sum moves whenever anything listed does. A subquery per patient so
# that PostgreSQL reads each user by its primary key: joined, it hashed all users (4.8 ms at
# 20,000) instead of 500 lookups (~0.5 ms).
_PANEL_REVISION_SQL = (
    "SELECT COALESCE(SUM((SELECT u.page_revision FROM recovery_user u WHERE u.id = pp.user_id)), 0)"
    " FROM recovery_patientprofile pp WHERE pp.clinician_id = %s"
)


def panel_revision(clinician: User) -> str:
    """What the clinician's triage is cached under: it changes whenever the triage would. One
    query."""
    with connection.cursor() as cursor:
        execute(cursor, _PANEL_REVISION_SQL, [clinician.pk])
        (patients,) = cursor.fetchone()
    return f"{clinician.page_revision}.{patients}"


def clinician_triage(clinician: User, *, now: datetime | None = None) -> Triage:
    """The clinician's own patients in order of urgency, plus everyone else (4 queries).

    Tiers: 1 open red-flag alerts (emergency before same-day, oldest first); 2 plans whose last
    week was REDUCE or STOP; 3 engagement (no session for 14+ days, held two weeks running, no
    session for 3+ days); 4 clearances waiting for a decision. A patient is listed once, under
    their most urgent reason; the others are shown with it as "also".
    """
    now = now or timezone.now()
    patients = clinician_patients(clinician)
    people = _people(patients)
    # One calendar date per time zone, read through the model (an unknown zone reads as UTC,
    # and a cached page showing the date expires at that zone's midnight).
    dates: dict[str, date] = {}
    for person in people:
        if person.timezone not in dates:
            dates[person.timezone] = PatientProfile(timezone=person.timezone).local_date(now)
    today = {person.pk: dates[person.timezone] for person in people}

    reasons: dict[int, list[Reason]] = defaultdict(list)
    alerts_by_patient = _open_alerts(patients)
    for patient_id, alerts in alerts_by_patient.items():
        reasons[patient_id].append(_alert_reason(alerts))

    plans = {plan.patient_id: plan for plan in _open_plans([person.pk for person in people])}
    for patient_id, plan in plans.items():
        reasons[patient_id].extend(_plan_reasons(plan, today[patient_id]))

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
                )
            )
        else:
            others.append(
                OtherRow(
                    patient_id=pk,
                    name=person.display_name,
                    url=patient_url(pk),
                    status=_status_line(person, plans.get(pk), today[pk]),
                )
            )
    rows.sort(key=lambda row: (row.reason.tier, row.reason.rank, row.patient_id))
    return Triage(rows=rows, others=others)


# --- one patient ---------------------------------------------------------------------------------


@dataclass
class WeekRow:
    """A week of the plan (the same summary the patient's pages and the chart use) and its days."""

    week: WeekSummary
    first_day: date
    last_day: date
    current: bool


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
    weeks: list[WeekRow]
    logs: list[SessionLog]  # the current plan's latest sessions, newest first
    open_alerts: list[Alert]

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


def patient_detail(
    patient: PatientProfile, *, today: date, plans: list[Plan] | None = None
) -> PatientDetail:
    """Everything the clinician's patient page shows, in 6 queries whatever the history length.

    Weeks come from `plans.selectors.week_summaries`, the same numbers the patient's pages and
    the progress chart use; only the latest RECENT_LOGS sessions are listed.

    `plans` may be passed in when the caller already loaded them (the page closes the current
    plan's weeks first, which needs the plan).
    """
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
    logs: list[SessionLog] = []
    if plan is not None:
        summaries = week_summaries(plan)
        logs = list(SessionLog.objects.filter(plan=plan).order_by("-date", "-id")[:RECENT_LOGS])
        current_week = plan.week_of(today)
        for summary in summaries:
            first, after = plan.week_bounds(summary.week)
            weeks.append(
                WeekRow(
                    week=summary,
                    first_day=first,
                    last_day=after - timedelta(days=1),
                    current=summary.week == current_week,
                )
            )
    open_alerts = list(
        Alert.objects.filter(patient=patient, acknowledged_at__isnull=True).order_by(
            "created_at", "pk"
        )
    )
    open_alerts.sort(key=lambda a: (a.tier != AlertTier.EMERGENCY, a.created_at, a.pk))
    for alert in open_alerts:
        alert.labels = flag_labels(alert.flags)
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
        logs=logs,
        open_alerts=open_alerts,
    )
