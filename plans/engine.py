"""The StepWise progression engine (version 2).

Given a patient's plan rules and the weeks they have already closed, decide what next week
looks like: start, progress, hold, reduce, maintain, return after a break, or stop.

This module is deliberately plain Python: no Django, no clock, no I/O. Frozen dataclasses go
in and frozen dataclasses come out, so every decision can be replayed and tested exactly.
All bounds live here as module constants; forms, models and pages import them rather than
repeating the numbers. Arithmetic is in integers throughout so no boundary depends on float
rounding.
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
    "PAIN_MODERATE_MAX",
    "PAIN_RISE_GREEN_MAX",
    "PAIN_RISE_RED",
    "SAME_DAY_FLAGS",
    "SESSIONS_MAX",
    "SESSIONS_MIN",
    "SEVERE_PAIN",
    "SEVERE_PAIN_HOURS",
    "START_MINUTES_MAX",
    "START_MINUTES_MIN",
    "TARGET_MINUTES_MAX",
    "Cause",
    "Decision",
    "PainResponse",
    "Prescription",
    "Review",
    "Rules",
    "SessionSummary",
    "WeekLog",
    "completed_minimum",
    "completed_needed",
    "is_completed",
    "is_severe",
    "next_week",
    "pain_response",
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

# No prescription (a reduction, a resume) goes below this: shorter sessions stop being exercise.
FLOOR_MINUTES = 10

# Pain is reported on a 0..10 scale, before and after exercise.
PAIN_MAX = 10
# Pain at or above this level after exercise means the load was too much: red.
PAIN_CAUTION = 7
# Raised pain lasting more than this many hours is red: the "2-hour rule" of rehab leaflets.
PAIN_LASTED_HOURS_MAX = 2
# A rise of this many points or more over the day's pain before exercise is red.
PAIN_RISE_RED = 4
# Pain at or below this level is green whatever it was before.
PAIN_LOW_MAX = 2
# Pain up to this level is still green when it rose by at most PAIN_RISE_GREEN_MAX points.
PAIN_MODERATE_MAX = 5
PAIN_RISE_GREEN_MAX = 1
# Severe pain reaches a clinician the same day: this level, or PAIN_CAUTION lasting this long.
SEVERE_PAIN = 9
SEVERE_PAIN_HOURS = 24

# Warning signs that need emergency care now (cauda equina, bilateral deficit, heart, airway).
EMERGENCY_FLAGS: frozenset[str] = frozenset(
    {
        "bladder_bowel",
        "urinary_retention",
        "saddle_numbness",
        "both_legs",
        "rapid_weakness",
        "chest_breathing",
        "fainting",
        "neck_swelling_breathing",
    }
)
# Warning signs that need a clinician the same day.
SAME_DAY_FLAGS: frozenset[str] = frozenset(
    {
        "radiating_pain",
        "numbness",
        "tingling",
        "weakness",
        "hand_clumsiness",
        "fever",
        "wound",
        "calf_pain",
        "fall",
        "uncontrolled_pain",
        "headache_upright",
    }
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

    ``pain`` is 0..10 after exercise and ``pain_before`` 0..10 before it (None when not given:
    old logs only); ``red_flags`` holds warning-sign codes such as those in SAME_DAY_FLAGS and
    EMERGENCY_FLAGS.
    """

    minutes: int
    pain: int | None = None
    pain_lasted_hours: float = 0.0
    sharp_pain: bool = False
    red_flags: frozenset[str] = field(default_factory=frozenset)
    pain_before: int | None = None

    def __post_init__(self) -> None:
        if _check_int("minutes", self.minutes) < 0:
            raise ValueError(f"minutes must be 0 or more (got {self.minutes})")
        if self.pain is not None:
            _check_range("pain", self.pain, 0, PAIN_MAX)
        if self.pain_before is not None:
            _check_range("pain_before", self.pain_before, 0, PAIN_MAX)
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


# --- Pain response ----------------------------------------------------------------------------


class PainResponse(StrEnum):
    RED = "red"  # going too fast: next week is reduced
    AMBER = "amber"  # in between: no reduction, but no larger step either
    GREEN = "green"  # comfortable
    UNKNOWN = "unknown"  # pain after exercise not given (old logs only); never counts as green


