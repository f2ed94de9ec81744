"""Closing the weeks of many plans at once: the weekly pass's batch, set-based.

The same decisions as `plan_close_weeks` (both run `weeks.decide_weeks`, the one loop around the
engine), read and written a batch at a time: one locking read of the plans, one read of their
last two prescribed weeks, one read of the sessions of the weeks being decided (each session's
summary: the engine classes every session, so nothing is summed in SQL), the engine per plan in
Python, one INSERT of every new PlanWeek. The plans a STOP pauses are paused as `_pause` pauses
one (`_pause_many`: one UPDATE, each plan pointing at its STOP week, and one audit INSERT).

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
from plans.services.common import _pause_many
from plans.services.weeks import decide_weeks, week_row, weeks_closed_since

logger = logging.getLogger(__name__)


@dataclass
class BatchClose:
    plans: int = 0  # plans given
    skipped: list[int] = field(default_factory=list)  # held by another transaction, or not active
    closed: int = 0  # plans that got at least one new week (week 1 included)
    weeks: int = 0  # PlanWeek rows created
    paused: list[int] = field(default_factory=list)  # plans a STOP paused
    last_week: dict[int, int] = field(default_factory=dict)  # each locked plan's last week now


RULES = ("start_minutes", "min_increment", "max_increment", "target_minutes", "sessions_per_week")


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
    of them when it has no week yet, as the engine's summaries: plan → week → [summary].

    Summaries are immutable, so sessions that read alike share one (most weeks repeat a few
    minute counts and pains): the engine's checks run once per distinct session, not per row.
    """
    rows = (
        SessionLog.objects.filter(plan_id__in=plan_ids)
        .filter(week__gte=Coalesce(_last_week_of_plan(), Value(1)) - 1)
        .values_list("plan_id", "week", *SessionLog.SUMMARY_FIELDS)
    )
    sessions: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    alike: dict[tuple, engine.SessionSummary] = {}
    for plan_id, week, minutes, pain, hours, sharp, flags, pain_before in rows:
        key = (minutes, pain, hours, sharp, tuple(flags or ()), pain_before)
        summary = alike.get(key)
        if summary is None:
            summary = alike[key] = session_summary(minutes, pain, hours, sharp, flags, pain_before)
        sessions[plan_id][week].append(summary)
    return sessions


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
            .values_list("pk", "patient_id", "start_date", *RULES)
        )
        locked = {row[0] for row in plans}
        result.skipped = [pk for pk in days if pk not in locked]
        prescribed = _weeks_from_the_one_before_last(list(locked))
        due = [
            row
            for row in plans
            if not prescribed.get(row[0])
            or weeks_closed_since(row[2], days[row[0]]) >= max(prescribed[row[0]])
        ]
        sessions = _sessions_from_the_week_before_last([row[0] for row in due]) if due else {}
        result.last_week = {pk: max(weeks) for pk, weeks in prescribed.items()}
        rules_alike: dict[tuple, engine.Rules] = {}
        rows: list[PlanWeek] = []
        stopped: dict[int, int] = {}  # plan id → patient id
        for pk, patient_id, start_date, *values in due:
            try:
                key = tuple(values)
                rules = rules_alike.get(key)
                if rules is None:
                    rules = rules_alike[key] = engine.Rules(**dict(zip(RULES, key, strict=True)))
                found = _decide(
                    rules, start_date, days[pk], prescribed.get(pk), sessions.get(pk, {})
                )
            except Exception:  # pure Python here (no query): a bug or data the engine refuses
                # One broken plan must not hold up the rest of its batch; its reminder waits.
                logger.exception("Closing the weeks of plan %s failed.", pk)
                continue
            if not found:
                continue
            rows.extend(week_row(pk, prescription) for prescription in found)
            result.closed += 1
            result.last_week[pk] = found[-1].week
            if found[-1].decision == engine.Decision.STOP:
                stopped[pk] = patient_id
        PlanWeek.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
        result.weeks = len(rows)
        if stopped:  # locked above, in this transaction
            _pause_many(stopped)
            result.paused = sorted(stopped)
    return result


def _decide(
    rules: engine.Rules,
    start_date: date,
    today: date,
    prescribed: dict[int, int] | None,
    sessions: dict[int, list],
) -> list[engine.Prescription]:
    """The new prescriptions of one locked plan: week 1 when it has none, then every week
    through the one after its last closed week (`_close_weeks`, without its queries)."""
    found: list[engine.Prescription] = []
    prescribed = dict(prescribed or {})
    if not prescribed:
        first = engine.next_week(rules, [])
        prescribed[first.week] = first.minutes
        found.append(first)
    closed = weeks_closed_since(start_date, today)
    if closed >= max(prescribed):
        found.extend(decide_weeks(rules, prescribed, sessions, closed))
    return found


__all__ = ["BatchClose", "plans_close_weeks"]
