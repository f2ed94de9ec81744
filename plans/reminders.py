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
       `plans.services.plan_close_weeks` (the service the pages use), claims the due weeks with one
       `bulk_create(ignore_conflicts=True)` — the unique (plan, week) row is the claim, so two
       passes at once still make one row — and sends the pending rows of its plans.

Sending (`reminders_send_pending`)
    A short transaction takes up to REMINDER_SEND_BATCH ready rows with
    `select_for_update(skip_locked=True)` and stamps them in flight (attempts + 1, next attempt at
    now + lease); the messages then go out over one SMTP connection, outside any transaction, and
    one UPDATE marks the accepted ones sent. A refused message stays pending with a backoff
    (`retry_delay`); after REMINDER_MAX_ATTEMPTS attempts the row is failed, for staff to see. A
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

import contextlib
import logging
import time as _time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from smtplib import SMTPRecipientsRefused, SMTPResponseException
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from plans import engine
from plans.emails import reminder_email
from plans.models import Plan, PlanStatus, PlanWeek, Reminder, ReminderStatus
from plans.services import plan_close_weeks
from recovery.audit import audit
from recovery.models import ClearanceStatus, PatientProfile

logger = logging.getLogger(__name__)

SCAN_PAGE = 2000
OPT_OUT_SALT = "stepwise.plans.reminders.opt-out"
RETRY_DELAY_FIRST = timedelta(minutes=5)
RETRY_DELAY_CAP = timedelta(hours=2)


# --- settings (read when used: a worker lives for days) ------------------------------------------


def batch_size() -> int:
    """Plans per batch: one Celery task, one claim INSERT."""
    return int(getattr(settings, "REMINDER_BATCH_SIZE", 1000))


def send_batch_size() -> int:
    """Messages per SMTP connection and per UPDATE that marks them sent (the duplicate window)."""
    return int(getattr(settings, "REMINDER_SEND_BATCH", 250))


def lease() -> timedelta:
    """How long a taken row belongs to its sender before another pass may take it again."""
    return timedelta(seconds=int(getattr(settings, "REMINDER_LEASE_SECONDS", 16 * 60)))


def max_attempts() -> int:
    return int(getattr(settings, "REMINDER_MAX_ATTEMPTS", 6))


def retry_delay(attempts: int) -> timedelta:
    """5, 10, 20, 40, 80 minutes, then every 2 hours (the beat rounds up to its 15 minutes)."""
    return min(RETRY_DELAY_FIRST * 2 ** max(attempts - 1, 0), RETRY_DELAY_CAP)


# --- when a reminder is due (pure) ---------------------------------------------------------------


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    # Same fallback as PatientProfile.tz: an unknown zone name reads as UTC.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def reminder_due_at(*, week_start: date, weekday: int, hour: int, tz: ZoneInfo) -> datetime:
    """The moment a week's reminder falls due: the first `weekday` at `hour:00` on the patient's
    clock on or after the week's first day (so always inside the week).

    An hour that does not exist on a spring-forward day reads with the offset before the change
    (02:00 becomes 03:00 daylight time); an hour that happens twice in the autumn is the first.
    """
    day = week_start + timedelta(days=(weekday - week_start.weekday()) % 7)
    return datetime.combine(day, time(hour), tzinfo=tz)


@dataclass(frozen=True, slots=True)
class PlanSchedule:
    """What the due rule needs about one active plan, read in one row."""

    plan_id: int
    start_date: date
    timezone: str
    weekday: int
    hour: int
    reminders_enabled: bool
    clearance_status: str
    last_week: int  # highest PlanWeek so far (0 when none)
    last_reminded: int  # highest week with a Reminder row (0 when none)

    def local_today(self, now: datetime) -> date:
        return now.astimezone(_zone(self.timezone)).date()

    def current_week(self, now: datetime) -> int:
        """The plan week the patient is in at `now`; 0 before the plan has started."""
        today = self.local_today(now)
        if today < self.start_date:
            return 0
        return engine.week_number(self.start_date, today)

    def needs_close(self, now: datetime) -> bool:
        """A finished week has no successor PlanWeek yet."""
        return self.last_week < self.current_week(now)

    def due_week(self, now: datetime) -> int | None:
        """The week to remind about at `now`, or None (see the module docstring)."""
        week = self.current_week(now)
        if (
            week == 0
            or not self.reminders_enabled
            or self.clearance_status != ClearanceStatus.APPROVED
            or self.last_reminded >= week
        ):
            return None
        due = reminder_due_at(
            week_start=self.start_date + timedelta(days=7 * (week - 1)),
            weekday=self.weekday,
            hour=self.hour,
            tz=_zone(self.timezone),
        )
        return week if now >= due else None