def pain_response(session: SessionSummary) -> PainResponse:
    """Class one session's pain; the first rule that applies decides.

    Red: sharp pain, pain >= 7, raised pain lasting more than 2 hours, or a rise of 4 or more
    over the pain before exercise. Unknown: no pain after exercise. Green: pain <= 2, or pain
    <= 5 that rose by at most 1 point. Amber: anything else. Red is checked first so that sharp
    or lasting pain counts even when the pain score was left blank.
    """
    pain, before = session.pain, session.pain_before
    rise = None if pain is None or before is None else pain - before
    if (
        session.sharp_pain
        or (pain is not None and pain >= PAIN_CAUTION)
        or session.pain_lasted_hours > PAIN_LASTED_HOURS_MAX
        or (rise is not None and rise >= PAIN_RISE_RED)
    ):
        return PainResponse.RED
    if pain is None:
        return PainResponse.UNKNOWN
    if pain <= PAIN_LOW_MAX or (
        rise is not None and rise <= PAIN_RISE_GREEN_MAX and pain <= PAIN_MODERATE_MAX
    ):
        return PainResponse.GREEN
    return PainResponse.AMBER


def is_severe(session: SessionSummary) -> bool:
    """Severe pain reaches a clinician the same day: pain >= 9, or >= 7 for more than 24 hours."""
    pain = session.pain
    if pain is None:
        return False
    return pain >= SEVERE_PAIN or (
        pain >= PAIN_CAUTION and session.pain_lasted_hours > SEVERE_PAIN_HOURS
    )


# --- Outputs ----------------------------------------------------------------------------------


class Decision(StrEnum):
    START = "start"
    PROGRESS = "progress"
    HOLD = "hold"
    REDUCE = "reduce"
    STOP = "stop"
    MAINTAIN = "maintain"
    RETURN = "return"


class Review(StrEnum):
    """Why a prescription flags the patient for review in triage ("" when it does not)."""

    NONE = ""
    SEVERE_PAIN = "severe_pain"
    REPEATED_PAIN = "repeated_pain"
    OVERDOING = "overdoing"


class Cause(StrEnum):
    """What decided a prescription, as data: a page can say the reason in the patient's language.

    ``Prescription.cause_numbers`` holds the numbers the sentence uses, by name (all whole
    numbers); the English ``reason`` is built from the cause and those numbers alone.
    """

    NONE = ""
    START = "start"  # minutes
    RESUME = "resume"  # minutes (week 1 at a level the care team chose)
    WARNING_SIGN = "warning_sign"  # (no numbers)
    URGENT_WARNING_SIGN = "urgent_warning_sign"  # (no numbers)
    # REDUCE: minutes, prescribed, plus the numbers named
    SHARP_PAIN = "sharp_pain"
    PAIN_HIGH = "pain_high"  # pain
    PAIN_HIGH_LASTED = "pain_high_lasted"  # pain, hours (24)
    PAIN_ROSE = "pain_rose"  # rise
    PAIN_LASTED = "pain_lasted"  # hours (2)
    NO_SESSIONS = "no_sessions"  # RETURN: minutes
    OVERDOING_SESSION = "overdoing_session"  # HOLD: session_minutes, prescribed, minutes
    OVERDOING_WEEK = "overdoing_week"  # HOLD: total, planned_total, minutes
    TOO_FEW = "too_few"  # HOLD: completed, planned, needed, minutes
    AT_TARGET = "at_target"  # MAINTAIN: minutes
    TARGET_LOWERED = "target_lowered"  # MAINTAIN: minutes
    # PROGRESS, named by the week's pain: completed, planned, step, max_step, minutes, target,
    # blank (sessions without a pain score)
    COMFORTABLE = "comfortable"
    NOT_ALWAYS_COMFORTABLE = "not_always_comfortable"
    PAIN_NOT_GIVEN = "pain_not_given"


@dataclass(frozen=True)
class Prescription:
    """What the patient should do in ``week``, and one sentence telling them why."""

    week: int
    minutes: int
    sessions_per_week: int
    decision: Decision
    reason: str
    review: Review = Review.NONE
    cause: Cause = Cause.NONE
    cause_numbers: tuple[tuple[str, int], ...] = ()


# --- Reasons ----------------------------------------------------------------------------------

_SETBACKS = "doing too much too soon is a common cause of setbacks"


def _reduce_outcome(n: dict[str, int], severe: bool) -> str:
    minutes, prescribed = _plural(n["minutes"], "minute"), n["prescribed"]
    if n["minutes"] < prescribed:
        outcome = f"next week eases back to {minutes}"
    elif n["minutes"] == prescribed:
        outcome = f"next week stays at {minutes}, the gentlest level"
    else:
        # Only reachable if a week was prescribed below the floor; don't go lower still.
        outcome = f"next week is set to {minutes}, the gentlest level"
    if severe:
        outcome += (", and" if "," in outcome else " and") + " your care team has been told"
    return outcome


