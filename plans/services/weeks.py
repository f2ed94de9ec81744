"""Closing weeks: the engine's prescriptions turned into `PlanWeek` rows."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.db import transaction

from plans import engine
from plans.models import (
    PauseCause,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
    session_summary,
)
from plans.patient_record import current_plan, patient_plans
from plans.services.common import _lock_plan, _pause

logger = logging.getLogger(__name__)


# --- weeks ---------------------------------------------------------------------------------------


def week_row(plan_id: int, prescription: engine.Prescription) -> PlanWeek:
    """The PlanWeek a prescription becomes, not yet saved (one here, a batch's in weeks_batch)."""
    return PlanWeek(
        plan_id=plan_id,
        week=prescription.week,
        minutes=prescription.minutes,
        sessions_per_week=prescription.sessions_per_week,
        decision=prescription.decision.value,
        reason=prescription.reason,
        review=prescription.review.value,
        **week_cause(prescription),
    )


def _week_create(plan: Plan, prescription: engine.Prescription) -> PlanWeek:
    week = week_row(plan.pk, prescription)
    week.plan = plan
    week.save(force_insert=True)
    return week


def week_cause(prescription: engine.Prescription) -> dict:
    """The PlanWeek fields that keep what decided a prescription, as data (plans.wording)."""
    return {
        "cause": prescription.cause.value,
        "cause_numbers": dict(prescription.cause_numbers),
    }


def _summaries_by_week(plan: Plan, first_week: int, last_week: int) -> dict[int, list]:
    logs = SessionLog.objects.filter(
        plan=plan, week__gte=first_week, week__lte=last_week
    ).values_list("week", *SessionLog.SUMMARY_FIELDS)
    by_week: dict[int, list] = defaultdict(list)
    for week, *fields in logs:
        by_week[week].append(session_summary(*fields))
    return by_week


def _history(
    prescribed: dict[int, int], sessions: dict[int, list], through: int
) -> list[engine.WeekLog]:
    """Week logs 1..through, from each week's prescribed minutes and the sessions loaded for it.

    The engine decides the week after `w` from `w` and the week before it, `v` (and the number
    of weeks before them), so callers load sessions only for the weeks still to be decided and
    the one before the first of them (`_first_loaded`): a three-year plan costs the same to close
    as a new one.
    """
    # Weeks before `v` are never read by the engine beyond their number: a caller that loaded
    # only the weeks it needs (the batched pass) lets one stand in for each, with the minutes of
    # the first week it loaded and no sessions.
    first = min(prescribed)
    earlier = [engine.WeekLog(prescribed_minutes=prescribed[first])] * (first - 1)
    return earlier + [
        engine.WeekLog(prescribed_minutes=prescribed[k], sessions=tuple(sessions.get(k, ())))
        for k in range(first, through + 1)
    ]


def _first_loaded(week: int) -> int:
    """The first week whose sessions deciding the week after `week` reads: `v`, the one before."""
    return max(1, week - 1)


def closed_week_count(plan: Plan, today: date) -> int:
    """A week is closed once its last day has passed: week k closes when today >= start + 7k."""
    return weeks_closed_since(plan.start_date, today)


def weeks_closed_since(start_date: date, today: date) -> int:
    """closed_week_count from a plan's start date alone."""
    return max(0, engine.week_number(start_date, today) - 1)


def plan_close_weeks(*, plan: Plan | int, today: date) -> list[PlanWeek]:
    """Turn every closed week of an active plan into the next week's PlanWeek. Idempotent.

    The plan row is locked, so two callers at once (the dashboard and the reminder job) produce
    one PlanWeek per week; the unique (plan, week) constraint backs that up. A STOP pauses the plan.

    Most calls find nothing to close (every dashboard view calls this): given a loaded plan, its
    last prescribed week answers that without a transaction or a row lock (read with the plan
    as `last_week` where the page loaded it so, else one unlocked query).
    Weeks are never removed (a late log may re-decide the current one in place), so "nothing
    due" cannot turn false before the lock would be taken.
    """
    if isinstance(plan, Plan) and not weeks_due(
        plan, today, last_week=getattr(plan, "last_week", ...)
    ):
        return []
    with transaction.atomic():
        return _close_weeks(_lock_plan(plan), today)


def plan_close_weeks_shown(plan: Plan, *, today: date) -> list[PlanWeek]:
    """plan_close_weeks for a page (or API answer) that shows `plan` afterwards: when a week
    stops the plan, the loaded plan gets its pause, and its STOP week without a query."""
    created = plan_close_weeks(plan=plan, today=today)
    stop = next((week for week in created if week.decision == engine.Decision.STOP), None)
    if stop is not None:
        fields = ["status", "pause_cause", "pause_day", "pause_reason", "paused_at"]
        plan.refresh_from_db(fields=fields)
        plan.pause_week = stop
    return created


def patient_plans_closed(patient, *, today: date) -> list[Plan]:
    """A patient's plans for the clinician's record (page and API), the open plan's finished
    weeks decided first, so the clinician sees the same week as the patient; read again only
    when a STOP paused the plan."""
    plans = patient_plans(patient)
    plan = current_plan(plans)
    if plan is not None and plan.status == PlanStatus.ACTIVE:
        created = plan_close_weeks(plan=plan, today=today)  # no query when none is due
        if any(week.decision == engine.Decision.STOP for week in created):
            plans = patient_plans(patient)
    return plans


def weeks_due(plan: Plan, today: date, *, last_week: int | object | None = ...) -> bool:
    """Whether a finished week still lacks the next week's PlanWeek.

    Pass `last_week` (the highest prescribed week, None for none) when a page has loaded it
    already; otherwise it costs one query.
    """
    if last_week is ...:
        last = PlanWeek.objects.filter(plan=plan).order_by("-week").values_list("week", flat=True)
        last_week = last.first()
    return last_week is None or closed_week_count(plan, today) >= last_week


def _close_weeks(plan: Plan, today: date) -> list[PlanWeek]:
    """plan_close_weeks for a plan row the caller has already locked in its transaction."""
    if plan.status != PlanStatus.ACTIVE:
        return []
    closed = closed_week_count(plan, today)
    rules = plan.rules()
    prescribed = dict(PlanWeek.objects.filter(plan=plan).values_list("week", "minutes"))
    if not prescribed:
        first = _week_create(plan, engine.next_week(rules, []))
        prescribed[first.week] = first.minutes
    created: list[PlanWeek] = []
    decided = max(prescribed)
    sessions = _summaries_by_week(plan, _first_loaded(decided), closed) if closed >= decided else {}
    for prescription in decide_weeks(rules, prescribed, sessions, closed):
        created.append(_week_create(plan, prescription))
        if prescription.decision == engine.Decision.STOP:
            _pause(plan, cause=PauseCause.WEEK_STOP, week=created[-1], actor=None)
    return created


def decide_weeks(
    rules: engine.Rules, prescribed: dict[int, int], sessions: dict[int, list], closed: int
) -> list[engine.Prescription]:
    """The prescriptions for the weeks after the last prescribed one through `closed` + 1, in
    order; a STOP is the last (no week follows it until a clinician resumes).

    The one loop both closers share (this module's per-plan `_close_weeks` and the batched pass,
    `plans.services.weeks_batch`), so they cannot disagree. `prescribed` maps week → minutes and
    holds at least the last prescribed week and the one before it; `sessions` maps week → the
    sessions' summaries, for those weeks onwards. It is updated with each new week.
    """
    found: list[engine.Prescription] = []
    for k in range(max(prescribed), closed + 1):
        prescription = engine.next_week(rules, _history(prescribed, sessions, through=k))
        prescribed[prescription.week] = prescription.minutes
        found.append(prescription)
        if prescription.decision == engine.Decision.STOP:
            break
    return found