def _latest(model, field: str = "week") -> Subquery:
    # One index probe per plan on the unique (plan, week) index of PlanWeek / Reminder.
    return Subquery(
        model.objects.filter(plan=OuterRef("pk")).order_by(f"-{field}").values(field)[:1]
    )


def _schedule_rows():
    return (
        Plan.objects.filter(status=PlanStatus.ACTIVE, patient__user__is_active=True)
        .annotate(last_week=_latest(PlanWeek), last_reminded=_latest(Reminder))
        .values_list(
            "pk",
            "start_date",
            "patient__timezone",
            "patient__reminder_weekday",
            "patient__reminder_hour",
            "patient__reminders_enabled",
            "clearance__status",
            "last_week",
            "last_reminded",
        )
    )


def _schedules(rows: Iterable[tuple]) -> list[PlanSchedule]:
    return [
        PlanSchedule(pk, start, tz, weekday, hour, enabled, clearance, last or 0, reminded or 0)
        for pk, start, tz, weekday, hour, enabled, clearance, last, reminded in rows
    ]


def _schedules_for(plan_ids: Iterable[int]) -> list[PlanSchedule]:
    return _schedules(_schedule_rows().filter(pk__in=list(plan_ids)).order_by())


# --- the pass ------------------------------------------------------------------------------------


class Clock:
    """A pass's notion of now: the given start moment, moving on with the real clock.

    Tests and operators may start a pass at another moment (`--now`); leases and backoffs stamped
    during a long pass still count from the moment they are written.
    """

    def __init__(self, start: datetime | None = None):
        if start is not None and timezone.is_naive(start):
            raise ValueError("The moment needs a UTC offset, e.g. 2026-12-01T09:00:00+00:00.")
        self.start = start or timezone.now()
        self._origin = _time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=_time.monotonic() - self._origin)


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 moment with a UTC offset (a task argument or `--now`); None means now."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        raise ValueError("The moment needs a UTC offset, e.g. 2026-12-01T09:00:00+00:00.")
    return moment


@dataclass
class PassResult:
    batches: int = 0  # batches handed on (queued, or run here)
    closed: int = 0  # plans whose finished weeks were closed
    claimed: int = 0  # Reminder rows this pass set out to create (the claim)
    sent: int = 0  # messages the mail server accepted and rows marked sent
    deferred: int = 0  # attempts that failed and will be retried after a backoff
    failed: int = 0  # rows given up (attempt cap, or their week ended first)
    withdrawn: int = 0  # claims deleted because the plan or the patient no longer wants them

    def add(self, other: PassResult | None) -> None:
        if other is not None:
            for f in fields(self):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


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
    """Active plans with a finished week to close or a reminder due, in key order, page by page."""
    after = 0
    while True:
        page = _schedules(_schedule_rows().filter(pk__gt=after).order_by("pk")[:SCAN_PAGE])
        for schedule in page:
            if schedule.needs_close(now) or schedule.due_week(now) is not None:
                yield schedule.plan_id
        if len(page) < SCAN_PAGE:
            return
        after = page[-1].plan_id


def _ready(now: datetime) -> Q:
    """Pending rows a pass other than their claimer may take: a failed attempt whose backoff has
    passed, a send whose lease ran out, or a claim never attempted for a whole lease."""
    return Q(next_attempt_at__lte=now) | Q(
        next_attempt_at__isnull=True, created_at__lte=now - lease()
    )


