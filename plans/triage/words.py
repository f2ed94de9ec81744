"""The words of the triage and the record: sessions, warning signs, severe pain and days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.urls import reverse

from plans import engine
from plans.models import (
    RedFlag,
)
from recovery.models import (
    Activity,
)

_URL_MARKER = 9876543210


def _link_maker(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for any number of pks at the cost of one `reverse`."""
    head, tail = reverse(name, args=[_URL_MARKER]).split(str(_URL_MARKER))
    return lambda pk: f"{head}{pk}{tail}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _lower_first(text: str) -> str:
    """ "Pain 8/10 on Tuesday" → "pain 8/10 on Tuesday" (the "also" line runs reasons on)."""
    return text[:1].lower() + text[1:]


def activity_labels(codes) -> list[str]:
    return [Activity(code).label if code in Activity.values else code for code in codes or ()]


def flag_labels(codes) -> list[str]:
    return [str(RedFlag(code).label) if code in RedFlag.values else code for code in codes or ()]


def on_day(day: date, today: date) -> str:
    """When, on the patient's calendar: "today", "on Tuesday" within the week, else the date."""
    ago = (today - day).days
    if ago == 0:
        return "today"
    if 0 < ago < 7:
        return f"on {day:%A}"
    return f"on {day:%a} {day:%-d %b}"


def lasted_phrase(hours) -> str:
    """How long raised pain lasted, as it matters to the engine (the 2-hour and 24-hour marks)."""
    if hours is None:
        return ""
    if hours > engine.SEVERE_PAIN_HOURS:
        return "still there the next day"
    if hours > engine.PAIN_LASTED_HOURS_MAX:
        return "lasting more than 2 hours"
    return ""


def severe_pain_words(pain: int | None, hours, when: str) -> str:
    """ "Severe pain (9/10) on Tuesday"; "Severe pain (8/10, still there the next day) today"."""
    if pain is None:
        return f"Severe pain {when}"
    lasted = lasted_phrase(hours) if pain < engine.SEVERE_PAIN else ""
    return f"Severe pain ({pain}/10{', ' + lasted if lasted else ''}) {when}"


def red_session_words(
    *, pain: int | None, pain_before: int | None, hours, sharp: bool, when: str
) -> str:
    """What made a session red, in the order the engine checks: "Pain 8/10 lasting more than 2
    hours on Tuesday", "Sharp pain 3/10 today", "Pain rose from 2 to 7 on Monday"."""
    rise = None if pain is None or pain_before is None else pain - pain_before
    if rise is not None and rise >= engine.PAIN_RISE_RED:
        what = f"pain rose from {pain_before} to {pain}"
    elif pain is not None:
        what = f"pain {pain}/10"
    else:
        what = "pain"
    what = f"Sharp {what}" if sharp else what[:1].upper() + what[1:]
    lasted = lasted_phrase(hours)
    return f"{what}{' ' + lasted if lasted else ''} {when}"
