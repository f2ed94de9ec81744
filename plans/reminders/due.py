"""When a reminder is due: the rule (pure) and the one row per active plan it reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import OuterRef, Subquery

from plans import engine
from plans.models import Plan, PlanStatus, PlanWeek, Reminder
from recovery.models import ClearanceStatus


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    # Same fallback as PatientProfile.tz: an unknown zone name reads as UTC.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=4096)  # pure; a pass asks it once per plan, and plans share weeks and choices
def reminder_due_at(*, week_start: date, weekday: int, hour: int, tz: ZoneInfo) -> datetime:
    """The moment a week's reminder falls due: the first `weekday` at `hour:00` on the patient's
    clock on or after the week's first day (so always inside the week).

    An hour that does not exist on a spring-forward day reads with the offset before the change
    (02:00 becomes 03:00 daylight time); an hour that happens twice in the autumn is the first.
    """
    day = week_start + timedelta(days=(weekday - week_start.weekday()) % 7)
    return datetime.combine(day, time(hour), tzinfo=tz)


@lru_cache(maxsize=256)  # a pass asks it for every plan at one moment, in a few zones
def _local_date(now: datetime, zone: str) -> date:
    return now.astimezone(_zone(zone)).date()


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
        return _local_date(now, self.timezone)

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