def _retry_plan_ids(now: datetime) -> Iterator[int]:
    after = 0
    while True:
        page = list(
            Reminder.objects.filter(status=ReminderStatus.PENDING)
            .filter(_ready(now), pk__gt=after)
            .order_by("pk")
            .values_list("pk", "plan_id")[:SCAN_PAGE]
        )
        yield from dict.fromkeys(plan_id for _, plan_id in page)
        if len(page) < SCAN_PAGE:
            return
        after = page[-1][0]


def reminders_due_pass(
    *, now: datetime | None = None, dispatch: Callable[[list[int]], object] | None = None
) -> PassResult:
    """One due pass over every active plan and every pending row ready for another attempt.

    `dispatch(plan_ids)` hands a batch on: the beat task queues one Celery task per batch. Without
    it (the management command) each batch runs here, in order, and the totals come back.
    """
    clock = Clock(now)
    result = PassResult()
    size = batch_size()

    def hand_on(plan_ids: list[int]) -> None:
        result.batches += 1
        if dispatch is None:
            result.add(reminders_process_batch(plan_ids, clock=clock))
        else:
            dispatch(plan_ids)

    for plan_ids in _batched(_candidate_plan_ids(clock.now()), size):
        hand_on(plan_ids)
    for plan_ids in _batched(_retry_plan_ids(clock.now()), size):
        hand_on(plan_ids)
    return result


def reminders_process_batch(
    plan_ids: Sequence[int], *, now: datetime | None = None, clock: Clock | None = None
) -> PassResult:
    """Bring a batch of plans up to date: close finished weeks, claim due weeks, send pending.

    Safe to run twice, or twice at once: it re-reads the plans, the claim is the unique row and a
    row is sent by whoever stamped it.
    """
    clock = clock or Clock(now)
    result = PassResult()
    moment = clock.now()
    schedules = _schedules_for(plan_ids)
    to_close = [s for s in schedules if s.needs_close(moment)]
    if to_close:
        for schedule in to_close:
            _close_weeks(schedule, moment)
        result.closed = len(to_close)
        # Closing adds weeks and may pause a plan (a STOP): read those plans again.
        closed = {s.plan_id for s in to_close}
        schedules = [s for s in schedules if s.plan_id not in closed] + _schedules_for(closed)
    due = []
    for schedule in schedules:
        week = schedule.due_week(moment)
        if week is not None and schedule.last_week >= week:
            due.append((schedule.plan_id, week))
    result.claimed = reminders_claim(due)
    result.add(reminders_send_pending(plan_ids=plan_ids, clock=clock))
    return result


def _close_weeks(schedule: PlanSchedule, moment: datetime) -> None:
    try:
        plan_close_weeks(plan=schedule.plan_id, today=schedule.local_today(moment))
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries the batch
    except Exception:
        # One broken plan must not hold up the reminders of the others in its batch.
        logger.exception(
            "Closing the weeks of plan %s failed; its reminder waits.", schedule.plan_id
        )


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


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outgoing:
    pk: int
    plan_id: int
    week: int
    attempts: int  # including the one under way
    patient_id: int
    first_name: str
    email: str
    minutes: int
    sessions: int


def _prescription(field: str) -> Subquery:
    return Subquery(
        PlanWeek.objects.filter(plan=OuterRef("plan_id"), week=OuterRef("week")).values(field)[:1]
    )


