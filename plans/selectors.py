"""Read queries the patient pages share, each with its query budget.

Budgets count SQL statements issued here, not the two every signed-in request costs (session and
user). Nothing in this module writes; closing weeks is `plans.services.plan_close_weeks`' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from plans import engine
from plans.models import (
    Alert,
    AlertKind,
    Contraindication,
    Exercise,
    ExerciseCategory,
    PainDuration,
    Plan,
    PlanStatus,
    PlanWeek,
    ProgrammeItem,
    SessionLog,
    SymptomReport,
)
from plans.wording import Audience, explain
from recovery.access import own_patient_filter, own_patients
from recovery.models import Activity, AuditEvent, Clearance, PatientProfile

# Written by recovery.services.patient_update_reminders; its presence means "the patient chose".
REMINDERS_SAVED_ACTION = "patient_update_reminders"

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WeekSummary:
    """One prescribed week of a plan and what the patient logged in it."""

    plan_id: int
    week: int
    minutes: int
    sessions_per_week: int
    decision: str
    reason: str
    logged_minutes: int
    sessions_logged: int
    sessions_done: int
    max_pain: int | None
    # What decided the week, as data ("" for weeks decided before causes were kept).
    cause: str = ""
    cause_numbers: dict | str | None = None
    # The PlanWeek row's id (None where a summary is built by hand).
    pk: int | None = None

    def explanation(self, audience: Audience, *, named: bool = False) -> str:
        """Why this week has its minutes, said about this week (plans.wording), or the stored
        reason for a week decided before causes were kept. `named`: "Week 4 … in week 3"."""
        return explain(
            self.cause,
            self.cause_numbers,
            self.reason,
            audience=audience,
            week=self.week if named else None,
        )

    @property
    def patient_explanation(self) -> str:
        """For /me/: "This week stays at 30 minutes because last week you…"."""
        return self.explanation("patient")

    @property
    def patient_explanation_named(self) -> str:
        """For a list of weeks, or a week not yet begun: "Week 4 … because in week 3 you…"."""
        return self.explanation("patient", named=True)

    @property
    def clinician_explanation(self) -> str:
        """For the record's weeks table, in the third person, naming the week before."""
        return self.explanation("clinician", named=True)

    @property
    def planned_total(self) -> int:
        return self.minutes * self.sessions_per_week

    @property
    def sessions_needed(self) -> int:
        """Completed sessions that keep the week from being held (engine rule 3)."""
        return engine.completed_needed(self.sessions_per_week)

    @property
    def done_at_minutes(self) -> int:
        """The fewest minutes that count as a completed session (80 %, rounded up)."""
        return engine.completed_minimum(self.minutes)

    @property
    def is_stop(self) -> bool:
        return self.decision == engine.Decision.STOP


def week_summaries(plan: Plan | int, *, last: int | None = None) -> list[WeekSummary]:
    """Every prescribed week of a plan with its logged totals, oldest first. One query: the
    plan's weeks joined to the sessions logged in each (deleted ones left out) and grouped.

    A session counts as done when the engine calls it completed: 5 × minutes >= 4 × that week's
    prescribed minutes (engine.is_completed, in integers here too). `last` keeps only the most
    recent weeks.
    """
    plan_id = plan.pk if isinstance(plan, Plan) else plan
    logged = FilteredRelation(
        "plan__sessions",
        condition=Q(plan__sessions__week=F("week"), plan__sessions__deleted_at__isnull=True),
    )
    rows = (
        PlanWeek.objects.filter(plan_id=plan_id)
        .annotate(logged=logged)
        .annotate(
            logged_minutes=Coalesce(Sum("logged__minutes"), 0),
            logged_sessions=Count("logged"),
            completed=Count(
                "logged", filter=GreaterThanOrEqual(F("logged__minutes") * 5, F("minutes") * 4)
            ),
            worst_pain=Max("logged__pain"),
        )
        .values_list(
            "plan_id",
            "week",
            "minutes",
            "sessions_per_week",
            "decision",
            "reason",
            "logged_minutes",
            "logged_sessions",
            "completed",
            "worst_pain",
            "cause",
            "cause_numbers",
            "id",
        )
        .order_by("-week")
    )
    if last is not None:
        rows = rows[:last]
    return [WeekSummary(*row) for row in reversed(rows)]


