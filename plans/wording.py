"""Why a week has the minutes it has, said about that week (DESIGN sections 2 and 14).

The engine's `reason` is the sentence that decided a week, written at the moment the week
before closed: "You completed 1 of 3 sessions, so next week stays at 30 minutes." Shown beside
the week it produced, "next week" is the wrong week. This module says the same cause from where
the reader stands, beside the week it explains:

- to the patient: "This week stays at 30 minutes because last week you completed 1 of 3
  sessions."
- to the clinician, in the third person: "Stays at 30 minutes: completed 1 of 3 sessions last
  week."

Pass ``week`` to name the weeks instead ("Week 4 stays at 30 minutes because in week 3 you
completed 1 of 3 sessions."): a list of weeks, such as the patient's history, has no "this
week". The explanation of week N is always about week N − 1's sessions (and N − 2's for a
break), which the engine read to decide it.

`pause_explanation` says why a plan was paused, from the cause the plan stores (a warning sign
and its day, the engine's STOP week, a clinician's words): every page that shows a pause uses it.

Pure: built from an `engine.Cause` and its numbers only (no database). Every string goes through
gettext with named placeholders, so a translation can reorder the words (DESIGN section 10).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from plans.engine import PAIN_MAX, SEVERE_PAIN, Cause

__all__ = ["AUDIENCES", "Audience", "explain", "pause_explanation", "week_explanation"]

Audience = Literal["patient", "clinician"]
AUDIENCES: tuple[Audience, ...] = ("patient", "clinician")

_REDUCE = frozenset(
    {Cause.SHARP_PAIN, Cause.PAIN_HIGH, Cause.PAIN_HIGH_LASTED, Cause.PAIN_ROSE, Cause.PAIN_LASTED}
)
_PROGRESS = frozenset({Cause.COMFORTABLE, Cause.NOT_ALWAYS_COMFORTABLE, Cause.PAIN_NOT_GIVEN})


def _minutes(n: int) -> str:
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


def _sessions(n: int) -> str:
    return ngettext("%(n)d session", "%(n)d sessions", n) % {"n": n}


def _hours(n: int) -> str:
    return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}


class _Weeks:
    """How the sentence names the week it explains and the weeks before it."""

    def __init__(self, week: int | None) -> None:
        self.week = week

    @property
    def this(self) -> str:  # the subject of a patient's sentence
        if self.week is None:
            return pgettext("week explained: subject", "This week")
        return pgettext("week explained: subject", "Week %(n)d") % {"n": self.week}

    @property
    def last(self) -> str:  # "last week you completed…"
        if self.week is None or self.week < 2:
            return pgettext("week explained: when", "last week")
        return pgettext("week explained: when", "in week %(n)d") % {"n": self.week - 1}

    @property
    def two_before(self) -> str:  # a break: the two weeks before
        if self.week is None or self.week < 3:
            return pgettext("week explained: when", "in the two weeks before")
        return pgettext("week explained: when", "in weeks %(a)d and %(b)d") % {
            "a": self.week - 2,
            "b": self.week - 1,
        }


def _reduce_outcome(n: Mapping[str, int]) -> str:
    """ "eases back from 30 to 25 minutes" (lower-case: it follows the subject)."""
    minutes, prescribed = n.get("minutes", 0), n.get("prescribed", 0)
    values = {"from": prescribed, "to": _minutes(minutes), "minutes": _minutes(minutes)}
    if minutes < prescribed:
        return _("eases back from %(from)d to %(to)s") % values
    if minutes == prescribed:
        return _("stays at %(minutes)s, the gentlest level") % values
    return _("is set to %(minutes)s, the gentlest level") % values


def _reduce_cause(cause: Cause, n: Mapping[str, int], patient: bool) -> str:
    values = {
        "pain": n.get("pain", 0),
        "max": PAIN_MAX,
        "hours": _hours(n.get("hours", 0)),
        "rise": n.get("rise", 0),
    }
    if patient:
        text = {
            Cause.SHARP_PAIN: _("you reported sharp pain during or after exercise"),
            Cause.PAIN_HIGH: _("your pain reached %(pain)d out of %(max)d after exercise"),
            Cause.PAIN_HIGH_LASTED: _(
                "your pain reached %(pain)d out of %(max)d and lasted more than %(hours)s"
            ),
            Cause.PAIN_ROSE: _("your pain rose by %(rise)d points from before exercise"),
            Cause.PAIN_LASTED: _("your pain lasted more than %(hours)s after exercise"),
        }[cause]
    else:
        text = {
            Cause.SHARP_PAIN: _("sharp pain during or after exercise"),
            Cause.PAIN_HIGH: _("pain reached %(pain)d/%(max)d after exercise"),
            Cause.PAIN_HIGH_LASTED: _(
                "pain reached %(pain)d/%(max)d and lasted more than %(hours)s"
            ),
            Cause.PAIN_ROSE: _("pain rose by %(rise)d points over the pain before exercise"),
            Cause.PAIN_LASTED: _("pain lasted more than %(hours)s after exercise"),
        }[cause]
    return text % values


def _is_severe(cause: Cause, n: Mapping[str, int]) -> bool:
    """Severe pain is named first among the reduce causes, so the numbers tell it apart."""
    return cause is Cause.PAIN_HIGH_LASTED or (
        cause is Cause.PAIN_HIGH and n.get("pain", 0) >= SEVERE_PAIN
    )


def _progress_parts(cause: Cause, n: Mapping[str, int], patient: bool) -> tuple[str, str, str]:
    """(what the week does, what the patient did, how the pain was) for a week that moves up."""
    minutes, step, max_step = n.get("minutes", 0), n.get("step", 0), n.get("max_step", 0)
    completed, planned, blank = n.get("completed", 0), n.get("planned", 0), n.get("blank", 0)
    values = {
        "minutes": _minutes(minutes),
        "step": _minutes(step),
        "max_step": max_step,
        "completed": completed,
        "planned": _sessions(planned),
        "done": _sessions(completed),
        "planned_n": planned,
        "blank": _sessions(blank),
    }
    if minutes >= n.get("target", minutes + 1):
        outcome = _("reaches the target of %(minutes)s") % values
    elif step < max_step:
        outcome = _("adds %(step)s rather than %(max_step)d, to %(minutes)s per session") % values
    else:
        outcome = _("adds %(step)s, to %(minutes)s per session") % values
    quality = ""

    if patient:
        if completed > planned:
            did = _("you completed %(done)s, more than the %(planned_n)d planned") % values
        else:
            did = _("you completed %(completed)d of %(planned)s") % values
        if cause is Cause.NOT_ALWAYS_COMFORTABLE:
            quality = _(", with pain that was not always comfortable")
        elif cause is Cause.PAIN_NOT_GIVEN:
            quality = _(", but gave no pain score for %(blank)s") % values
        elif completed >= planned:
            quality = _(" with comfortable pain")
    else:
        if completed > planned:
            did = _("completed %(done)s, more than the %(planned_n)d planned") % values
        else:
            did = _("completed %(completed)d of %(planned)s") % values
        if cause is Cause.NOT_ALWAYS_COMFORTABLE:
            quality = _(", pain not always comfortable")
        elif cause is Cause.PAIN_NOT_GIVEN:
            quality = _(", no pain score for %(blank)s") % values
        elif completed >= planned:
            quality = _(", all comfortable")
    return outcome, did, quality


def _patient(cause: Cause, n: Mapping[str, int], w: _Weeks) -> str:
    values = {
        "this": w.this,
        "last": w.last,
        "two_before": w.two_before,
        "minutes": _minutes(n.get("minutes", 0)),
    }
    if cause is Cause.START:
        return (
            _("%(this)s starts gently at %(minutes)s per session: the first week of your plan.")
            % values
        )
    if cause is Cause.RESUME:
        return (
            _(
                "%(this)s starts again at %(minutes)s per session, the level your care team set "
                "when they restarted your plan."
            )
            % values
        )
    if cause in (Cause.WARNING_SIGN, Cause.URGENT_WARNING_SIGN):
        sign = (
            _("an urgent warning sign")
            if cause is Cause.URGENT_WARNING_SIGN
            else _("a warning sign")
        )
        return _(
            "%(this)s has no exercise because %(last)s you reported %(sign)s: your plan is paused "
            "until your care team reviews it."
        ) % {**values, "sign": sign}
    if cause in _REDUCE:
        text = _("%(this)s %(outcome)s because %(last)s %(cause)s") % {
            **values,
            "outcome": _reduce_outcome(n),
            "cause": _reduce_cause(cause, n, True),
        }
        if _is_severe(cause, n):
            text += _(", and your care team has been told")
        return text + "."
    if cause is Cause.NO_SESSIONS:
        return (
            _(
                "%(this)s restarts gently at %(minutes)s because you logged no sessions "
                "%(two_before)s."
            )
            % values
        )
    if cause is Cause.OVERDOING_SESSION:
        return _(
            "%(this)s stays at %(minutes)s because %(last)s one session lasted %(session)d "
            "minutes against the %(prescribed)d planned: doing too much too soon is a common "
            "cause of setbacks."
        ) % {**values, "session": n.get("session_minutes", 0), "prescribed": n.get("prescribed", 0)}
    if cause is Cause.OVERDOING_WEEK:
        return _(
            "%(this)s stays at %(minutes)s because %(last)s you did %(total)d minutes in all "
            "against the %(planned)d planned: doing too much too soon is a common cause of "
            "setbacks."
        ) % {**values, "total": n.get("total", 0), "planned": n.get("planned_total", 0)}
    if cause is Cause.TOO_FEW:
        needed = n.get("needed", 0)
        first = _(
            "%(this)s stays at %(minutes)s because %(last)s you completed %(completed)d of "
            "%(planned)s."
        ) % {
            **values,
            "completed": n.get("completed", 0),
            "planned": _sessions(n.get("planned", 0)),
        }
        then = ngettext(
            "%(needed)d completed session is needed to move up.",
            "%(needed)d completed sessions are needed to move up.",
            needed,
        ) % {"needed": needed}
        return f"{first} {then}"
    if cause is Cause.AT_TARGET:
        return (
            _("%(this)s stays at your target of %(minutes)s because you have reached it.") % values
        )
    if cause is Cause.TARGET_LOWERED:
        return (
            _("%(this)s is set to %(minutes)s because your care team lowered your target to it.")
            % values
        )
    if cause in _PROGRESS:
        outcome, did, quality = _progress_parts(cause, n, True)
        return _("%(this)s %(outcome)s, because %(last)s %(did)s%(quality)s.") % {
            **values,
            "outcome": outcome,
            "did": did,
            "quality": quality,
        }
    return ""


def _clinician(cause: Cause, n: Mapping[str, int], w: _Weeks) -> str:
    values = {
        "last": w.last,
        "two_before": w.two_before,
        "minutes": _minutes(n.get("minutes", 0)),
    }
    if cause is Cause.START:
        return _("Starts at %(minutes)s: the first week of the plan.") % values
    if cause is Cause.RESUME:
        return _("Starts again at %(minutes)s: the level set when the plan was resumed.") % values
    if cause in (Cause.WARNING_SIGN, Cause.URGENT_WARNING_SIGN):
        sign = (
            _("an emergency warning sign")
            if cause is Cause.URGENT_WARNING_SIGN
            else _("a same-day warning sign")
        )
        return _("No exercise: %(sign)s reported %(last)s; paused until reviewed.") % {
            **values,
            "sign": sign,
        }
    if cause in _REDUCE:
        outcome = _reduce_outcome(n)
        text = _("%(outcome)s: %(cause)s %(last)s") % {
            **values,
            "outcome": outcome[:1].upper() + outcome[1:],
            "cause": _reduce_cause(cause, n, False),
        }
        if _is_severe(cause, n):
            text += _(" (severe pain, flagged for review)")
        return text + "."
    if cause is Cause.NO_SESSIONS:
        return _("Restarts at %(minutes)s: no sessions logged %(two_before)s.") % values
    if cause is Cause.OVERDOING_SESSION:
        return _(
            "Stays at %(minutes)s: one session of %(session)d minutes against %(prescribed)d "
            "prescribed %(last)s (overdoing)."
        ) % {**values, "session": n.get("session_minutes", 0), "prescribed": n.get("prescribed", 0)}
    if cause is Cause.OVERDOING_WEEK:
        return _(
            "Stays at %(minutes)s: %(total)d minutes in all against %(planned)d prescribed "
            "%(last)s (overdoing)."
        ) % {**values, "total": n.get("total", 0), "planned": n.get("planned_total", 0)}
    if cause is Cause.TOO_FEW:
        return _(
            "Stays at %(minutes)s: completed %(completed)d of %(planned)s %(last)s (%(needed)d "
            "needed to move up)."
        ) % {
            **values,
            "completed": n.get("completed", 0),
            "planned": _sessions(n.get("planned", 0)),
            "needed": n.get("needed", 0),
        }
    if cause is Cause.AT_TARGET:
        return _("Stays at the target of %(minutes)s, already reached.") % values
    if cause is Cause.TARGET_LOWERED:
        return _("Set to %(minutes)s: the target was lowered to it.") % values
    if cause in _PROGRESS:
        outcome, did, quality = _progress_parts(cause, n, False)
        return _("%(outcome)s: %(did)s %(last)s%(quality)s.") % {
            **values,
            "outcome": outcome[:1].upper() + outcome[1:],
            "did": did,
            "quality": quality,
        }
    return ""


def week_explanation(
    cause: Cause | str,
    numbers: Mapping[str, int] | Iterable[tuple[str, int]] | None,
    *,
    audience: Audience,
    week: int | None = None,
) -> str:
    """The sentence explaining a week's minutes, said about that week, for `audience`.

    `cause` is the week's `engine.Cause` (or its stored value) and `numbers` its
    `cause_numbers` (a dict or the engine's pairs). `week` names the week ("Week 4 … in week
    3") instead of "this week … last week". Returns "" when no cause was recorded (weeks
    decided before causes were kept, or an unknown code): show the stored reason then.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES} (got {audience!r})")
    try:
        cause = Cause(cause)
    except ValueError:
        return ""
    n = dict(numbers or {})
    weeks = _Weeks(week)
    if audience == "patient":
        return _patient(cause, n, weeks)
    return _clinician(cause, n, weeks)


