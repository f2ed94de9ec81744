"""Moments on the clinic's clock (settings.CLINIC_TIME_ZONE), for clinicians' pages.

`{{ moment|clinic_time }}` is "24 Nov 2026, 09:05 EST": the time of day with its zone, so that no
one reads a UTC time as local; `{{ moment|clinic_date }}` is the clinic's date of the moment, which
near midnight is not the date in UTC.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import dateformat, timezone

register = template.Library()


def on_clinic_clock(moment: datetime) -> datetime:
    return timezone.localtime(moment, ZoneInfo(settings.CLINIC_TIME_ZONE))


@register.filter
def clinic_time(moment: datetime | None, format_string: str = "j M Y, H:i") -> str:
    if moment is None:
        return ""
    local = on_clinic_clock(moment)
    return f"{dateformat.format(local, format_string)} {local.tzname()}"


@register.filter
def clinic_date(moment: datetime | None, format_string: str = "j M Y") -> str:
    if moment is None:
        return ""
    return dateformat.format(on_clinic_clock(moment), format_string)
