"""The e-mail outbox: one design for every e-mail StepWise owes somebody, and the people side's.

The design, shared by the people side's e-mails (below), alert e-mails and on-call escalations
(`plans.delivery`) and weekly reminders (`plans.reminders.sending`):

- **The row is the truth.** It is written in the transaction of its cause; an e-mail is an
  attempt recorded on the row (attempts, next attempt, last error, sent).
- **Claim.** A sender owns a row before it sends: one row under `select_for_update(skip_locked)`
  for the whole send (`claim_and_send`), or, for reminders' batches over one SMTP connection, a
  batch stamped in flight for a lease in a short transaction (the lease is the lock).
- **Attempt and backoff.** An SMTP or network failure records the attempt and schedules the next
  by the row kind's `RetryPolicy` (doubling from `first`, capped).
- **Give up.** By the policy's attempt cap (reminders), or by a reason of the row's own (a link
  that has expired, a week that has ended); an alert never gives up: it waits for the next pass.

The people side's outbox: a row written with the change that causes the e-mail, sent after commit.

Every e-mail to a person on the people side (the enrolment link, a new sign-in link, a password
reset) is an `OutboxEmail` row written in the transaction of its cause, then sent twice over:
by a task queued once the transaction commits (a broker outage costs nothing: the publish is
bounded and its failure only logged) and by a beat pass (`outbox_send_due`) that sends every row
still waiting, with backoff after a mail-server failure. Each send claims the row
(`claim_and_send`), so the task and the pass, or two passes, send it once. A broker or mail outage
delays an e-mail; it never loses it and never fails the request that caused it.

`claim_and_send` is the step every outbox shares: lock one row if it is free, send, record the
attempt on the row in the same transaction. The one window for a duplicate is a crash after the
mail server accepted the message and before the commit (README, "Delivery guarantees").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from infra.queue import queue_after_commit
from recovery.models import OutboxEmail, User

logger = logging.getLogger(__name__)

# Sent and given-up rows (their parts already blank) are kept this long, to answer "did the link
# go out?", then deleted by the pass.
KEEP_FINISHED = timedelta(days=30)


class TransientDeliveryError(Exception):
    """The mail server could not be reached or refused for now; try again later."""


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed row is tried again, and when it is given up."""

    first: timedelta  # after the first failed attempt
    cap: timedelta  # the longest wait between two attempts
    give_up_after: int | None = None  # attempts; None: never (the row waits for the next pass)

    def delay(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts: first, twice that, … up to the cap."""
        return min(self.first * 2 ** max(attempts - 1, 0), self.cap)

    def exhausted(self, attempts: int) -> bool:
        return self.give_up_after is not None and attempts >= self.give_up_after


# Alerts, escalations and set-password links: 2, 4, 8 … minutes, then hourly; never given up by
# count (a link gives up when it expires; an alert is shown in triage whatever its e-mail does).
EMAIL_RETRY = RetryPolicy(first=timedelta(minutes=2), cap=timedelta(hours=1))


@dataclass(frozen=True)
class AttemptFields:
    """The names of the columns a row records its delivery in."""

    sent_at: str
    attempts: str
    next_attempt_at: str
    last_error: str


def claim_and_send(
    rows: models.QuerySet,
    pk: int,
    *,
    send: Callable[[models.Model], bool],
    fields: AttemptFields,
    now: datetime,
    on_sent: dict | None = None,
    what: str = "E-mail",
    policy: RetryPolicy = EMAIL_RETRY,
) -> bool:
    """Lock row `pk` of `rows` unless another worker holds it (or it is not in `rows` any more:
    sent already), call `send(row)` and record the attempt on the row before the lock goes.

    `send` returns True once the mail server accepted the message, or False when it decided
    that nothing is to be sent (it saves what it decided itself). `on_sent` sets more columns when
    the message went (the outbox blanks the parts). An SMTP or network error schedules the next
    attempt by `policy` and raises `TransientDeliveryError`. Returns whether this call sent it.
    """
    failure: Exception | None = None
    with transaction.atomic():
        row = rows.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
        if row is None:
            return False  # already sent, or another worker holds it right now
        attempts = getattr(row, fields.attempts) + 1
        try:
            sent = send(row)
        except (SMTPException, OSError) as error:
            failure = error
            setattr(row, fields.attempts, attempts)
            setattr(row, fields.next_attempt_at, now + policy.delay(attempts))
            setattr(row, fields.last_error, type(error).__name__[:200])
            row.save(update_fields=[fields.attempts, fields.next_attempt_at, fields.last_error])
        else:
            if not sent:
                return False
            setattr(row, fields.attempts, attempts)
            setattr(row, fields.sent_at, now)
            setattr(row, fields.last_error, "")
            for name, value in (on_sent or {}).items():
                setattr(row, name, value)
            row.save(
                update_fields=[fields.sent_at, fields.attempts, fields.last_error, *(on_sent or {})]
            )
    if failure is not None:
        logger.warning("%s %s failed (%s); will retry.", what, pk, type(failure).__name__)
        raise TransientDeliveryError(str(failure)) from failure
    return True


# --- the people side's outbox ------------------------------------------------------------------

FIELDS = AttemptFields(
    sent_at="sent_at",
    attempts="attempts",
    next_attempt_at="next_attempt_at",
    last_error="last_error",
)
SET_PASSWORD_KINDS = {"enrolment", "invite"}


def _waiting() -> models.QuerySet:
    return OutboxEmail.objects.filter(sent_at__isnull=True, given_up_at__isnull=True)


def outbox_add(
    *, user: User, kind: str, message: EmailMultiAlternatives, now: datetime | None = None
) -> OutboxEmail:
    """Write `message` (rendered by the caller: no health detail in it) as a row of the current
    transaction, and queue its sending for when that transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_add belongs inside the transaction of the change it reports.")
    now = now or timezone.now()
    (to,) = message.to
    row = OutboxEmail.objects.create(
        user=user,
        kind=kind,
        to=to,
        subject=message.subject,
        body=message.body,
        html=next((part for part, mimetype in message.alternatives if mimetype == "text/html"), ""),
        created_at=now,
        # A set-password link is Django's token: it stops working after PASSWORD_RESET_TIMEOUT.
        expires_at=now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    queue_after_commit(
        "recovery.tasks.send_outbox_email", (row.pk,), what=f"Outbox e-mail {row.pk}"
    )
    return row


def _reason_not_to_send(row: OutboxEmail, now: datetime) -> str:
    """Why this row's link would not work, or would reach the wrong person; "" to send it."""
    user = row.user
    if now >= row.expires_at:
        return "expired"
    if not user.is_active:
        return "account disabled"
    if (user.email or "").lower() != row.to.lower():
        return "address changed"
    if row.kind in SET_PASSWORD_KINDS and user.has_usable_password():
        return "password already chosen"
    return ""


def outbox_send(row_id: int, *, now: datetime | None = None) -> bool:
    """Send one outbox row if it still waits. Returns whether this call sent it; raises
    `TransientDeliveryError` after an SMTP failure (recorded on the row, retried by the pass)."""
    now = now or timezone.now()

    def send(row: OutboxEmail) -> bool:
        reason = _reason_not_to_send(row, now)
        if reason:
            row.given_up_at, row.last_error, row.body, row.html = now, reason, "", ""
            row.save(update_fields=["given_up_at", "last_error", "body", "html"])
            # An expired link means the e-mail waited out a long outage: worth an operator's look.
            log = logger.warning if reason == "expired" else logger.info
            log("Outbox e-mail %s not sent: %s.", row.pk, reason)
            return False
        message = EmailMultiAlternatives(subject=row.subject, body=row.body, to=[row.to])
        if row.html:
            message.attach_alternative(row.html, "text/html")
        message.send()
        return True

    return claim_and_send(
        _waiting().select_related("user"),
        row_id,
        send=send,
        fields=FIELDS,
        now=now,
        on_sent={"body": "", "html": ""},  # the link is a credential: keep it only while it waits
        what="Outbox e-mail",
    )


def outbox_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat pass: send every waiting row whose next attempt has come (oldest first), then delete
    rows finished more than KEEP_FINISHED ago. Returns how many were sent."""
    now = now or timezone.now()
    due = (
        _waiting()
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for row_id in list(due):
        try:
            sent += outbox_send(row_id, now=now)
        except TransientDeliveryError:
            continue
    OutboxEmail.objects.filter(
        Q(sent_at__lt=now - KEEP_FINISHED) | Q(given_up_at__lt=now - KEEP_FINISHED)
    ).delete()
    return sent