def _take(
    plan_ids: Sequence[int] | None, clock: Clock, result: PassResult
) -> tuple[list[_Outgoing], int]:
    """Lock up to one send batch of ready rows, settle the ones no longer wanted and stamp the
    rest in flight. Returns the rows to send and how many were taken; the locks end here."""
    moment = clock.now()
    if plan_ids is None:
        ready = _ready(moment)
    else:
        # A batch's own fresh claims are ready at once; other rows as for any pass.
        ready = Q(plan_id__in=list(plan_ids)) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment)
        )
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(ready, status=ReminderStatus.PENDING)
            .annotate(
                minutes=_prescription("minutes"),
                sessions=_prescription("sessions_per_week"),
                # A disabled account gets no more e-mail, whatever its reminder setting says.
                wanted=ExpressionWrapper(
                    Q(plan__patient__reminders_enabled=True, plan__patient__user__is_active=True),
                    output_field=BooleanField(),
                ),
            )
            .order_by("pk")
            .values_list(
                "pk",
                "plan_id",
                "week",
                "attempts",
                "plan__status",
                "plan__start_date",
                "plan__clearance__status",
                "plan__patient_id",
                "plan__patient__timezone",
                "wanted",
                "plan__patient__user__first_name",
                "plan__patient__user__email",
                "minutes",
                "sessions",
            )[: send_batch_size()]
        )
        outgoing: list[_Outgoing] = []
        withdraw: list[int] = []
        give_up: dict[int, str] = {}
        for (
            pk,
            plan_id,
            week,
            attempts,
            plan_status,
            start_date,
            clearance_status,
            patient_id,
            tz,
            enabled,
            first_name,
            email,
            minutes,
            sessions,
        ) in rows:
            today = moment.astimezone(_zone(tz)).date()
            if (
                plan_status != PlanStatus.ACTIVE
                or clearance_status != ClearanceStatus.APPROVED
                or not enabled
            ):
                withdraw.append(pk)
            elif engine.week_number(start_date, today) > week:
                give_up[pk] = "Week ended before the reminder could be delivered."
            elif attempts >= max_attempts():
                give_up[pk] = f"Gave up after {attempts} attempts."
            elif not email or minutes is None:
                give_up[pk] = "No e-mail address." if not email else "No prescription for the week."
            else:
                outgoing.append(
                    _Outgoing(
                        pk=pk,
                        plan_id=plan_id,
                        week=week,
                        attempts=attempts + 1,
                        patient_id=patient_id,
                        first_name=first_name,
                        email=email,
                        minutes=minutes,
                        sessions=sessions,
                    )
                )
        if withdraw:
            Reminder.objects.filter(pk__in=withdraw).delete()
            result.withdrawn += len(withdraw)
        if give_up:
            _give_up(give_up)
            result.failed += len(give_up)
        if outgoing:
            Reminder.objects.filter(pk__in=[o.pk for o in outgoing]).update(
                attempts=F("attempts") + 1, next_attempt_at=moment + lease()
            )
    return outgoing, len(rows)


def _give_up(reasons: dict[int, str]) -> None:
    Reminder.objects.bulk_update(
        [
            Reminder(
                pk=pk, status=ReminderStatus.FAILED, next_attempt_at=None, last_error=why[:200]
            )
            for pk, why in reasons.items()
        ],
        ["status", "next_attempt_at", "last_error"],
    )


def _describe(error: BaseException) -> str:
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:200]


def _deliver(outgoing: list[_Outgoing], lease_ends: float) -> tuple[list[int], dict[int, str]]:
    """Hand the messages to the mail server over one connection. Returns (sent, failed).

    A message the server refuses (a 4xx/5xx reply) fails alone; a lost connection fails it and
    the rest of the batch. Nothing is taken from the batch once the lease is nearly over.
    """
    log_link = settings.SITE_URL + reverse("me:session_new")
    opt_out = _opt_out_url_maker()
    messages = [
        reminder_email(
            first_name=o.first_name,
            email=o.email,
            week=o.week,
            minutes=o.minutes,
            sessions_per_week=o.sessions,
            log_link=log_link,
            opt_out_link=opt_out(o.patient_id),
        )
        for o in outgoing
    ]
    sent: list[int] = []
    failed: dict[int, str] = {}
    connection = get_connection()
    try:
        connection.open()
    except OSError as error:  # smtplib's errors are OSErrors too
        return [], dict.fromkeys((o.pk for o in outgoing), _describe(error))
    try:
        for index, (row, message) in enumerate(zip(outgoing, messages, strict=True)):
            if _time.monotonic() >= lease_ends:
                failed.update(dict.fromkeys((o.pk for o in outgoing[index:]), "Lease ran out."))
                break
            try:
                if connection.send_messages([message]):
                    sent.append(row.pk)
                else:
                    failed[row.pk] = "Not accepted."
            except (SMTPResponseException, SMTPRecipientsRefused) as error:
                failed[row.pk] = _describe(error)
                if getattr(error, "smtp_code", None) == 421:  # the server is closing the line
                    failed.update(dict.fromkeys((o.pk for o in outgoing[index + 1 :]), "SMTP 421"))
                    break
            except OSError as error:  # the connection is gone: the rest waits for a retry
                failed.update(dict.fromkeys((o.pk for o in outgoing[index:]), _describe(error)))
                break
    finally:
        with contextlib.suppress(OSError):
            connection.close()
    return sent, failed


