"""The due pass: find the plans with a week to close or a reminder due, hand them on in batches,
and bring each batch up to date (close its finished weeks set-based, claim its due weeks, send)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from plans.models import Reminder, ReminderStatus
from plans.reminders.base import SCAN_PAGE, Clock, PassResult, batch_size, ready
from plans.reminders.due import _schedule_rows, _schedules, _schedules_for
from plans.reminders.sending import reminders_send_pending
from plans.services import plans_close_weeks


def _batched(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for plan_id in ids:
        batch.append(plan_id)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _candidate_plan_ids(now: datetime) -> Iterator[int]:
    """Active plans with a finished week to close or a reminder due, in key order, page by page:
    one read of SCAN_PAGE plans' schedules per page, the decision in Python (each patient has
    their own clock). Only these are handed on, so a pass with nothing to do queues nothing."""
    after = 0
    while True:
        page = _schedules(_schedule_rows().filter(pk__gt=after).order_by("pk")[:SCAN_PAGE])
        for schedule in page:
            if schedule.needs_close(now) or schedule.due_week(now) is not None:
                yield schedule.plan_id
        if len(page) < SCAN_PAGE:
            return
        after = page[-1].plan_id


def _retry_plan_ids(now: datetime) -> Iterator[int]:
    after = 0
    while True:
        page = list(
            Reminder.objects.filter(status=ReminderStatus.PENDING)
            .filter(ready(now), pk__gt=after)
            .order_by("pk")
            .values_list("pk", "plan_id")[:SCAN_PAGE]
        )
        yield from dict.fromkeys(plan_id for _, plan_id in page)
        if len(page) < SCAN_PAGE:
            return
        after = page[-1][0]


def reminders_due_pass(
    *,
    now: datetime | None = None,
    dispatch: Callable[[list[int]], object] | None = None,
    dispatch_send: Callable[[list[int]], object] | None = None,
) -> PassResult:
    """One due pass over every active plan and every pending row ready for another attempt.

    The plans with a week to close or a reminder due are handed on as batches of
    REMINDER_BATCH_SIZE ids in key order: `dispatch(plan_ids)` queues one Celery task per batch
    (the beat task), and any number of workers take them.
    The plans of pending rows ready for another attempt go to `dispatch_send(plan_ids)`. Without
    them (the management command) each batch runs here, in order, sending too, and the totals
    come back.
    """
    clock = Clock(now)
    result = PassResult()
    size = batch_size()
    for plan_ids in _batched(_candidate_plan_ids(clock.now()), size):
        result.batches += 1
        if dispatch is None:
            result.add(reminders_process_batch(plan_ids, clock=clock))
        else:
            dispatch(plan_ids)
    for plan_ids in _batched(_retry_plan_ids(clock.now()), size):
        result.batches += 1
        if dispatch_send is None:
            result.add(reminders_send_pending(plan_ids=plan_ids, clock=clock))
        else:
            dispatch_send(plan_ids)
    return result


def reminders_process_batch(
    plan_ids: Sequence[int],
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    send: bool = True,
) -> PassResult:
    """Bring a batch of plans up to date: close finished weeks, claim due weeks, send pending.

    Safe to run twice, or twice at once: it re-reads the plans, the weeks are closed under the
    plans' row locks (`plans_close_weeks`, which skips a plan another closer holds), the claim is
    the unique row and a row is sent by whoever stamped it. With `send=False` (the Celery batch
    task) the sending is left to a task of its own, so closing and claiming never wait on SMTP.
    """
    clock = clock or Clock(now)
    result = PassResult()
    moment = clock.now()
    schedules = _schedules_for(plan_ids)
    to_close = {s.plan_id: s.local_today(moment) for s in schedules if s.needs_close(moment)}
    if to_close:
        closing = plans_close_weeks(to_close)
        result.closed = closing.closed
        # Closing adds weeks and may pause a plan (a STOP). The plans it locked are known now;
        # those it could not lock (another closer held them, or they stopped being active) are
        # read again.
        paused, again = set(closing.paused), set(closing.skipped)
        schedules = [
            replace(s, last_week=closing.last_week.get(s.plan_id, s.last_week))
            for s in schedules
            if s.plan_id not in paused and s.plan_id not in again
        ] + (_schedules_for(again) if again else [])
    due = []
    for schedule in schedules:
        week = schedule.due_week(moment)
        if week is not None and schedule.last_week >= week:
            due.append((schedule.plan_id, week))
    result.claimed = reminders_claim(due)
    if send:
        result.add(reminders_send_pending(plan_ids=plan_ids, clock=clock))
    return result


def reminders_claim(due: Sequence[tuple[int, int]]) -> int:
    """Create the pending row of each due (plan, week); an existing row wins (the claim).

    Returns how many rows were asked for: two passes racing for the same plans may both count a
    row, but only one of them creates it.
    """
    if due:
        Reminder.objects.bulk_create(
            [Reminder(plan_id=plan_id, week=week) for plan_id, week in due],
            ignore_conflicts=True,
        )
    return len(due)
