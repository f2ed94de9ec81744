"""The StepWise progression engine.

Given a patient's plan rules and the weeks they have already closed, decide what next week
looks like: start, progress, hold, reduce, maintain, or stop.

This module is deliberately plain Python: no Django, no clock, no I/O. Frozen dataclasses go
in and frozen dataclasses come out, so every decision can be replayed and tested exactly.
All bounds live here as module constants; forms, models and pages import them rather than
repeating the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "EMERGENCY_FLAGS",
    "FLOOR_MINUTES",
    "INCREMENT_MAX",
    "INCREMENT_MIN",
    "PAIN_CAUTION",
    "PAIN_LASTED_HOURS_MAX",
    "PAIN_LOW_MAX",
    "PAIN_MAX",
    "SAME_DAY_FLAGS",
    "SESSIONS_MAX",
    "SESSIONS_MIN",
    "START_MINUTES_MAX",
    "START_MINUTES_MIN",
    "TARGET_MINUTES_MAX",
    "Decision",
    "Prescription",
    "Rules",
    "SessionSummary",
    "WeekLog",
    "completed_needed",
    "is_completed",
    "next_week",
    "plan_weeks",
    "red_flag_tier",
    "week_number",
]

# --- Bounds (the single source of truth for the whole app) -----------------------------------

START_MINUTES_MIN = 10
START_MINUTES_MAX = 15
INCREMENT_MIN = 5
INCREMENT_MAX = 10
TARGET_MINUTES_MAX = 120
SESSIONS_MIN = 1
SESSIONS_MAX = 7

# A reduction never prescribes less than this: shorter sessions stop being useful exercise.
FLOOR_MINUTES = 10

# Pain is reported on a 0..10 scale after exercise.
PAIN_MAX = 10
# Pain at or above this level after exercise means the load was too much: ease back.
PAIN_CAUTION = 7
# Pain lasting longer than this many hours after exercise also means ease back.
PAIN_LASTED_HOURS_MAX = 2
# Pain at or below this level counts as "little pain" and allows the larger step.
PAIN_LOW_MAX = 2

# Warning signs that need a clinician the same day.
SAME_DAY_FLAGS: frozenset[str] = frozenset(
    {
        "radiating_pain",
        "numbness",
        "tingling",
        "weakness",
        "fever",
        "wound",
        "calf_pain",
        "fall",
    }
)
# Warning signs that need emergency care now (cauda equina, bilateral deficit, airway).
EMERGENCY_FLAGS: frozenset[str] = frozenset(
    {"bladder_bowel", "saddle_numbness", "both_legs", "neck_swelling_breathing"}
)


# --- Small shared helpers ---------------------------------------------------------------------


def red_flag_tier(flags: Iterable[str]) -> str | None:
    """How urgent a set of reported warning signs is.

    Returns ``"emergency"`` if any emergency flag is present, else ``"same_day"`` if any flag at
    all is present, else ``None``. An unknown code is still treated as a warning sign: when in
    doubt the safe answer is to have a clinician look.
    """
    flags = frozenset(flags)
    if flags & EMERGENCY_FLAGS:
        return "emergency"
    if flags:
        return "same_day"
    return None


def is_completed(minutes: int, prescribed: int) -> bool:
    """A session counts as completed when it reached at least 80 % of the prescription.

    Integer arithmetic (5 * minutes >= 4 * prescribed) keeps the boundary exact: 16 of 20
    minutes is completed, 15 of 20 is not.
    """
    return 5 * minutes >= 4 * prescribed


def completed_minimum(prescribed: int) -> int:
    """The fewest minutes that complete a session of `prescribed` minutes (80 %, rounded up)."""
    return -(-4 * prescribed // 5)


def week_number(start: date, day: date) -> int:
    """The plan week a calendar day falls in: week k is [start + 7(k−1) days, start + 7k days).

    Days before the start give 0 or less. Week k is closed once day >= start + 7k, so on `day`
    the weeks closed are those below week_number(start, day).
    """
    return (day - start).days // 7 + 1


def completed_needed(sessions_per_week: int) -> int:
    """Completed sessions needed for a week to count: ceil(2/3 of the planned sessions).

    Done in integers so pages can say "3 of 5 done" without float rounding surprises.
    """
    return (2 * sessions_per_week + 2) // 3


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count} {word}"


def _check_int(name: str, value: object) -> int:
    # bool is a subclass of int; True as "1 session per week" is always a bug upstream.
    # ValueError (not TypeError) by contract: callers catch one exception type per field.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number (got {value!r})")
    return value


def _check_range(name: str, value: object, low: int, high: int) -> None:
    number = _check_int(name, value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high} (got {number})")


# --- Inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A patient's plan settings, as chosen by their clinician.

    Bounds: 10 <= start_minutes <= 15; 5 <= min_increment <= max_increment <= 10;
    start_minutes <= target_minutes <= 120; 1 <= sessions_per_week <= 7.
    """

    start_minutes: int
    min_increment: int
    max_increment: int
    target_minutes: int
    sessions_per_week: int

    def __post_init__(self) -> None:
        _check_range("start_minutes", self.start_minutes, START_MINUTES_MIN, START_MINUTES_MAX)
        _check_range("min_increment", self.min_increment, INCREMENT_MIN, INCREMENT_MAX)
        _check_range("max_increment", self.max_increment, INCREMENT_MIN, INCREMENT_MAX)
        if self.max_increment < self.min_increment:
            raise ValueError(
                f"max_increment must be at least min_increment ({self.min_increment}) "
                f"(got {self.max_increment})"
            )
        _check_range("target_minutes", self.target_minutes, self.start_minutes, TARGET_MINUTES_MAX)
        _check_range("sessions_per_week", self.sessions_per_week, SESSIONS_MIN, SESSIONS_MAX)


