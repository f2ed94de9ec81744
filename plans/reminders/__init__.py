"""Weekly reminders: which plan-weeks are due, the claim, the send and the mark. The one place.

When a reminder is due
    Week k of a plan is the patient's local calendar days [start + 7(k−1), start + 7k). Its
    reminder falls due at the first time the patient's chosen weekday and hour come round on or
    after the week's first day, on the patient's own clock (`reminder_due_at`). A week starting
    on a Wednesday with a "Monday 09:00" choice is due on its sixth day, Monday at 09:00; with a
    "Wednesday 07:00" choice, at 07:00 on its first day. Every week therefore has exactly one due
    moment and it lies inside the week. A due moment missed while the job could not run is caught
    up, late, while the week is still current; a week that has ended is never reminded.

    A plan is due when it is active, its clearance is approved, the patient has reminders on, its
    current week has begun, that week's due moment has passed and no `Reminder` row exists for
    (plan, week).

A pass (`reminders_due_pass`: Celery beat every 15 minutes, and `manage.py send_due_reminders`)
    1. Scans the active plans in key order, a page of `SCAN_PAGE` plans per query, and works out
       each plan's current week in Python (every patient has their own time zone). A plan is a
       candidate when its last PlanWeek is behind its current week (a finished week to close) or
       it is due. Candidates are handed on in batches of REMINDER_BATCH_SIZE plan ids: the beat
       job queues one Celery task per batch, never one per patient; the command runs them here.
    2. Also hands on, in batches, the plans whose pending rows are ready for another attempt.
    3. Each batch (`reminders_process_batch`) re-reads its plans, closes finished weeks through
       `plans.services.plans_close_weeks` (set-based, under the plans' row locks, skipping a plan
       another closer holds; the same decisions as `plan_close_weeks`, which the pages use),
       claims the due weeks with one `bulk_create(ignore_conflicts=True)` — the unique
       (plan, week) row is the claim, so two passes at once still make one row — and sends the
       pending rows of its plans. The Celery batch task leaves that sending to a task of its own
       (`deliver_reminders`), so closing and claiming never wait behind SMTP.

Sending (`reminders_send_pending`)
    A short transaction takes up to REMINDER_SEND_BATCH ready rows with
    `select_for_update(skip_locked=True)` and stamps them in flight (attempts + 1, next attempt at
    now + lease); the messages then go out over one SMTP connection, outside any transaction, and
    one UPDATE marks the accepted ones sent. A refused message stays pending with a backoff
    (`retry_policy`); after REMINDER_MAX_ATTEMPTS attempts the row is failed, for staff to see. A
    worker that dies leaves its rows stamped: once the lease has run out a later pass takes them
    again. Rows no longer wanted when their turn comes (the plan paused, clearance withdrawn,
    reminders turned off) are withdrawn (deleted: nothing was sent, nothing is owed); a row whose
    week ended before it could be delivered is failed rather than sent late.

Delivery guarantee
    At least once, with one window for a duplicate: a worker that dies (or loses its database)
    after the mail server accepted some messages of a send batch and before the UPDATE that marks
    that batch sent. Those messages, at most REMINDER_SEND_BATCH (default 250) per worker that
    dies, go out again once the lease (REMINDER_LEASE_SECONDS, default the Celery hard time limit
    plus a minute) has run out. A sender stops taking new messages from its batch before its lease
    ends, so a live worker never overlaps another on the same row.
"""

from __future__ import annotations

from plans.reminders.base import (
    Clock,
    PassResult,
    batch_size,
    lease,
    parse_moment,
    retry_policy,
    send_batch_size,
)
from plans.reminders.due import PlanSchedule, reminder_due_at
from plans.reminders.opt_out import (
    OPT_OUT_SALT,
    opt_out_patient_id,
    opt_out_token,
    opt_out_url,
    reminders_opt_out,
)
from plans.reminders.passes import reminders_claim, reminders_due_pass, reminders_process_batch
from plans.reminders.sending import reminders_send_pending

__all__ = [
    "OPT_OUT_SALT",
    "Clock",
    "PassResult",
    "PlanSchedule",
    "batch_size",
    "lease",
    "opt_out_patient_id",
    "opt_out_token",
    "opt_out_url",
    "parse_moment",
    "reminder_due_at",
    "reminders_claim",
    "reminders_due_pass",
    "reminders_opt_out",
    "reminders_process_batch",
    "reminders_send_pending",
    "retry_policy",
    "send_batch_size",
]