def _progress_sentence(cause: Cause, n: dict[str, int]) -> str:
    completed, planned = n["completed"], n["planned"]
    if completed > planned:
        done = f"You completed {_plural(completed, 'session')}, more than the {planned} planned,"
    else:
        done = f"You completed {completed} of {_plural(planned, 'session')}"
    # Name the pain when it held the step down; when only the count did, the count says it all.
    if cause is Cause.NOT_ALWAYS_COMFORTABLE:
        done += " with pain that was not always comfortable"
    elif cause is Cause.PAIN_NOT_GIVEN:
        done += f" but gave no pain score for {_plural(n['blank'], 'session')}"
    elif completed >= planned:
        done += " with comfortable pain"
    step, minutes = n["step"], n["minutes"]
    if minutes >= n["target"]:
        outcome = f"next week reaches your target of {_plural(minutes, 'minute')}"
    elif step < n["max_step"]:
        outcome = f"next week adds {_plural(step, 'minute')} rather than {n['max_step']}"
    else:
        outcome = f"next week adds {_plural(step, 'minute')}, to {minutes} minutes per session"
    return f"{done}, so {outcome}."


def _sentence(cause: Cause, numbers: tuple[tuple[str, int], ...], review: Review) -> str:
    """The English reason: one sentence built from the cause and its numbers only."""
    n = dict(numbers)
    minutes = _plural(n.get("minutes", 0), "minute")
    paused = "so your plan is paused until your care team reviews it"
    match cause:
        case Cause.START:
            return f"Your first week starts gently at {minutes} per session."
        case Cause.RESUME:
            return f"Your plan starts again at {minutes} per session, the level your care team set."
        case Cause.WARNING_SIGN:
            return f"You reported a warning sign, {paused}."
        case Cause.URGENT_WARNING_SIGN:
            return f"You reported an urgent warning sign, {paused}."
        case Cause.SHARP_PAIN | Cause.PAIN_HIGH | Cause.PAIN_HIGH_LASTED | Cause.PAIN_ROSE:
            what = {
                Cause.SHARP_PAIN: "You reported sharp pain during or after exercise",
                Cause.PAIN_HIGH: f"Your pain reached {n.get('pain')} out of {PAIN_MAX} after "
                "exercise",
                Cause.PAIN_HIGH_LASTED: f"Your pain reached {n.get('pain')} out of {PAIN_MAX} "
                f"and lasted more than {n.get('hours')} hours",
                Cause.PAIN_ROSE: f"Your pain rose by {n.get('rise')} points from before exercise",
            }[cause]
            return f"{what}, so {_reduce_outcome(n, review is Review.SEVERE_PAIN)}."
        case Cause.PAIN_LASTED:
            what = f"Your pain lasted more than {_plural(n['hours'], 'hour')} after exercise"
            return f"{what}, so {_reduce_outcome(n, review is Review.SEVERE_PAIN)}."
        case Cause.NO_SESSIONS:
            return (
                "You logged no sessions for the last two weeks, so next week restarts gently "
                f"at {minutes}."
            )
        case Cause.OVERDOING_SESSION:
            return (
                f"You did more than planned, with one session of {n['session_minutes']} "
                f"minutes against the {n['prescribed']} prescribed, so next week stays at "
                f"{minutes}: {_SETBACKS}."
            )
        case Cause.OVERDOING_WEEK:
            return (
                f"You did more than planned, {n['total']} minutes in all against the "
                f"{n['planned_total']} prescribed for the week, so next week stays at "
                f"{minutes}: {_SETBACKS}."
            )
        case Cause.TOO_FEW:
            needed = n["needed"]
            verb = "is" if needed == 1 else "are"
            return (
                f"You completed {n['completed']} of {_plural(n['planned'], 'session')} and "
                f"{needed} {verb} needed to move up, so next week stays at {minutes}."
            )
        case Cause.AT_TARGET:
            return f"You have reached your target of {minutes}, so next week stays there."
        case Cause.TARGET_LOWERED:
            return f"Your target is now {minutes}, so next week is set to match it."
        case Cause.COMFORTABLE | Cause.NOT_ALWAYS_COMFORTABLE | Cause.PAIN_NOT_GIVEN:
            return _progress_sentence(cause, n)
    raise ValueError(f"cause has no sentence (got {cause!r})")  # pragma: no cover