@dataclass(frozen=True)
class SessionSummary:
    """One exercise session as the patient reported it.

    ``pain`` is 0..10 after exercise (None when not given); ``red_flags`` holds warning-sign
    codes such as those in SAME_DAY_FLAGS and EMERGENCY_FLAGS.
    """

    minutes: int
    pain: int | None = None
    pain_lasted_hours: float = 0.0
    sharp_pain: bool = False
    red_flags: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if _check_int("minutes", self.minutes) < 0:
            raise ValueError(f"minutes must be 0 or more (got {self.minutes})")
        if self.pain is not None:
            _check_range("pain", self.pain, 0, PAIN_MAX)
        hours = self.pain_lasted_hours
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not math.isfinite(hours)
            or hours < 0
        ):
            raise ValueError(f"pain_lasted_hours must be a number, 0 or more (got {hours!r})")
        if not isinstance(self.sharp_pain, bool):
            raise ValueError(f"sharp_pain must be True or False (got {self.sharp_pain!r})")
        # A bare string would silently become a set of letters; refuse it instead.
        if isinstance(self.red_flags, str) or not isinstance(self.red_flags, Iterable):
            raise ValueError(
                f"red_flags must be a collection of codes, not {type(self.red_flags).__name__}"
            )
        flags = frozenset(self.red_flags)
        if not all(isinstance(flag, str) and flag for flag in flags):
            raise ValueError(f"red_flags must contain non-empty text codes (got {sorted(flags)!r})")
        object.__setattr__(self, "red_flags", flags)


@dataclass(frozen=True)
class WeekLog:
    """A closed week: what was prescribed and the sessions the patient logged."""

    prescribed_minutes: int
    sessions: tuple[SessionSummary, ...] = ()

    def __post_init__(self) -> None:
        # Not checked against Rules: a clinician may have set any prescription that week.
        if _check_int("prescribed_minutes", self.prescribed_minutes) < 0:
            raise ValueError(
                f"prescribed_minutes must be 0 or more (got {self.prescribed_minutes})"
            )
        sessions = tuple(self.sessions)
        if not all(isinstance(session, SessionSummary) for session in sessions):
            raise ValueError("sessions must contain only SessionSummary values")
        object.__setattr__(self, "sessions", sessions)


