"""Sending: take a batch of ready rows (stamped in flight for a lease), deliver them over one
SMTP connection, mark what went and defer or give up the rest (the outbox design of
`recovery.outbox`, in batches)."""

from __future__ import annotations

import contextlib
import logging
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from smtplib import SMTPRecipientsRefused, SMTPResponseException

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.module_loading import import_string

from plans import engine
from plans.emails import reminder_email
from plans.models import PlanStatus, PlanWeek, Reminder, ReminderStatus
from plans.reminders.base import Clock, PassResult, lease, ready, retry_policy, send_batch_size
from plans.reminders.due import _zone
from plans.reminders.opt_out import _opt_out_url_maker
from recovery.models import ClearanceStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    pk: int
    plan_id: int
    week: int
    attempts: int  # including the one under way
    patient_id: int
    first_name: str
    email: str
    language: str
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
    policy = retry_policy()
    if plan_ids is None:
        takeable = ready(moment)
    else:
        # A batch's own fresh claims are ready at once; other rows as for any pass.
        takeable = Q(plan_id__in=list(plan_ids)) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment)
        )
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(takeable, status=ReminderStatus.PENDING)
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
                "plan__patient__user__language",
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
            language,
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
            elif policy.exhausted(attempts):
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
                        language=language,
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


def _notices(patient_ids: list[int], moment: datetime) -> dict[int, list[str]]:
    """What the apps named in settings.REMINDER_NOTICES add to each patient's reminder (by
    dotted path: plans imports none of them), one call per send batch."""
    found: dict[int, list[str]] = {}
    for path in getattr(settings, "REMINDER_NOTICES", ()):
        for patient_id, sentence in import_string(path)(patient_ids, moment).items():
            found.setdefault(patient_id, []).append(sentence)
    return found


def _deliver(
    outgoing: list[_Outgoing], lease_ends: float, moment: datetime
) -> tuple[list[int], dict[int, str]]:
    """Hand the messages to the mail server over one connection. Returns (sent, failed).

    A message the server refuses (a 4xx/5xx reply) fails alone; a lost connection fails it and
    the rest of the batch. Nothing is taken from the batch once the lease is nearly over.
    """
    log_link = settings.SITE_URL + reverse("me:session_new")
    opt_out = _opt_out_url_maker()
    notices = _notices([o.patient_id for o in outgoing], moment)
    messages = [
        reminder_email(
            first_name=o.first_name,
            email=o.email,
            week=o.week,
            minutes=o.minutes,
            sessions_per_week=o.sessions,
            log_link=log_link,
            opt_out_link=opt_out(o.patient_id),
            notices=notices.get(o.patient_id, ()),
            language=o.language,
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
    sent, failed = _deliver(outgoing, lease_ends, clock.now())
    moment = clock.now()
    if sent:
        Reminder.objects.filter(pk__in=sent).update(
            status=ReminderStatus.SENT, sent_at=moment, next_attempt_at=None, last_error=""
        )
        result.sent += len(sent)
    if failed:
        _defer([o for o in outgoing if o.pk in failed], failed, moment, result)


def _defer(rows: list[_Outgoing], errors: dict[int, str], moment: datetime, result) -> None:
    policy = retry_policy()
    updates = []
    for row in rows:
        final = policy.exhausted(row.attempts)
        updates.append(
            Reminder(
                pk=row.pk,
                status=ReminderStatus.FAILED if final else ReminderStatus.PENDING,
                next_attempt_at=None if final else moment + policy.delay(row.attempts),
                last_error=errors[row.pk][:200],
            )
        )
        result.failed += final
        result.deferred += not final
    Reminder.objects.bulk_update(updates, ["status", "next_attempt_at", "last_error"])
    logger.warning("%d reminder e-mails not delivered; they will be retried.", len(rows))
