"""`{{ moment|ago }}`: "12 minutes ago", in one unit, and when that text will change.

Django's `timesince` reads the clock without saying how long its answer holds, which a cached
page needs to know (recovery.pagecache): this filter reports the moment its text changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from recovery import pagecache

register = template.Library()

_UNITS = (  # (seconds in the unit, singular, plural, used below this many seconds)
    (60, "minute", "minutes", 60 * 60),
    (60 * 60, "hour", "hours", 48 * 60 * 60),
    (24 * 60 * 60, "day", "days", None),
)


def ago_text(moment: datetime, now: datetime) -> tuple[str, datetime]:
    """The words for `moment` seen at `now`, and the first moment they differ."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now", moment + timedelta(seconds=60)
    for size, one, many, below in _UNITS:
        if below is None or seconds < below:
            count = seconds // size
            changes = moment + timedelta(seconds=(count + 1) * size)
            return f"{count} {one if count == 1 else many} ago", changes
    raise AssertionError("unreachable")


@register.filter
def ago(moment: datetime | None) -> str:
    if moment is None:
        return ""
    text, changes = ago_text(moment, timezone.now())
    pagecache.until(changes)
    return text