# --- Outputs ----------------------------------------------------------------------------------


class Decision(StrEnum):
    START = "start"
    PROGRESS = "progress"
    HOLD = "hold"
    REDUCE = "reduce"
    STOP = "stop"
    MAINTAIN = "maintain"


@dataclass(frozen=True)
class Prescription:
    """What the patient should do in ``week``, and one sentence telling them why."""

    week: int
    minutes: int
    sessions_per_week: int
    decision: Decision
    reason: str


# --- The engine -------------------------------------------------------------------------------


def _completed_phrase(completed: int, planned: int) -> str:
    if completed > planned:
        return f"You completed {_plural(completed, 'session')}, more than the {planned} planned"
    return f"You completed {completed} of {_plural(planned, 'session')}"


def _start(rules: Rules) -> Prescription:
    return Prescription(
        week=1,
        minutes=rules.start_minutes,
        sessions_per_week=rules.sessions_per_week,
        decision=Decision.START,
        reason=(
            f"Your first week starts gently at {_plural(rules.start_minutes, 'minute')} "
            "per session."
        ),
    )


def _stop(week: int, flags: frozenset[str]) -> Prescription:
    urgent = red_flag_tier(flags) == "emergency"
    sign = "an urgent warning sign" if urgent else "a warning sign"
    return Prescription(
        week=week,
        minutes=0,
        sessions_per_week=0,
        decision=Decision.STOP,
        reason=f"You reported {sign}, so your plan is paused until your care team reviews it.",
    )


def _reduce(rules: Rules, week: int, last: WeekLog) -> Prescription | None:
    """Rule 2: sharp pain, pain lasting over 2 hours, or pain of 7+ eases the next week back.

    Returns None when none of those happened. The reduction is the smaller increment, and
    never below FLOOR_MINUTES.
    """
    sessions = last.sessions
    sharp = any(s.sharp_pain for s in sessions)
    lasted = any(s.pain_lasted_hours > PAIN_LASTED_HOURS_MAX for s in sessions)
    worst = max((s.pain for s in sessions if s.pain is not None), default=None)
    high = worst is not None and worst >= PAIN_CAUTION
    if not (sharp or lasted or high):
        return None

    minutes = max(FLOOR_MINUTES, last.prescribed_minutes - rules.min_increment)
    # Sharp pain is named first because it is the most specific thing the patient told us.
    if sharp:
        cause = "You reported sharp pain during or after exercise"
    elif high:
        cause = f"Your pain reached {worst} out of {PAIN_MAX} after exercise"
    else:
        cause = (
            f"Your pain lasted more than {_plural(PAIN_LASTED_HOURS_MAX, 'hour')} after exercise"
        )
    if minutes < last.prescribed_minutes:
        outcome = f"next week eases back to {_plural(minutes, 'minute')}"
    elif minutes == last.prescribed_minutes:
        outcome = f"next week stays at {_plural(minutes, 'minute')}, the gentlest level"
    else:
        # Only reachable if a week was prescribed below the floor; don't go lower still.
        outcome = f"next week is set to {_plural(minutes, 'minute')}, the gentlest level"
    return Prescription(
        week=week,
        minutes=minutes,
        sessions_per_week=rules.sessions_per_week,
        decision=Decision.REDUCE,
        reason=f"{cause}, so {outcome}.",
    )