def _prescribe(
    rules: Rules,
    week: int,
    decision: Decision,
    cause: Cause,
    review: Review = Review.NONE,
    **numbers: int,
) -> Prescription:
    """Build a prescription; ``numbers`` name the figures its sentence uses, ``minutes`` first."""
    pairs = tuple(numbers.items())
    stop = decision is Decision.STOP
    return Prescription(
        week=week,
        minutes=numbers.get("minutes", 0),
        sessions_per_week=0 if stop else rules.sessions_per_week,
        decision=decision,
        reason=_sentence(cause, pairs, review),
        review=review,
        cause=cause,
        cause_numbers=pairs,
    )


# --- The engine -------------------------------------------------------------------------------


def _has_red(week: WeekLog) -> bool:
    return any(pain_response(s) is PainResponse.RED for s in week.sessions)


def _reduce(rules: Rules, week: int, w: WeekLog, v: WeekLog | None) -> Prescription:
    """Row 2: a red session eases the next week back by a cut that grows with the minutes.

    cut = max(min_increment, 5 × ceil(prescribed / 25)), never below FLOOR_MINUTES. The cause
    named is the one a clinician would want heard first: severe pain, then sharp pain, high
    pain, a rise over the pain before exercise, and pain that lasted.
    """
    prescribed, sessions = w.prescribed_minutes, w.sessions
    cut = max(rules.min_increment, 5 * -(-prescribed // 25))
    minutes = max(FLOOR_MINUTES, prescribed - cut)

    severe = [s.pain for s in sessions if s.pain is not None and is_severe(s)]
    pains = [s.pain for s in sessions if s.pain is not None]
    rises = [
        s.pain - s.pain_before for s in sessions if s.pain is not None and s.pain_before is not None
    ]
    numbers: dict[str, int]
    if severe and max(severe) >= SEVERE_PAIN:
        cause, numbers = Cause.PAIN_HIGH, {"pain": max(severe)}
    elif severe:
        cause, numbers = Cause.PAIN_HIGH_LASTED, {"pain": max(severe), "hours": SEVERE_PAIN_HOURS}
    elif any(s.sharp_pain for s in sessions):
        cause, numbers = Cause.SHARP_PAIN, {}
    elif pains and max(pains) >= PAIN_CAUTION:
        cause, numbers = Cause.PAIN_HIGH, {"pain": max(pains)}
    elif rises and max(rises) >= PAIN_RISE_RED:
        cause, numbers = Cause.PAIN_ROSE, {"rise": max(rises)}
    else:
        cause, numbers = Cause.PAIN_LASTED, {"hours": PAIN_LASTED_HOURS_MAX}

    if severe:
        review = Review.SEVERE_PAIN
    elif prescribed <= FLOOR_MINUTES or (v is not None and _has_red(v)):
        # Already at the floor, or a second reduced week in a row: easing back is not working.
        review = Review.REPEATED_PAIN
    else:
        review = Review.NONE
    return _prescribe(
        rules,
        week,
        Decision.REDUCE,
        cause,
        review,
        minutes=minutes,
        prescribed=prescribed,
        **numbers,
    )


def _progress(rules: Rules, week: int, w: WeekLog, completed: int) -> Prescription:
    """Row 7: add a step, capped at the target.

    The larger step (max_increment) is earned only by a full week (completed >= planned) in
    which every session was green; a blank pain score is never green. Otherwise min_increment.
    """
    responses = [pain_response(s) for s in w.sessions]
    blank = responses.count(PainResponse.UNKNOWN)
    if PainResponse.AMBER in responses:
        cause = Cause.NOT_ALWAYS_COMFORTABLE
    elif blank:
        cause = Cause.PAIN_NOT_GIVEN
    else:
        cause = Cause.COMFORTABLE
    full = completed >= rules.sessions_per_week and cause is Cause.COMFORTABLE
    step = rules.max_increment if full else rules.min_increment
    minutes = min(rules.target_minutes, w.prescribed_minutes + step)
    return _prescribe(
        rules,
        week,
        Decision.PROGRESS,
        cause,
        minutes=minutes,
        completed=completed,
        planned=rules.sessions_per_week,
        step=minutes - w.prescribed_minutes,
        max_step=rules.max_increment,
        target=rules.target_minutes,
        blank=blank,
    )


def next_week(
    rules: Rules, history: Sequence[WeekLog], *, start_at: int | None = None
) -> Prescription:
    """Prescribe week ``len(history) + 1`` from the last closed week ``w``.

    ``history[i]`` is week ``i + 1``. With no history week 1 is START at ``start_at`` (a plan
    resumed at a level: 10 <= start_at <= target_minutes) or at ``start_minutes``. Otherwise the
    first row that applies decides (``v`` is the week before ``w``, when there is one):

    1. a red flag in w                 -> STOP at 0 minutes (a clinician must resume the plan)
    2. a red session in w              -> REDUCE by a cut, not below 10 minutes
    3. no session in w nor in v        -> RETURN at about half the minutes, from start_minutes
    4. a session over 2 × prescribed,
       or the week over 1.5 × planned  -> HOLD ("overdoing", flagged for review)
    5. too few completed               -> HOLD at the same minutes
    6. already at/over target          -> MAINTAIN at target
    7. otherwise                       -> PROGRESS by a step, capped at target

    Safety comes first (1, 2), then a break (3) and too much (4), then whether the patient
    managed the week (5), then growth. Only w (and v for rows 2 and 3) are read: earlier weeks
    already shaped w's prescription.
    """
    if start_at is not None:
        _check_range("start_at", start_at, FLOOR_MINUTES, rules.target_minutes)
    week = len(history) + 1
    if not history:
        cause = Cause.START if start_at is None else Cause.RESUME
        minutes = rules.start_minutes if start_at is None else start_at
        return _prescribe(rules, week, Decision.START, cause, minutes=minutes)
    w = history[-1]
    v = history[-2] if len(history) >= 2 else None
    prescribed, sessions, planned = w.prescribed_minutes, w.sessions, rules.sessions_per_week

    flags = frozenset().union(*(s.red_flags for s in sessions))
    if flags:
        urgent = red_flag_tier(flags) == "emergency"
        cause = Cause.URGENT_WARNING_SIGN if urgent else Cause.WARNING_SIGN
        return _prescribe(rules, week, Decision.STOP, cause)

    if _has_red(w):
        return _reduce(rules, week, w, v)

    if v is not None and not sessions and not v.sessions:
        # Two empty weeks: restart at about half, rounded down to 5, never above last week.
        minutes = min(prescribed, max(rules.start_minutes, 5 * (prescribed // 10)))
        return _prescribe(rules, week, Decision.RETURN, Cause.NO_SESSIONS, minutes=minutes)

    hold = Decision.HOLD
    longest = max((s.minutes for s in sessions), default=0)
    if longest > 2 * prescribed:
        return _prescribe(
            rules,
            week,
            hold,
            Cause.OVERDOING_SESSION,
            Review.OVERDOING,
            minutes=prescribed,
            session_minutes=longest,
            prescribed=prescribed,
        )
    total = sum(s.minutes for s in sessions)
    # The week's minutes over 1.5 × prescribed × sessions_per_week, in integers.
    if 2 * total > 3 * prescribed * planned:
        return _prescribe(
            rules,
            week,
            hold,
            Cause.OVERDOING_WEEK,
            Review.OVERDOING,
            minutes=prescribed,
            total=total,
            planned_total=prescribed * planned,
        )

    completed = sum(is_completed(s.minutes, prescribed) for s in sessions)
    needed = completed_needed(planned)
    if completed < needed:
        numbers = {"completed": completed, "planned": planned, "needed": needed}
        return _prescribe(rules, week, hold, Cause.TOO_FEW, minutes=prescribed, **numbers)

    if prescribed >= rules.target_minutes:
        # Above the target only when the clinician lowered it below what the patient was doing.
        cause = Cause.AT_TARGET if prescribed == rules.target_minutes else Cause.TARGET_LOWERED
        return _prescribe(rules, week, Decision.MAINTAIN, cause, minutes=rules.target_minutes)

    return _progress(rules, week, w, completed)


def plan_weeks(
    rules: Rules, history: Sequence[WeekLog], *, start_at: int | None = None
) -> list[Prescription]:
    """Every prescription from week 1 to week ``len(history) + 1``.

    Stops at the first STOP: nothing follows a paused plan until a clinician resumes it,
    and a resume starts a new history.
    """
    weeks = list(history)
    plan = [next_week(rules, [], start_at=start_at)]
    for closed in range(1, len(weeks) + 1):
        prescription = next_week(rules, weeks[:closed], start_at=start_at)
        plan.append(prescription)
        if prescription.decision is Decision.STOP:
            break
    return plan
