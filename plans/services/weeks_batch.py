"""Closing the weeks of many plans at once: the weekly pass's batch, set-based.

The same decisions as `plan_close_weeks` (both run `weeks.decide_weeks`, the one loop around the
engine), read and written a batch at a time: one locking read of the plans, one read of their
last two prescribed weeks, one read of the sessions of the weeks being decided (each session's
summary: the engine classes every session, so nothing is summed in SQL), the engine per plan in
Python, one INSERT of every new PlanWeek. A STOP pauses its plan through the same `_pause` the
per-plan path uses (audited); STOPs are rare, so that stays one plan at a time.

Locks: the plans are taken FOR NO KEY UPDATE, like `_lock_plan`, in key order, skipping any plan
another transaction holds (the dashboard closing it, a log pausing it, another worker running
the same batch). A skipped plan is that other transaction's to close, or the next pass's: a batch
never waits, so two workers given the same batch split it rather than queue. Re-running a batch
finds the weeks made and makes none; the unique (plan, week) constraint backs the locks up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from plans import engine
from plans.models import Plan, PlanStatus, PlanWeek, SessionLog, session_summary
from plans.services.common import _pause
from plans.services.weeks import closed_week_count, decide_weeks, week_cause

logger = logging.getLogger(__name__)


@dataclass
class BatchClose:
    plans: int = 0  # plans given
    skipped: int = 0  # plans another transaction held (theirs to close) or no longer active
    closed: int = 0  # plans that got at least one new week (week 1 included)
    weeks: int = 0  # PlanWeek rows created
    paused: list[int] = field(default_factory=list)  # plans a STOP paused


def _last_week_of_plan() -> Subquery:
    # One probe of the unique (plan, week) index per row.
    return Subquery(
        PlanWeek.objects.filter(plan=OuterRef("plan_id")).order_by("-week").values("week")[:1]
    )


def _weeks_from_the_one_before_last(plan_ids: list[int]) -> dict[int, dict[int, int]]:
    """Each plan's last prescribed week and the one before it: week → minutes."""
    rows = (
        PlanWeek.objects.filter(plan_id__in=plan_ids)
        .filter(week__gte=_last_week_of_plan() - 1)
        .values_list("plan_id", "week", "minutes")
    )
    prescribed: dict[int, dict[int, int]] = defaultdict(dict)
    for plan_id, week, minutes in rows:
        prescribed[plan_id][week] = minutes
    return prescribed


def _sessions_from_the_week_before_last(plan_ids: list[int]) -> dict[int, dict[int, list]]:
    """Each plan's sessions from `v` (the week before its last prescribed one) onwards, or all
    of them when it has no week yet, as the engine's summaries: plan → week → [summary]."""
    rows = (
        SessionLog.objects.filter(plan_id__in=plan_ids)
        .filter(week__gte=Coalesce(_last_week_of_plan(), Value(1)) - 1)
        .values_list("plan_id", "week", *SessionLog.SUMMARY_FIELDS)
    )
    sessions: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for plan_id, week, *fields in rows:
        sessions[plan_id][week].append(session_summary(*fields))
    return sessions


def _row(plan_id: int, prescription: engine.Prescription) -> PlanWeek:
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


def plans_close_weeks(days: Mapping[int, date]) -> BatchClose:
    """Close the finished weeks of the active plans in `days` (plan id → today on the patient's
    clock), as `plan_close_weeks` would one by one. Idempotent; never waits on a plan's lock."""
    result = BatchClose(plans=len(days))
    if not days:
        return result
    with transaction.atomic():
        plans = list(
            Plan.objects.select_for_update(of=("self",), no_key=True, skip_locked=True)
            .filter(pk__in=list(days), status=PlanStatus.ACTIVE)
            .order_by("pk")
        )
        result.skipped = len(days) - len(plans)
        ids = [plan.pk for plan in plans]
        prescribed = _weeks_from_the_one_before_last(ids)
        due = [
            plan
            for plan in plans
            if not prescribed.get(plan.pk)
            or closed_week_count(plan, days[plan.pk]) >= max(prescribed[plan.pk])
        ]
        sessions = _sessions_from_the_week_before_last([plan.pk for plan in due]) if due else {}
        rows: list[PlanWeek] = []
        stopped: list[tuple[Plan, str]] = []
        for plan in due:
            try:
                found = _decide(plan, days[plan.pk], prescribed.get(plan.pk), sessions)
            except ValueError:
                # One plan with rules the engine refuses must not hold up the rest of its batch.
                logger.exception("Closing the weeks of plan %s failed.", plan.pk)
                continue
            rows.extend(_row(plan.pk, prescription) for prescription in found)
            result.closed += bool(found)
            if found and found[-1].decision == engine.Decision.STOP:
                stopped.append((plan, found[-1].reason))
        PlanWeek.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        result.weeks = len(rows)
        for plan, reason in stopped:
            _pause(plan, reason=reason, actor=None)
            result.paused.append(plan.pk)
    return result


def _decide(
    plan: Plan, today: date, prescribed: dict[int, int] | None, sessions: dict
) -> list[engine.Prescription]:
    """The new prescriptions of one locked plan: week 1 when it has none, then every week
    through the one after its last closed week (`_close_weeks`, without its queries)."""
    rules = plan.rules()
    found: list[engine.Prescription] = []
    prescribed = dict(prescribed or {})
    if not prescribed:
        first = engine.next_week(rules, [])
        prescribed[first.week] = first.minutes
        found.append(first)
    closed = closed_week_count(plan, today)
    if closed >= max(prescribed):
        found.extend(decide_weeks(rules, prescribed, sessions.get(plan.pk, {}), closed))
    return found


__all__ = ["BatchClose", "plans_close_weeks"]
