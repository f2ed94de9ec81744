"""What every part of a reminder pass shares: its settings, its clock, its tally, and which
pending rows are ready for another attempt."""

from __future__ import annotations

import time as _time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from recovery.outbox import RetryPolicy

SCAN_PAGE = 2000


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


def retry_policy() -> RetryPolicy:
    """5, 10, 20, 40, 80 minutes, then every 2 hours (the beat rounds up to its 15 minutes); the
    row is failed, for staff to see, after REMINDER_MAX_ATTEMPTS attempts (default 6)."""
    return RetryPolicy(
        first=timedelta(minutes=5),
        cap=timedelta(hours=2),
        give_up_after=int(getattr(settings, "REMINDER_MAX_ATTEMPTS", 6)),
    )


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


def ready(now: datetime) -> Q:
    """Pending rows a pass other than their claimer may take: a failed attempt whose backoff has
    passed, a send whose lease ran out, or a claim never attempted for a whole lease."""
    return Q(next_attempt_at__lte=now) | Q(
        next_attempt_at__isnull=True, created_at__lte=now - lease()
    )