# --- the dashboard ------------------------------------------------------------------------------


def own_open_plan(user, *, joined: bool = True) -> Plan | None:
    """The signed-in patient's open plan with their profile and its last prescribed week
    (`last_week`, None before the first), in one query (None without a plan).

    Starts from `request.user` like `recovery.access.own_patient_profile`, which the views fall
    back to when there is no plan; joining the profile here saves a query on every page and on
    every logged session. The profile is chosen in that join (`own_patient_filter`), not by a
    subquery: planning this statement costs PostgreSQL more than running it.

    `joined=False`: the plan and its profile only (no clearance, treatment or `last_week`), for
    the log form's POST, which the service reads again under its lock: the pages' joins are a
    third of that statement's cost and the POST reads none of them.

    The pause week (an engine stop's words) is not joined: /me/ finds it among the weeks it
    loads (`dashboard`); anything else reading `pause_words` loads it on demand.
    """
    # At most one open plan per patient (plan_one_open_per_patient): no ordering needed. The
    # profile's user is the signed-in user the auth middleware has loaded already. The last
    # prescribed week comes along (`last_week`): closing weeks needs it on every page.
    plans = Plan.objects.filter(
        own_patient_filter(user), status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED]
    )
    if joined:
        last_week = PlanWeek.objects.filter(plan=OuterRef("pk")).order_by("-week").values("week")
        plans = plans.select_related("patient", "clearance__treatment").annotate(
            last_week=Subquery(last_week[:1])
        )
    else:
        plans = plans.select_related("patient")
    rows = list(plans.order_by()[:1])
    if not rows:
        return None
    rows[0].patient.user = user
    return rows[0]


def latest_clearance(patient: PatientProfile) -> Clearance | None:
    """The most recent clearance request and who decides it. 1 query."""
    return (
        Clearance.objects.filter(patient=patient)
        .select_related("treatment__treatment_type", "patient__clinician")
        .first()
    )


def exercises_for_plan(plan: Plan) -> list[Exercise]:
    """Active core and stretching exercises up to the plan's stage, minus those contraindicated
    for the patient's treatment type at that stage (for good, or until a later stage). 1 query
    (needs `clearance__treatment` loaded)."""
    blocking = Contraindication.objects.blocking(
        plan.clearance.treatment.treatment_type_id, plan.stage
    ).filter(exercise=OuterRef("pk"))
    return list(
        Exercise.objects.filter(
            active=True,
            stage__lte=plan.stage,
            category__in=[ExerciseCategory.CORE, ExerciseCategory.FLEXIBILITY],
        )
        .exclude(Exists(blocking))
        .order_by("category", "stage", "name")
    )


def programme_exercise_queryset(plan: Plan):
    """The exercises of the patient's home programme today (DESIGN §9), as one query: their
    tailored items that the plan's stage and the treatment's contraindications allow now, or,
    when the clinician has tailored nothing, the stage's exercises (as `exercises_for_plan`).
    `place` is the item's position (None untailored). Needs nothing loaded: the treatment type
    is read in the same statement unless the plan came with its clearance's treatment."""
    if (
        "clearance" in plan._state.fields_cache
        and "treatment" in plan.clearance._state.fields_cache
    ):
        # Loaded with the plan (own_open_plan): a constant, one subquery fewer to build and run.
        treatment_type = plan.clearance.treatment.treatment_type_id
    else:
        treatment_type = Subquery(
            Clearance.objects.filter(pk=plan.clearance_id).values("treatment__treatment_type_id")[
                :1
            ]
        )
    blocking = Contraindication.objects.blocking(treatment_type, plan.stage).filter(
        exercise=OuterRef("pk")
    )
    items = ProgrammeItem.objects.filter(patient_id=plan.patient_id)
    place = items.filter(exercise=OuterRef("pk")).values("position")[:1]
    return (
        Exercise.objects.filter(
            active=True,
            stage__lte=plan.stage,
            category__in=[ExerciseCategory.CORE, ExerciseCategory.FLEXIBILITY],
        )
        .exclude(Exists(blocking))
        .annotate(place=Subquery(place))
        .filter(Q(place__isnull=False) | ~Exists(items))
    )