def explain(
    cause: str,
    numbers: Mapping[str, int] | str | None,
    reason: str,
    *,
    audience: Audience,
    week: int | None = None,
) -> str:
    """`week_explanation` of a stored week, or its stored `reason` when it has no cause.

    `numbers` may be the JSON text a raw query returns.
    """
    if isinstance(numbers, str):
        numbers = json.loads(numbers or "{}")
    return week_explanation(cause, numbers, audience=audience, week=week) or reason


# A plan's pause cause (plans.models.PauseCause), by value: this module imports no models.
_WARNING_SIGN, _WEEK_STOP, _CLEARANCE_WITHDRAWN = "warning_sign", "week_stop", "clearance_withdrawn"


def pause_explanation(
    cause: str,
    *,
    audience: Audience,
    day: date | None = None,
    reason: str = "",
    stop: tuple[int, str, Mapping[str, int] | str | None, str] | None = None,
) -> str:
    """Why a plan was paused, from its stored cause (`Plan.pause_cause`), for `audience`.

    `day` is the day a warning sign was reported; `stop` the engine's STOP week for a stop at a
    week's close, as (week, cause, cause_numbers, reason): said as `explain` says that week;
    `reason` the clinician's words for a pause or a withdrawn clearance, shown as typed.
    """
    if cause == _WARNING_SIGN and day is not None:
        when = date_format(day, pgettext("date format: day, month and year", "j F Y"))
        return _("Warning sign reported on %(day)s.") % {"day": when}
    if cause == _WEEK_STOP and stop is not None:
        week, week_cause, numbers, week_reason = stop
        return explain(week_cause, numbers, week_reason, audience=audience, week=week)
    if cause == _CLEARANCE_WITHDRAWN:
        if audience == "patient":
            return _("Clearance withdrawn by your care team: %(reason)s") % {"reason": reason}
        return _("Clearance withdrawn: %(reason)s") % {"reason": reason}
    return reason