def _progress(rules: Rules, week: int, last: WeekLog, completed: int) -> Prescription:
    """Rule 5: add a step, capped at the target.

    The larger step (max_increment) is earned only when every planned session was completed
    and every pain score given was 2 or less; a missing pain score doesn't count against it.
    Otherwise the step is min_increment.
    """
    planned = rules.sessions_per_week
    pains = [s.pain for s in last.sessions if s.pain is not None]
    worst = max(pains, default=None)
    low_pain = worst is None or worst <= PAIN_LOW_MAX
    all_done = completed >= planned
    step = rules.max_increment if all_done and low_pain else rules.min_increment
    minutes = min(rules.target_minutes, last.prescribed_minutes + step)

    done = _completed_phrase(completed, planned)
    if pains and low_pain:
        done += " with little pain"
    elif not low_pain:
        done += f" with pain up to {worst} out of {PAIN_MAX}"
    if minutes >= rules.target_minutes:
        outcome = f"next week reaches your target of {_plural(minutes, 'minute')}"
    else:
        outcome = (
            f"next week adds {_plural(minutes - last.prescribed_minutes, 'minute')}, "
            f"to {_plural(minutes, 'minute')} per session"
        )
    return Prescription(
        week=week,
        minutes=minutes,
        sessions_per_week=planned,
        decision=Decision.PROGRESS,
        reason=f"{done}, so {outcome}.",
    )


def next_week(rules: Rules, history: Sequence[WeekLog]) -> Prescription:
    """Prescribe week ``len(history) + 1`` from the last closed week.

    ``history[i]`` is week ``i + 1``. With no history the patient starts at start_minutes.
    Otherwise the first rule that applies to the last week decides:

    1. any red flag            -> STOP at 0 minutes (a clinician must resume the plan)
    2. sharp pain, pain > 2 h,
       or pain >= 7            -> REDUCE by min_increment, not below 10 minutes
    3. too few completed       -> HOLD at the same minutes
    4. already at/over target  -> MAINTAIN at target
    5. otherwise               -> PROGRESS by a step, capped at target

    Safety comes first (1, 2), then whether the patient managed the week (3), then growth.
    Only the last week is read: earlier weeks already shaped its prescription.
    """
    week = len(history) + 1
    if not history:
        return _start(rules)
    last = history[-1]

    flags = frozenset().union(*(s.red_flags for s in last.sessions))
    if flags:
        return _stop(week, flags)

    reduced = _reduce(rules, week, last)
    if reduced is not None:
        return reduced

    planned = rules.sessions_per_week
    completed = sum(is_completed(s.minutes, last.prescribed_minutes) for s in last.sessions)
    if completed < completed_needed(planned):
        return Prescription(
            week=week,
            minutes=last.prescribed_minutes,
            sessions_per_week=planned,
            decision=Decision.HOLD,
            reason=(
                f"{_completed_phrase(completed, planned)}, so next week stays at "
                f"{_plural(last.prescribed_minutes, 'minute')}."
            ),
        )

    if last.prescribed_minutes >= rules.target_minutes:
        target = rules.target_minutes
        if last.prescribed_minutes == target:
            reason = (
                f"You have reached your target of {_plural(target, 'minute')}, "
                "so next week stays there."
            )
        else:
            # The clinician lowered the target below what the patient was doing.
            reason = (
                f"Your target is now {_plural(target, 'minute')}, so next week is set to match it."
            )
        return Prescription(
            week=week,
            minutes=target,
            sessions_per_week=planned,
            decision=Decision.MAINTAIN,
            reason=reason,
        )

    return _progress(rules, week, last, completed)


def plan_weeks(rules: Rules, history: Sequence[WeekLog]) -> list[Prescription]:
    """Every prescription from week 1 to week ``len(history) + 1``.

    Stops at the first STOP: nothing follows a paused plan until a clinician resumes it,
    and a resume starts a new history.
    """
    weeks = list(history)
    plan = [next_week(rules, [])]
    for closed in range(1, len(weeks) + 1):
        prescription = next_week(rules, weeks[:closed])
        plan.append(prescription)
        if prescription.decision is Decision.STOP:
            break
    return plan
