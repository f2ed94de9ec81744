"""The patient's history: their weeks grouped by plan, newest first, with their sessions; and
which weeks a stopped plan reached (shared with the clinician's record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import DurationField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate

from plans import engine
from plans.models import Plan, PlanStatus, PlanWeek, SessionLog
from plans.wording import explain
from recovery.models import PatientProfile

HISTORY_WEEKS_PER_PAGE = 12
_ONE_DAY = timedelta(days=1)


def plan_end_day(plan: Plan, tz) -> date | None:
    """The last day of a plan that is no longer running, on the patient's clock (None while it
    runs): the day it was paused, else the day it ended. Its weeks end there, whatever their
    calendar block says: a STOP prescribed for the week after a warning sign is no week the
    patient had, and a resume starts a new plan on the same days."""
    if plan.status == PlanStatus.ACTIVE:
        return None
    moment = plan.paused_at or plan.ended_at
    return moment.astimezone(tz).date() if moment is not None else None


def weeks_the_plan_reached(weeks: QuerySet[PlanWeek], tz) -> QuerySet[PlanWeek]:
    """`weeks` without those a stopped plan never reached: a week is kept when its plan runs,
    or when its calendar block began by the plan's last day (`plan_end_day`, in SQL)."""
    seven_days = Value(timedelta(days=7), output_field=DurationField())
    first_day = F("plan__start_date") + ExpressionWrapper(
        (F("week") - 1) * seven_days, output_field=DurationField()
    )
    end_day = TruncDate(Coalesce("plan__paused_at", "plan__ended_at"), tzinfo=tz)
    return weeks.alias(first_day=first_day, end_day=end_day).filter(
        Q(plan__status=PlanStatus.ACTIVE) | Q(end_day__isnull=True) | Q(first_day__lte=F("end_day"))
    )


@dataclass(frozen=True)
class HistoryPlan:
    """A plan as the patient's history heads its weeks: when it started and how it stands."""

    plan: Plan
    end_day: date | None

    @property
    def is_current(self) -> bool:
        return self.plan.status == PlanStatus.ACTIVE

    @property
    def resumed(self) -> bool:
        return self.plan.status == PlanStatus.COMPLETED

    @property
    def restarted(self) -> bool:
        """Whether this plan began as a resume of an earlier one."""
        return self.plan.restarted_from_id is not None


@dataclass(frozen=True)
class HistoryWeek:
    prescription: PlanWeek
    first_day: date
    last_day: date
    sessions: list[SessionLog]
    plan: HistoryPlan | None = None
    # The first of its plan's weeks on this page: the page heads the plan's weeks here.
    first_of_plan: bool = False

    @property
    def has_notes(self) -> bool:
        """Whether any session has notes or warning signs to show (a column only then)."""
        return any(s.notes or s.red_flags for s in self.sessions)

    @property
    def sessions_done(self) -> int:
        return sum(engine.is_completed(s.minutes, self.prescription.minutes) for s in self.sessions)

    @property
    def cut_short(self) -> bool:
        """The plan stopped before this week's calendar block ended."""
        return self.last_day < self.first_day + timedelta(days=6)

    @property
    def explanation(self) -> str:
        """Why this week has its minutes, naming the weeks: "Week 4 stays at 30 minutes
        because in week 3 you completed 1 of 3 sessions." (its stored reason for old weeks)."""
        week = self.prescription
        return explain(
            week.cause, week.cause_numbers, week.reason, audience="patient", week=week.week
        )


def history_page(patient: PatientProfile, page_number) -> tuple[Page, list[HistoryWeek]]:
    """The patient's weeks, grouped by plan, newest plan first and each plan's newest week first,
    each with its sessions. 3 queries whatever the history's length: count, the page's weeks
    with their plans, the page's sessions.

    A plan that stopped (a warning sign, a pause, then a resume as a new plan) lists only the
    weeks that began by the day it stopped, the last one ending that day: the STOP prescribed
    for the following week, and days the next plan covers, are not shown as weeks of it.
    """
    tz = patient.tz
    weeks = (
        weeks_the_plan_reached(PlanWeek.objects.filter(plan__patient=patient), tz)
        .select_related("plan__pause_week")
        .order_by("-plan_id", "-week")
    )
    page = Paginator(weeks, HISTORY_WEEKS_PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    spans: dict[int, tuple[int, int]] = {}
    for row in rows:
        low, high = spans.get(row.plan_id, (row.week, row.week))
        spans[row.plan_id] = (min(low, row.week), max(high, row.week))
    by_week: dict[tuple[int, int], list[SessionLog]] = {}
    if spans:
        condition = Q()
        for plan_id, (low, high) in spans.items():
            condition |= Q(plan_id=plan_id, week__gte=low, week__lte=high)
        for log in SessionLog.objects.filter(condition).order_by("-date", "-id"):
            by_week.setdefault((log.plan_id, log.week), []).append(log)
    history = []
    plans: dict[int, HistoryPlan] = {}
    for row in rows:
        first, after = row.plan.week_bounds(row.week)
        last = after - _ONE_DAY
        heading = row.plan_id not in plans
        if heading:
            plans[row.plan_id] = HistoryPlan(row.plan, plan_end_day(row.plan, tz))
        stopped = plans[row.plan_id].end_day
        if stopped is not None:
            last = max(first, min(last, stopped))
        history.append(
            HistoryWeek(
                prescription=row,
                first_day=first,
                last_day=last,
                sessions=by_week.get((row.plan_id, row.week), []),
                plan=plans[row.plan_id],
                first_of_plan=heading,
            )
        )
    return page, history