def pause_alert(plan: Plan) -> Alert | None:
    """The alert that paused the plan, if a warning sign did. 1 query.

    A warning sign (logged or reported) pauses its plan and only a resume (a new plan) ends the
    pause, so the newest warning-sign alert of a paused plan is the reason it is paused. Severe
    pain alerts the clinician without pausing (DESIGN section 1 rule 5): not a reason.
    """
    return (
        Alert.objects.filter(plan=plan, kind=AlertKind.WARNING_SIGN)
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class PainCheck:
    """This week's sessions, which the pain advice reads, and the sessions still waiting for
    their pain follow-up, oldest first."""

    week_logs: list[SessionLog]
    follow_ups: list[SessionLog]


def pain_check(plan: Plan, *, week: int | None, today: date) -> PainCheck:
    """The sessions of `week` (none when None) and the follow-ups due, in one query.

    A follow-up is due for a session of the plan logged "it has not settled yet", not answered
    yet, and dated before the patient's today: the question is asked from the next day.
    """
    due = Q(pain_duration=PainDuration.NOT_SETTLED, pain_follow_up__isnull=True, date__lt=today)
    wanted = due | Q(week=week) if week is not None else due
    rows = list(
        SessionLog.objects.filter(wanted, plan=plan)
        .select_related("alert", "pain_follow_up")
        # Whether each has an alert or a follow-up is all the pages read of those two: not
        # their two dozen columns (a third of this statement's cost).
        .only(*_session_log_fields(), "alert__id", "pain_follow_up__id")
        .order_by("date", "id")
    )
    return PainCheck(
        week_logs=[log for log in rows if log.week == week],
        follow_ups=[log for log in rows if _follow_up_due(log, today)],
    )


@cache
def _session_log_fields() -> tuple[str, ...]:
    return tuple(field.name for field in SessionLog._meta.concrete_fields)


def _follow_up_due(log: SessionLog, today: date) -> bool:
    return (
        log.pain_duration == PainDuration.NOT_SETTLED
        and log.date < today
        and not hasattr(log, "pain_follow_up")  # loaded with the row: no query
    )


@dataclass(frozen=True)
class Dashboard:
    plan: Plan
    today: date
    weeks: list[WeekSummary]
    this_week: WeekSummary | None
    upcoming: bool
    exercises: list[Exercise]
    alert: Alert | None
    # This week's sessions (an active plan that has started) and the pain follow-ups due.
    pain: PainCheck

    @property
    def activities(self) -> list[str]:
        return [Activity(a).label for a in self.plan.allowed_activities if a in Activity.values]

    @property
    def week_first_day(self) -> date | None:
        return self.plan.week_bounds(self.this_week.week)[0] if self.this_week else None

    @property
    def week_last_day(self) -> date | None:
        if not self.this_week:
            return None
        return self.plan.week_bounds(self.this_week.week)[1] - _ONE_DAY

    @property
    def sessions_left(self) -> int:
        if not self.this_week:
            return 0
        return max(0, self.this_week.sessions_per_week - self.this_week.sessions_done)


CHART_WEEKS = 12


def dashboard(plan: Plan, *, today: date) -> Dashboard:
    """Everything /me/ shows for an open plan. 3 queries: weeks, this week's sessions with the
    follow-ups due, then exercises (active) or the alert that paused it (paused).

    Call `plan_close_weeks` first so the current week's prescription exists.
    """
    weeks = week_summaries(plan, last=CHART_WEEKS)
    current = plan.week_of(today)
    upcoming = current < 1
    prescribed = [w for w in weeks if not w.is_stop]
    by_week = {w.week: w for w in prescribed}
    this_week = by_week.get(max(current, 1)) or (prescribed[-1] if prescribed else None)
    paused = plan.status == PlanStatus.PAUSED
    if paused:
        _attach_pause_week(plan, weeks)
    started = this_week is not None and this_week.week == current and not paused
    pain_week = current if started else None
    return Dashboard(
        plan=plan,
        today=today,
        weeks=weeks,
        this_week=this_week,
        upcoming=upcoming,
        # A paused plan shows what to do now instead of exercises. The exercises are the home
        # programme's (as tailored by the clinician), grouped by category on the page.
        exercises=[]
        if paused
        else list(programme_exercise_queryset(plan).order_by("category", "stage", "name")),
        alert=pause_alert(plan) if paused else None,
        pain=pain_check(plan, week=pain_week, today=today),
    )


# What an engine stop's words read of its week (Plan.pause_words), as a summary has them.
_PAUSE_WEEK_FIELDS = (
    "id",
    "plan_id",
    "week",
    "minutes",
    "sessions_per_week",
    "decision",
    "reason",
    "cause",
    "cause_numbers",
)


def _attach_pause_week(plan: Plan, weeks: list[WeekSummary]) -> None:
    """Give a plan the engine stopped its STOP week from the weeks loaded already, so that the
    page's plan query need not join it: the week as loaded from the database, its columns that
    no summary has (review, created_at) deferred. A STOP week older than the loaded ones is left
    to load on demand."""
    if plan.pause_week_id is None or Plan.pause_week.is_cached(plan):
        return
    stop = next((w for w in weeks if w.pk == plan.pause_week_id), None)
    if stop is not None:
        values = [getattr(stop, "pk" if f == "id" else f) for f in _PAUSE_WEEK_FIELDS]
        plan.pause_week = PlanWeek.from_db(plan._state.db, _PAUSE_WEEK_FIELDS, values)


# --- one saved session --------------------------------------------------------------------------


def own_session_log(patient: PatientProfile, log_id: int) -> SessionLog | None:
    """One of the patient's own session logs with its plan and alert. 1 query."""
    return (
        SessionLog.objects.filter(pk=log_id, plan__patient=patient)
        .select_related("plan", "alert")
        .first()
    )


def week_logs(plan: Plan, week: int) -> list[SessionLog]:
    """The sessions logged so far in one week of a plan, with their alerts. 1 query.

    `log.summary()` is how the engine reads each one.
    """
    return list(
        SessionLog.objects.filter(plan=plan, week=week)
        .select_related("alert")
        .order_by("date", "id")
    )


def week_prescription(plan: Plan, week: int) -> PlanWeek | None:
    return PlanWeek.objects.filter(plan=plan, week=week).first()


# --- symptom reports ----------------------------------------------------------------------------


def own_symptom_report(user, report_id: int) -> SymptomReport | None:
    """One of the signed-in patient's own symptom reports with its alert and patient. 1 query."""
    return (
        SymptomReport.objects.filter(pk=report_id, patient__in=own_patients(user))
        .select_related("alert", "patient")
        .first()
    )


# --- settings -----------------------------------------------------------------------------------


def reminders_ever_saved(patient: PatientProfile) -> bool:
    """Whether the patient has chosen their reminder settings themselves. 1 query."""
    return AuditEvent.objects.filter(patient=patient, action=REMINDERS_SAVED_ACTION).exists()