def reminders_send_pending(
    *,
    plan_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    clock: Clock | None = None,
) -> PassResult:
    """Send the ready pending rows (of `plan_ids`, or all) one send batch at a time."""
    clock = clock or Clock(now)
    result = PassResult()
    while True:
        outgoing, taken = _take(plan_ids, clock, result)
        if outgoing:
            _send_and_mark(outgoing, clock, result)
        if taken < send_batch_size():
            # Everything ready was taken (rows another sender holds are skipped: they are its).
            return result


def _send_and_mark(outgoing: list[_Outgoing], clock: Clock, result: PassResult) -> None:
    # Stop taking messages from the batch with a tenth of the lease to spare.
    lease_ends = _time.monotonic() + lease().total_seconds() * 0.9
    sent, failed = _deliver(outgoing, lease_ends)
    moment = clock.now()
    if sent:
        Reminder.objects.filter(pk__in=sent).update(
            status=ReminderStatus.SENT, sent_at=moment, next_attempt_at=None, last_error=""
        )
        result.sent += len(sent)
    if failed:
        _defer([o for o in outgoing if o.pk in failed], failed, moment, result)


def _defer(rows: list[_Outgoing], errors: dict[int, str], moment: datetime, result) -> None:
    cap = max_attempts()
    updates = []
    for row in rows:
        final = row.attempts >= cap
        updates.append(
            Reminder(
                pk=row.pk,
                status=ReminderStatus.FAILED if final else ReminderStatus.PENDING,
                next_attempt_at=None if final else moment + retry_delay(row.attempts),
                last_error=errors[row.pk][:200],
            )
        )
        result.failed += final
        result.deferred += not final
    Reminder.objects.bulk_update(updates, ["status", "next_attempt_at", "last_error"])
    logger.warning("%d reminder e-mails not delivered; they will be retried.", len(rows))


# --- opting out ----------------------------------------------------------------------------------


def opt_out_token(patient_id: int) -> str:
    """A signed token holding only the patient id. It does not expire: an unsubscribe link in an
    old e-mail must keep working, and all it can do is turn reminders off."""
    return signing.Signer(salt=OPT_OUT_SALT).sign_object(patient_id)


def opt_out_patient_id(token: str) -> int | None:
    try:
        value = signing.Signer(salt=OPT_OUT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    return value if type(value) is int else None


def opt_out_url(patient_id: int) -> str:
    return _opt_out_url_maker()(patient_id)


def _opt_out_url_maker() -> Callable[[int], str]:
    """One URL lookup for a whole batch: `reverse` costs more than signing."""
    signer = signing.Signer(salt=OPT_OUT_SALT)
    marker = "0"
    head, tail = reverse("reminders:stop", args=[marker]).rsplit(marker, 1)
    prefix = settings.SITE_URL + head
    return lambda patient_id: f"{prefix}{signer.sign_object(patient_id)}{tail}"


@transaction.atomic
def reminders_opt_out(*, patient_id: int, via: str) -> PatientProfile:
    """Turn a patient's reminders off (from the signed link: no sign-in). Idempotent.

    Rows already claimed are withdrawn by the sender when their turn comes.
    """
    patient = PatientProfile.objects.select_for_update().get(pk=patient_id)
    if patient.reminders_enabled:
        patient.reminders_enabled = False
        patient.save(update_fields=["reminders_enabled"])
        audit("reminders_opt_out", obj=patient, patient=patient, via=via)
    return patient
