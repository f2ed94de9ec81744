"""`{{ moment|ago }}`: "12 minutes ago", in one unit (Django's `timesince` says "1 hour, 12
minutes", more than a glance at a list needs)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _minutes(n: int) -> str:
    return ngettext("%(n)d minute ago", "%(n)d minutes ago", n) % {"n": n}


def _hours(n: int) -> str:
    return ngettext("%(n)d hour ago", "%(n)d hours ago", n) % {"n": n}


def _days(n: int) -> str:
    return ngettext("%(n)d day ago", "%(n)d days ago", n) % {"n": n}


_UNITS = (  # (seconds in the unit, its words, used below this many seconds)
    (60, _minutes, 60 * 60),
    (60 * 60, _hours, 48 * 60 * 60),
    (24 * 60 * 60, _days, None),
)


def ago_text(moment: datetime, now: datetime) -> str:
    """The words for `moment` seen at `now`."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return _("just now")
    for size, words, below in _UNITS:
        if below is None or seconds < below:
            return words(seconds // size)
    raise AssertionError("unreachable")


@register.filter
def ago(moment: datetime | None) -> str:
    return "" if moment is None else ago_text(moment, timezone.now())
