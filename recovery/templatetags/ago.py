"""`{{ moment|ago }}`: "12 minutes ago", in one unit (Django's `timesince` says "1 hour, 12
minutes", more than a glance at a list needs)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

_UNITS = (  # (seconds in the unit, singular, plural, used below this many seconds)
    (60, "minute", "minutes", 60 * 60),
    (60 * 60, "hour", "hours", 48 * 60 * 60),
    (24 * 60 * 60, "day", "days", None),
)


def ago_text(moment: datetime, now: datetime) -> str:
    """The words for `moment` seen at `now`."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    for size, one, many, below in _UNITS:
        if below is None or seconds < below:
            count = seconds // size
            return f"{count} {one if count == 1 else many} ago"
    raise AssertionError("unreachable")


@register.filter
def ago(moment: datetime | None) -> str:
    return "" if moment is None else ago_text(moment, timezone.now())
