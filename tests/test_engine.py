"""Tests for the pure progression engine (plans/engine.py), version 2: no database, no Django."""

from __future__ import annotations

import math
import random
import re
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plans import engine
from plans.engine import (
    EMERGENCY_FLAGS,
    SAME_DAY_FLAGS,
    Cause,
    Decision,
    PainResponse,
    Prescription,
    Review,
    Rules,
    SessionSummary,
    WeekLog,
    completed_minimum,
    completed_needed,
    is_completed,
    is_severe,
    next_week,
    pain_response,
    plan_weeks,
    red_flag_tier,
)

# Default plan used by most table rows: start 15, steps 5..10, target 45, 5 sessions a week.
R = Rules(15, 5, 10, 45, 5)
R1 = Rules(15, 5, 10, 45, 1)  # one session a week: makes single-session boundaries easy
R3 = Rules(10, 7, 9, 60, 3)  # unusual increments so the step size is unambiguous
R_BIG = Rules(15, 5, 10, 120, 5)  # room above 45 for the cut and RETURN tables


def sess(minutes: int, pain: int | None = None, **kwargs: object) -> SessionSummary:
    return SessionSummary(minutes, pain, **kwargs)  # type: ignore[arg-type]


def wk(prescribed: int, *sessions: SessionSummary) -> WeekLog:
    return WeekLog(prescribed, sessions)


def full(prescribed: int, count: int, pain: int | None = 0) -> list[SessionSummary]:
    """`count` completed sessions; green (pain 0) unless told otherwise."""
    return [sess(prescribed, pain) for _ in range(count)]


P, H, RD, ST, M, RT, S0 = (
    Decision.PROGRESS,
    Decision.HOLD,
    Decision.REDUCE,
    Decision.STOP,
    Decision.MAINTAIN,
    Decision.RETURN,
    Decision.START,
)
NO, SEV, REP, OVER = Review.NONE, Review.SEVERE_PAIN, Review.REPEATED_PAIN, Review.OVERDOING

# (rules, history, expected (week, minutes, sessions_per_week, decision, review))
CASES = {
    # --- week 1 and numbering
    "start": (R, [], (1, 15, 5, S0, NO)),
    "start-uses-start-minutes": (R3, [], (1, 10, 3, S0, NO)),
    "week-numbering": (
        R,
        [wk(15, *full(15, 5)), wk(25, *full(25, 5)), wk(35, *full(35, 5))],
        (4, 45, 5, P, NO),
    ),
    "only-w-decides-after-a-reduce": (
        R,
        [wk(15, sess(15, 8, sharp_pain=True)), wk(15, *full(15, 5))],
        (3, 25, 5, P, NO),
    ),
    # --- row 1: a warning sign stops, whatever else the week holds
    "red-flag-stops": (
        R,
        [wk(20, *full(20, 5), sess(20, 0, red_flags={"fever"}))],
        (2, 0, 0, ST, NO),
    ),
    "emergency-flag-stops": (R, [wk(20, sess(20, 0, red_flags={"fainting"}))], (2, 0, 0, ST, NO)),
    "red-flag-beats-red-pain": (
        R,
        [wk(20, sess(20, 9, sharp_pain=True, red_flags={"fall"}))],
        (2, 0, 0, ST, NO),
    ),
    "red-flag-beats-overdoing": (R, [wk(20, sess(90, 0, red_flags={"wound"}))], (2, 0, 0, ST, NO)),
    "red-flag-beats-too-few": (R, [wk(20, sess(0, red_flags={"numbness"}))], (2, 0, 0, ST, NO)),
    "red-flag-beats-target": (
        R,
        [wk(45, *full(45, 5), sess(45, 0, red_flags={"weakness"}))],
        (2, 0, 0, ST, NO),
    ),
    "red-flag-beats-return": (
        R,
        [wk(20), wk(20, sess(0, red_flags={"calf_pain"}))],
        (3, 0, 0, ST, NO),
    ),
    "red-flag-week-3": (
        R,
        [wk(15, *full(15, 5)), wk(25, sess(25, 0, red_flags={"headache_upright"}))],
        (3, 0, 0, ST, NO),
    ),
    # --- row 2: a red session reduces; what makes a session red
    "pain-6-is-not-red": (R, [wk(20, *full(20, 4), sess(20, 6))], (2, 25, 5, P, NO)),
    "pain-7-reduces": (R, [wk(20, *full(20, 4), sess(20, 7))], (2, 15, 5, RD, NO)),
    "pain-10-reduces-and-is-severe": (R, [wk(20, sess(20, 10))], (2, 15, 5, RD, SEV)),
    "lasted-2.0h-is-not-red": (
        R,
        [wk(20, *full(20, 4), sess(20, 0, pain_lasted_hours=2.0))],
        (2, 30, 5, P, NO),
    ),
    "lasted-2.5h-reduces": (
        R,
        [wk(20, *full(20, 4), sess(20, 0, pain_lasted_hours=2.5))],
        (2, 15, 5, RD, NO),
    ),
    "lasted-2.01h-reduces": (R, [wk(20, sess(20, 0, pain_lasted_hours=2.01))], (2, 15, 5, RD, NO)),
    "sharp-pain-reduces": (
        R,
        [wk(30, *full(30, 4), sess(30, 0, sharp_pain=True))],
        (2, 20, 5, RD, NO),
    ),
    "sharp-pain-with-blank-score-reduces": (
        R,
        [wk(20, sess(20, None, sharp_pain=True))],
        (2, 15, 5, RD, NO),
    ),
    "rise-exactly-4-reduces": (
        R,
        [wk(20, *full(20, 4), sess(20, 5, pain_before=1))],
        (2, 15, 5, RD, NO),
    ),
    "rise-3-does-not-reduce": (
        R,
        [wk(20, *full(20, 4), sess(20, 5, pain_before=2))],
        (2, 25, 5, P, NO),
    ),
    "rise-from-0-to-4-reduces": (R, [wk(20, sess(20, 4, pain_before=0))], (2, 15, 5, RD, NO)),
    "fall-in-pain-is-not-red": (
        R,
        [wk(20, *full(20, 4), sess(20, 6, pain_before=9))],
        (2, 25, 5, P, NO),
    ),
    "red-beats-too-few": (R, [wk(20, sess(20, sharp_pain=True))], (2, 15, 5, RD, NO)),
    "red-beats-overdoing": (R, [wk(20, sess(100, 7))], (2, 15, 5, RD, NO)),
    "red-beats-maintain": (R, [wk(45, *full(45, 5), sess(45, 7))], (2, 35, 5, RD, NO)),
    "red-zero-minute-session-beats-return": (R, [wk(20), wk(20, sess(0, 8))], (3, 15, 5, RD, NO)),
    # --- row 2: the cut = max(min_increment, 5 × ceil(prescribed / 25))
    "cut-at-20": (R, [wk(20, sess(20, 7))], (2, 15, 5, RD, NO)),
    "cut-at-25": (R, [wk(25, sess(25, 7))], (2, 20, 5, RD, NO)),
    "cut-at-26": (R, [wk(26, sess(26, 7))], (2, 16, 5, RD, NO)),
    "cut-at-50": (R_BIG, [wk(50, sess(50, 7))], (2, 40, 5, RD, NO)),
    "cut-at-51": (R_BIG, [wk(51, sess(51, 7))], (2, 36, 5, RD, NO)),
    "cut-at-100": (R_BIG, [wk(100, sess(100, 7))], (2, 80, 5, RD, NO)),
    "cut-at-120": (R_BIG, [wk(120, sess(120, 7))], (2, 95, 5, RD, NO)),
    "cut-uses-min-increment-when-larger": (
        Rules(15, 10, 10, 60, 5),
        [wk(25, sess(25, 8))],
        (2, 15, 5, RD, NO),
    ),
    "cut-min-increment-ties-the-formula": (
        Rules(15, 10, 10, 60, 5),
        [wk(30, sess(30, 8))],
        (2, 20, 5, RD, NO),
    ),
    "cut-odd-min-increment": (R3, [wk(20, sess(20, 8))], (2, 13, 3, RD, NO)),
    # --- row 2: the floor of 10 minutes, and repeated pain at 10
    "floor-15-minus-5-is-10": (R, [wk(15, sess(15, 7))], (2, 10, 5, RD, NO)),
    "floor-14-is-10": (R, [wk(14, sess(14, 7))], (2, 10, 5, RD, NO)),
    "floor-11-is-10-not-repeated": (R, [wk(11, sess(11, 7))], (2, 10, 5, RD, NO)),
    "floor-at-10-stays-10-repeated": (R, [wk(10, sess(10, 8))], (2, 10, 5, RD, REP)),
    "floor-below-10-is-10-repeated": (R, [wk(5, sess(5, 8))], (2, 10, 5, RD, REP)),
    # --- row 2: severe pain (pain >= 9, or >= 7 lasting more than 24 hours) and its review
    "severe-at-9": (R, [wk(20, sess(20, 9))], (2, 15, 5, RD, SEV)),
    "pain-8-not-severe": (R, [wk(20, sess(20, 8))], (2, 15, 5, RD, NO)),
    "pain-7-lasting-24h-not-severe": (
        R,
        [wk(20, sess(20, 7, pain_lasted_hours=24))],
        (2, 15, 5, RD, NO),
    ),
    "pain-7-lasting-24.5h-severe": (
        R,
        [wk(20, sess(20, 7, pain_lasted_hours=24.5))],
        (2, 15, 5, RD, SEV),
    ),
    "pain-6-lasting-30h-not-severe": (
        R,
        [wk(20, sess(20, 6, pain_lasted_hours=30))],
        (2, 15, 5, RD, NO),
    ),
    "severe-beats-repeated-at-10": (R, [wk(10, sess(10, 9))], (2, 10, 5, RD, SEV)),
    "severe-beats-repeated-after-red-v": (
        R,
        [wk(25, sess(25, 7)), wk(20, sess(20, 9))],
        (3, 15, 5, RD, SEV),
    ),
    # --- row 2: repeated pain (v had a red session, or w.prescribed <= 10)
    "repeated-when-v-red": (R, [wk(25, sess(25, 7)), wk(20, sess(20, 7))], (3, 15, 5, RD, REP)),
    "repeated-when-v-red-by-rise": (
        R,
        [wk(25, sess(25, 5, pain_before=1)), wk(20, sess(20, sharp_pain=True))],
        (3, 15, 5, RD, REP),
    ),
    "not-repeated-when-v-amber": (
        R,
        [wk(25, sess(25, 6)), wk(20, sess(20, 7))],
        (3, 15, 5, RD, NO),
    ),
    "not-repeated-when-red-was-before-v": (
        R,
        [wk(25, sess(25, 8)), wk(20, *full(20, 5)), wk(30, sess(30, 7))],
        (4, 20, 5, RD, NO),
    ),
    # --- row 3: RETURN after two empty weeks: min(w, max(start, 5 × floor(w / 10)))
    "return-at-20": (R, [wk(20), wk(20)], (3, 15, 5, RT, NO)),
    "return-at-40": (R, [wk(40), wk(40)], (3, 20, 5, RT, NO)),
    "return-at-49-floors": (R_BIG, [wk(49), wk(49)], (3, 20, 5, RT, NO)),
    "return-at-50": (R_BIG, [wk(50), wk(50)], (3, 25, 5, RT, NO)),
    "return-at-120": (R_BIG, [wk(120), wk(120)], (3, 60, 5, RT, NO)),
    "return-never-raises-10": (R, [wk(10), wk(10)], (3, 10, 5, RT, NO)),
    "return-never-raises-12": (R, [wk(12), wk(12)], (3, 12, 5, RT, NO)),
    "return-start-10": (R3, [wk(20), wk(20)], (3, 10, 3, RT, NO)),
    "return-uses-w-not-v": (R, [wk(45), wk(30)], (3, 15, 5, RT, NO)),
    "return-needs-v": (R, [wk(20)], (2, 20, 5, H, NO)),
    "return-needs-v-empty": (R, [wk(20, sess(5)), wk(20)], (3, 20, 5, H, NO)),
    "return-needs-w-empty": (R, [wk(20), wk(20, *full(20, 5))], (3, 30, 5, P, NO)),
    "zero-minute-session-is-a-session": (R, [wk(20), wk(20, sess(0))], (3, 20, 5, H, NO)),
    "return-reads-only-w-and-v": (R, [wk(15, *full(15, 5)), wk(25), wk(25)], (4, 15, 5, RT, NO)),
    # --- row 4: overdoing (a session > 2 × prescribed, or the week > 1.5 × planned)
    "session-2x-is-fine": (R, [wk(20, sess(40, 0), *full(20, 4))], (2, 30, 5, P, NO)),
    "session-over-2x-holds": (R, [wk(20, sess(41, 0), *full(20, 4))], (2, 20, 5, H, OVER)),
    "week-1.5x-is-fine": (R1, [wk(20, sess(30, 0))], (2, 30, 1, P, NO)),
    "week-over-1.5x-holds": (R1, [wk(20, sess(31, 0))], (2, 20, 1, H, OVER)),
    "week-1.5x-odd-22-of-15-fine": (R1, [wk(15, sess(22, 0))], (2, 25, 1, P, NO)),
    "week-1.5x-odd-23-of-15-holds": (R1, [wk(15, sess(23, 0))], (2, 15, 1, H, OVER)),
    "week-total-150-of-100-fine": (R, [wk(20, *full(30, 5))], (2, 30, 5, P, NO)),
    "week-total-151-of-100-holds": (R, [wk(20, *full(30, 4), sess(31, 0))], (2, 20, 5, H, OVER)),
    "week-total-by-many-sessions": (R3, [wk(20, *full(20, 5))], (2, 20, 3, H, OVER)),
    "overdoing-beats-too-few": (R, [wk(20, sess(41, 0))], (2, 20, 5, H, OVER)),
    "overdoing-beats-maintain": (R, [wk(45, *full(70, 5))], (2, 45, 5, H, OVER)),
    "overdoing-beats-progress": (R, [wk(20, *full(20, 4), sess(50, 0))], (2, 20, 5, H, OVER)),
    # --- row 5: completed sessions < ceil(2 × sessions_per_week / 3)
    "80pct-exact-completes": (R1, [wk(20, sess(16, 0))], (2, 30, 1, P, NO)),
    "below-80pct-holds": (R1, [wk(20, sess(15, 0))], (2, 20, 1, H, NO)),
    "80pct-of-odd-prescription": (R1, [wk(13, sess(11, 0))], (2, 23, 1, P, NO)),  # 55 >= 52
    "just-under-80pct-odd": (R1, [wk(13, sess(10, 0))], (2, 13, 1, H, NO)),  # 50 < 52
    "3-of-5-holds": (R, [wk(20, *full(20, 3))], (2, 20, 5, H, NO)),
    "4-of-5-progresses-min-step": (R, [wk(20, *full(20, 4))], (2, 25, 5, P, NO)),
    "partial-sessions-dont-count": (
        R,
        [wk(20, *full(20, 3), sess(15, 0), sess(15, 0))],
        (2, 20, 5, H, NO),
    ),
    "empty-week-holds": (R, [wk(20)], (2, 20, 5, H, NO)),
    "hold-beats-maintain": (R, [wk(45, *full(45, 3))], (2, 45, 5, H, NO)),
    "hold-beats-progress": (R, [wk(30, *full(30, 3))], (2, 30, 5, H, NO)),
    "prescribed-zero-doesnt-crash": (R1, [wk(0)], (2, 0, 1, H, NO)),
    "prescribed-zero-session-completes": (R1, [wk(0, sess(0, 0))], (2, 10, 1, P, NO)),
    # --- row 6: at or over the target
    "at-target-maintains": (R, [wk(45, *full(45, 5))], (2, 45, 5, M, NO)),
    "at-target-amber-still-maintains": (R, [wk(45, *full(45, 4, pain=5))], (2, 45, 5, M, NO)),
    "above-target-maintains-at-target": (R, [wk(50, *full(50, 5))], (2, 45, 5, M, NO)),
    "target-equals-start": (Rules(15, 5, 10, 15, 2), [wk(15, *full(15, 2))], (2, 15, 2, M, NO)),
    # --- row 7: the step; only a full, all-green week earns max_increment
    "max-step-all-done-pain-2": (R, [wk(20, *full(20, 5, pain=2))], (2, 30, 5, P, NO)),
    "max-step-pain-0": (R, [wk(20, *full(20, 5, pain=0))], (2, 30, 5, P, NO)),
    "min-step-one-pain-3-amber": (R, [wk(20, *full(20, 4), sess(20, 3))], (2, 25, 5, P, NO)),
    "min-step-one-missed": (R, [wk(20, *full(20, 4))], (2, 25, 5, P, NO)),
    "min-step-one-short": (R, [wk(20, *full(20, 4), sess(15, 0))], (2, 25, 5, P, NO)),
    "min-step-short-session-amber": (R, [wk(20, *full(20, 5), sess(5, 4))], (2, 25, 5, P, NO)),
    "blank-pain-is-never-green": (R, [wk(20, *full(20, 5, pain=None))], (2, 25, 5, P, NO)),
    "one-blank-pain-holds-the-step": (R, [wk(20, *full(20, 4), sess(20))], (2, 25, 5, P, NO)),
    "before+1-pain-5-is-green": (
        R,
        [wk(20, *full(20, 4), sess(20, 5, pain_before=4))],
        (2, 30, 5, P, NO),
    ),
    "before+1-pain-6-is-amber": (
        R,
        [wk(20, *full(20, 4), sess(20, 6, pain_before=5))],
        (2, 25, 5, P, NO),
    ),
    "before+2-pain-5-is-amber": (
        R,
        [wk(20, *full(20, 4), sess(20, 5, pain_before=3))],
        (2, 25, 5, P, NO),
    ),
    "pain-3-rise-1-is-green": (
        R,
        [wk(20, *full(20, 4), sess(20, 3, pain_before=2))],
        (2, 30, 5, P, NO),
    ),
    "pain-3-no-before-is-amber": (R, [wk(20, *full(20, 4), sess(20, 3))], (2, 25, 5, P, NO)),
    "extra-sessions-count": (R3, [wk(20, *full(20, 4))], (2, 29, 3, P, NO)),
    "extra-partial-sessions-ignored": (
        R3,
        [wk(20, *full(20, 2), sess(1, 0), sess(2, 0))],
        (2, 27, 3, P, NO),
    ),
    "custom-max-step": (R3, [wk(20, *full(20, 3, pain=2))], (2, 29, 3, P, NO)),
    "custom-min-step": (R3, [wk(20, *full(20, 3, pain=4))], (2, 27, 3, P, NO)),
    "progress-capped-by-target": (R, [wk(40, *full(40, 5))], (2, 45, 5, P, NO)),
    "progress-exactly-to-target": (R, [wk(35, *full(35, 5))], (2, 45, 5, P, NO)),
    "min-step-capped-by-target": (R, [wk(42, *full(42, 4))], (2, 45, 5, P, NO)),
}


@pytest.mark.parametrize(("rules", "history", "expected"), CASES.values(), ids=CASES.keys())
def test_hand_worked_cases(
    rules: Rules, history: list[WeekLog], expected: tuple[int, int, int, Decision, Review]
) -> None:
    result = next_week(rules, history)
    got = (result.week, result.minutes, result.sessions_per_week, result.decision, result.review)
    assert got == expected


@pytest.mark.parametrize(
    ("spw", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5)]
)
def test_completed_needed(spw: int, needed: int) -> None:
    assert completed_needed(spw) == needed
    assert needed == math.ceil(2 * spw / 3)


@pytest.mark.parametrize(
    ("spw", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5)]
)
def test_completion_count_boundary_in_engine(spw: int, needed: int) -> None:
    rules = Rules(15, 5, 10, 60, spw)
    enough = next_week(rules, [wk(20, *full(20, needed), *[sess(0, 0)] * (spw - needed))])
    too_few = next_week(rules, [wk(20, *full(20, needed - 1), *[sess(0, 0)] * (spw - needed + 1))])
    assert enough.decision is Decision.PROGRESS
    assert (too_few.decision, too_few.minutes, too_few.review) == (Decision.HOLD, 20, Review.NONE)


@pytest.mark.parametrize(
    ("minutes", "prescribed", "done"),
    [(16, 20, True), (15, 20, False), (0, 0, True), (8, 10, True), (7, 10, False), (12, 15, True)],
)
def test_is_completed(minutes: int, prescribed: int, done: bool) -> None:
    assert is_completed(minutes, prescribed) is done


@pytest.mark.parametrize("prescribed", range(1, 301))
def test_completed_minimum_is_the_first_minute_that_completes(prescribed: int) -> None:
    least = completed_minimum(prescribed)
    assert is_completed(least, prescribed)
    assert not is_completed(least - 1, prescribed)


@pytest.mark.parametrize(
    ("offset", "week"), [(-1, 0), (0, 1), (6, 1), (7, 2), (13, 2), (14, 3), (365, 53)]
)
def test_week_number_counts_calendar_blocks_from_the_start(offset: int, week: int) -> None:
    start = date(2026, 11, 2)
    assert engine.week_number(start, start + timedelta(days=offset)) == week


# --- Pain response and severe pain ------------------------------------------------------------

RED, AMBER, GREEN, UNKNOWN = (
    PainResponse.RED,
    PainResponse.AMBER,
    PainResponse.GREEN,
    PainResponse.UNKNOWN,
)

# (pain, pain_before, pain_lasted_hours, sharp_pain) -> response
PAIN_TABLE = [
    # red: sharp, >= 7, lasted > 2 h, or a rise of 4 or more
    ((0, None, 0.0, True), RED),
    ((None, None, 0.0, True), RED),  # sharp pain counts even with a blank score
    ((None, None, 2.5, False), RED),  # so does lasting pain
    ((7, None, 0.0, False), RED),
    ((10, 10, 0.0, False), RED),
    ((6, None, 0.0, False), AMBER),
    ((0, None, 2.0, False), GREEN),
    ((0, None, 2.01, False), RED),
    ((0, None, 2.5, False), RED),
    ((5, 1, 0.0, False), RED),  # rise exactly 4
    ((4, 0, 0.0, False), RED),  # rise exactly 4, low pain
    ((5, 2, 0.0, False), AMBER),  # rise 3
    ((6, 3, 0.0, False), AMBER),  # rise 3, over 5
    ((6, 9, 0.0, False), AMBER),  # pain fell, but 6 is more than 5
    # unknown: no pain after exercise (and nothing red)
    ((None, None, 0.0, False), UNKNOWN),
    ((None, 3, 2.0, False), UNKNOWN),
    # green: <= 2, or <= 5 and at most 1 over the pain before
    ((0, None, 0.0, False), GREEN),
    ((2, None, 0.0, False), GREEN),
    ((2, 0, 0.0, False), GREEN),  # rise 2, but 2 is low whatever it was before
    ((3, None, 0.0, False), AMBER),
    ((3, 0, 0.0, False), AMBER),  # rise 3
    ((3, 2, 0.0, False), GREEN),
    ((3, 3, 0.0, False), GREEN),
    ((5, 4, 0.0, False), GREEN),  # pain_before + 1, pain 5
    ((5, 5, 0.0, False), GREEN),
    ((5, 8, 0.0, False), GREEN),  # pain fell
    ((5, 3, 0.0, False), AMBER),  # pain_before + 2
    ((6, 5, 0.0, False), AMBER),  # pain_before + 1, but pain 6
    ((6, 6, 0.0, False), AMBER),
]


@pytest.mark.parametrize(("values", "response"), PAIN_TABLE, ids=repr)
def test_pain_response(values: tuple[int | None, int | None, float, bool], response: str) -> None:
    pain, before, hours, sharp = values
    session = SessionSummary(
        10, pain, pain_lasted_hours=hours, sharp_pain=sharp, pain_before=before
    )
    assert pain_response(session) is response
    assert pain_response(session) == response.value  # a StrEnum compares as its text


def test_pain_response_values() -> None:
    assert [r.value for r in PainResponse] == ["red", "amber", "green", "unknown"]


# (pain, pain_lasted_hours) -> severe
SEVERE_TABLE = [
    ((None, 48.0), False),
    ((8, 0.0), False),
    ((9, 0.0), True),
    ((10, 0.0), True),
    ((7, 24.0), False),
    ((7, 24.5), True),
    ((8, 24.0), False),
    ((8, 25.0), True),
    ((6, 48.0), False),
    ((9, 24.5), True),
]


@pytest.mark.parametrize(("values", "severe"), SEVERE_TABLE, ids=repr)
def test_is_severe(values: tuple[int | None, float], severe: bool) -> None:
    pain, hours = values
    assert is_severe(SessionSummary(20, pain, pain_lasted_hours=hours)) is severe


def test_sharp_pain_alone_is_not_severe() -> None:
    assert not is_severe(SessionSummary(20, 8, sharp_pain=True))


# --- start_at ---------------------------------------------------------------------------------


@pytest.mark.parametrize("start_at", [10, 12, 30, 45])
def test_start_at_sets_week_1(start_at: int) -> None:
    first = next_week(R, [], start_at=start_at)
    assert (first.week, first.minutes, first.decision) == (1, start_at, Decision.START)
    assert plan_weeks(R, [], start_at=start_at) == [first]


def test_start_at_none_is_start_minutes() -> None:
    assert next_week(R, [], start_at=None) == next_week(R, [])
    assert next_week(R, []).minutes == R.start_minutes


def test_start_at_only_shapes_week_1() -> None:
    history = [wk(30, *full(30, 5))]
    assert next_week(R, history, start_at=30) == next_week(R, history)
    plan = plan_weeks(R, history, start_at=30)
    assert [(p.week, p.minutes, p.decision) for p in plan] == [
        (1, 30, Decision.START),
        (2, 40, Decision.PROGRESS),
    ]


@pytest.mark.parametrize("start_at", [9, 0, -10, 46, 120])
def test_start_at_out_of_bounds(start_at: int) -> None:
    message = rf"^start_at must be between 10 and 45 \(got {start_at}\)$"
    with pytest.raises(ValueError, match=message):
        next_week(R, [], start_at=start_at)
    with pytest.raises(ValueError, match=message):
        plan_weeks(R, [], start_at=start_at)
    with pytest.raises(ValueError, match=message):
        next_week(R, [wk(20, *full(20, 5))], start_at=start_at)


@pytest.mark.parametrize("start_at", [True, False, 12.0, "12"], ids=repr)
def test_start_at_must_be_a_whole_number(start_at: object) -> None:
    with pytest.raises(ValueError, match=r"^start_at must be a whole number"):
        next_week(R, [], start_at=start_at)  # type: ignore[arg-type]


def test_start_at_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        next_week(R, [], 20)  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan_weeks(R, [], 20)  # type: ignore[misc]


# --- Constants, enums and helpers -------------------------------------------------------------


def test_constants() -> None:
    assert (
        engine.START_MINUTES_MIN,
        engine.START_MINUTES_MAX,
        engine.INCREMENT_MIN,
        engine.INCREMENT_MAX,
        engine.TARGET_MINUTES_MAX,
        engine.SESSIONS_MIN,
        engine.SESSIONS_MAX,
        engine.FLOOR_MINUTES,
        engine.PAIN_MAX,
    ) == (10, 15, 5, 10, 120, 1, 7, 10, 10)
    assert (
        engine.PAIN_CAUTION,
        engine.PAIN_LASTED_HOURS_MAX,
        engine.PAIN_RISE_RED,
        engine.PAIN_LOW_MAX,
        engine.PAIN_MODERATE_MAX,
        engine.PAIN_RISE_GREEN_MAX,
        engine.SEVERE_PAIN,
        engine.SEVERE_PAIN_HOURS,
    ) == (7, 2, 4, 2, 5, 1, 9, 24)


def test_warning_sign_sets() -> None:
    assert (
        frozenset(
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
        == EMERGENCY_FLAGS
    )
    assert (
        frozenset(
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
        == SAME_DAY_FLAGS
    )
    assert not SAME_DAY_FLAGS & EMERGENCY_FLAGS


@pytest.mark.parametrize(
    ("flags", "tier"),
    [
        (set(), None),
        ((), None),
        ({"fever"}, "same_day"),
        (["calf_pain", "fall"], "same_day"),
        ({"hand_clumsiness"}, "same_day"),
        ({"uncontrolled_pain"}, "same_day"),
        ({"headache_upright"}, "same_day"),
        ({"saddle_numbness"}, "emergency"),
        ({"urinary_retention"}, "emergency"),
        ({"rapid_weakness"}, "emergency"),
        ({"chest_breathing"}, "emergency"),
        ({"fainting"}, "emergency"),
        ({"fever", "both_legs"}, "emergency"),
        ({"something_new"}, "same_day"),
    ],
)
def test_red_flag_tier(flags: object, tier: str | None) -> None:
    assert red_flag_tier(flags) == tier  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", sorted(EMERGENCY_FLAGS))
def test_every_emergency_sign_stops_with_the_urgent_sentence(flag: str) -> None:
    result = next_week(R, [wk(20, sess(20, 0, red_flags={flag}))])
    assert (result.decision, result.minutes, result.sessions_per_week) == (Decision.STOP, 0, 0)
    assert "urgent warning sign" in result.reason


@pytest.mark.parametrize("flag", sorted(SAME_DAY_FLAGS))
def test_every_same_day_sign_stops(flag: str) -> None:
    result = next_week(R, [wk(20, sess(20, 0, red_flags={flag}))])
    assert (result.decision, result.minutes, result.sessions_per_week) == (Decision.STOP, 0, 0)
    assert "a warning sign" in result.reason


def test_enum_values_compare_as_strings() -> None:
    assert [d.value for d in Decision] == [
        "start",
        "progress",
        "hold",
        "reduce",
        "stop",
        "maintain",
        "return",
    ]
    assert Decision.RETURN == "return"
    assert Decision("maintain") is Decision.MAINTAIN
    assert [r.value for r in Review] == ["", "severe_pain", "repeated_pain", "overdoing"]
    assert Review.NONE == ""
    assert not Review.NONE


# --- Rules validation -------------------------------------------------------------------------

VALID = {
    "start_minutes": 15,
    "min_increment": 5,
    "max_increment": 10,
    "target_minutes": 45,
    "sessions_per_week": 5,
}

BAD_RULES = [
    ("start_minutes", 9),
    ("start_minutes", 16),
    ("start_minutes", 20),
    ("min_increment", 4),
    ("min_increment", 11),
    ("max_increment", 4),
    ("max_increment", 11),
    ("target_minutes", 14),  # below start_minutes (15)
    ("target_minutes", 121),
    ("sessions_per_week", 0),
    ("sessions_per_week", 8),
]
NOT_INTS = [12.0, "12", None, True, False]


@pytest.mark.parametrize(("name", "value"), BAD_RULES)
def test_rules_out_of_bounds_names_field(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must .*\(got {value}\)$"):
        Rules(**{**VALID, name: value})


@pytest.mark.parametrize("value", NOT_INTS, ids=repr)
@pytest.mark.parametrize("name", list(VALID))
def test_rules_non_int_names_field(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"^{name} "):
        Rules(**{**VALID, name: value})


def test_rules_exact_message() -> None:
    expected = "start_minutes must be between 10 and 15 (got 20)"
    with pytest.raises(ValueError, match=rf"^{re.escape(expected)}$"):
        Rules(**{**VALID, "start_minutes": 20})


def test_rules_max_below_min_names_max_increment() -> None:
    with pytest.raises(ValueError, match=r"^max_increment "):
        Rules(15, 8, 6, 45, 5)


@pytest.mark.parametrize(
    "values",
    [(10, 5, 5, 10, 1), (15, 10, 10, 120, 7), (12, 5, 10, 12, 3), (10, 7, 7, 60, 4)],
)
def test_rules_bounds_are_inclusive(values: tuple[int, int, int, int, int]) -> None:
    assert Rules(*values).target_minutes == values[3]


def test_rules_frozen() -> None:
    with pytest.raises(AttributeError):
        R.start_minutes = 12  # type: ignore[misc]


# --- Input validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"minutes": -1}, "minutes"),
        ({"minutes": 12.5}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"minutes": 10, "pain": 11}, "pain"),
        ({"minutes": 10, "pain": -1}, "pain"),
        ({"minutes": 10, "pain": 3.5}, "pain"),
        ({"minutes": 10, "pain": True}, "pain"),
        ({"minutes": 10, "pain_before": 11}, "pain_before"),
        ({"minutes": 10, "pain_before": -1}, "pain_before"),
        ({"minutes": 10, "pain_before": 2.0}, "pain_before"),
        ({"minutes": 10, "pain_before": False}, "pain_before"),
        ({"minutes": 10, "pain_before": "3"}, "pain_before"),
        ({"minutes": 10, "pain_lasted_hours": -0.5}, "pain_lasted_hours"),
        ({"minutes": 10, "pain_lasted_hours": float("nan")}, "pain_lasted_hours"),
        ({"minutes": 10, "pain_lasted_hours": float("inf")}, "pain_lasted_hours"),
        ({"minutes": 10, "pain_lasted_hours": "2"}, "pain_lasted_hours"),
        ({"minutes": 10, "sharp_pain": "yes"}, "sharp_pain"),
        ({"minutes": 10, "red_flags": "fever"}, "red_flags"),
        ({"minutes": 10, "red_flags": {1}}, "red_flags"),
    ],
)
def test_session_validation(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} "):
        SessionSummary(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("flags", [{"fever"}, ("fever",), ["fever", "fever"], frozenset({"fever"})])
def test_session_red_flags_coerced_to_frozenset(flags: object) -> None:
    session = SessionSummary(10, red_flags=flags)  # type: ignore[arg-type]
    assert session.red_flags == frozenset({"fever"})
    assert isinstance(session.red_flags, frozenset)
    hash(session)  # frozen and hashable all the way down


def test_session_defaults_and_positional_order() -> None:
    session = SessionSummary(12)
    assert (session.pain, session.pain_lasted_hours, session.sharp_pain) == (None, 0.0, False)
    assert (session.red_flags, session.pain_before) == (frozenset(), None)
    assert SessionSummary(12, pain_lasted_hours=3).pain_lasted_hours == 3
    # pain_before is the last field, so version 1's positional calls mean what they meant.
    old = SessionSummary(12, 4, 1.5, True, {"fever"})
    assert (old.pain, old.pain_lasted_hours, old.sharp_pain, old.pain_before) == (
        4,
        1.5,
        True,
        None,
    )
    assert SessionSummary(12, 4, 1.5, True, (), 3).pain_before == 3
    assert SessionSummary(12, 0, pain_before=0).pain_before == 0
    assert SessionSummary(12, 10, pain_before=10).pain_before == 10


def test_weeklog_coerces_sessions_to_tuple() -> None:
    week = WeekLog(20, [sess(20), sess(10)])  # type: ignore[arg-type]
    assert week.sessions == (sess(20), sess(10))
    assert isinstance(week.sessions, tuple)
    assert WeekLog(20).sessions == ()
    hash(week)


@pytest.mark.parametrize(
    ("prescribed", "sessions", "name"),
    [
        (-1, (), "prescribed_minutes"),
        (12.0, (), "prescribed_minutes"),
        (True, (), "prescribed_minutes"),
        (20, ("x",), "sessions"),
    ],
)
def test_weeklog_validation(prescribed: object, sessions: tuple[object, ...], name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} "):
        WeekLog(prescribed, sessions)  # type: ignore[arg-type]


def test_prescription_keyword_construction_and_defaults() -> None:
    built = Prescription(
        week=2, minutes=20, sessions_per_week=5, decision=Decision.HOLD, reason="Because."
    )
    assert (built.review, built.cause, built.cause_numbers) == (Review.NONE, Cause.NONE, ())
    with pytest.raises(AttributeError):
        next_week(R, []).minutes = 99  # type: ignore[misc]
    hash(next_week(R, [wk(20, *full(20, 5))]))


# --- Reasons ----------------------------------------------------------------------------------


def assert_one_sentence(reason: str) -> None:
    assert reason
    assert reason[0].isupper()
    assert reason.endswith(".")
    # One sentence: no sentence-ending punctuation before the final full stop.
    assert not re.search(r"[.!?]", reason[:-1]), reason
    assert "normal part of recovery" not in reason


R4 = Rules(15, 5, 10, 45, 4)
SETBACKS = "doing too much too soon is a common cause of setbacks."

# (rules, history, exact reason)
EXACT_REASONS = {
    "start": (R, [], "Your first week starts gently at 15 minutes per session."),
    "stop": (
        R,
        [wk(20, sess(20, 0, red_flags={"fall"}))],
        "You reported a warning sign, so your plan is paused until your care team reviews it.",
    ),
    "stop-emergency": (
        R,
        [wk(20, sess(20, 0, red_flags={"both_legs", "fever"}))],
        "You reported an urgent warning sign, so your plan is paused until your care team "
        "reviews it.",
    ),
    "reduce-sharp": (
        R,
        [wk(20, sess(20, 1, sharp_pain=True))],
        "You reported sharp pain during or after exercise, so next week eases back to 15 minutes.",
    ),
    "reduce-pain": (
        R,
        [wk(20, sess(20, 8))],
        "Your pain reached 8 out of 10 after exercise, so next week eases back to 15 minutes.",
    ),
    "reduce-lasted": (
        R,
        [wk(20, sess(20, 3, pain_lasted_hours=2.5))],
        "Your pain lasted more than 2 hours after exercise, so next week eases back to 15 minutes.",
    ),
    "reduce-rise": (
        R,
        [wk(30, sess(30, 6, pain_before=1))],
        "Your pain rose by 5 points from before exercise, so next week eases back to 20 minutes.",
    ),
    "reduce-severe": (
        R,
        [wk(20, sess(20, 9))],
        "Your pain reached 9 out of 10 after exercise, so next week eases back to 15 minutes "
        "and your care team has been told.",
    ),
    "reduce-severe-lasted": (
        R,
        [wk(20, sess(20, 7, pain_lasted_hours=30))],
        "Your pain reached 7 out of 10 and lasted more than 24 hours, so next week eases back to "
        "15 minutes and your care team has been told.",
    ),
    "reduce-floor": (
        R,
        [wk(10, sess(10, 7))],
        "Your pain reached 7 out of 10 after exercise, so next week stays at 10 minutes, the "
        "gentlest level.",
    ),
    "reduce-floor-severe": (
        R,
        [wk(10, sess(10, 9))],
        "Your pain reached 9 out of 10 after exercise, so next week stays at 10 minutes, the "
        "gentlest level, and your care team has been told.",
    ),
    "reduce-below-floor": (
        R,
        [wk(5, sess(5, 7))],
        "Your pain reached 7 out of 10 after exercise, so next week is set to 10 minutes, the "
        "gentlest level.",
    ),
    "return": (
        R,
        [wk(20), wk(20)],
        "You logged no sessions for the last two weeks, so next week restarts gently at "
        "15 minutes.",
    ),
    "overdoing-session": (
        R,
        [wk(20, sess(45, 1))],
        "You did more than planned, with one session of 45 minutes against the 20 prescribed, "
        f"so next week stays at 20 minutes: {SETBACKS}",
    ),
    "overdoing-week": (
        R1,
        [wk(20, sess(31, 0))],
        "You did more than planned, 31 minutes in all against the 20 prescribed for the week, "
        f"so next week stays at 20 minutes: {SETBACKS}",
    ),
    "hold": (
        R,
        [wk(20, *full(20, 3))],
        "You completed 3 of 5 sessions and 4 are needed to move up, so next week stays at "
        "20 minutes.",
    ),
    "hold-singular": (
        R1,
        [wk(20, sess(5, 0))],
        "You completed 0 of 1 session and 1 is needed to move up, so next week stays at "
        "20 minutes.",
    ),
    "maintain": (
        R,
        [wk(45, *full(45, 5))],
        "You have reached your target of 45 minutes, so next week stays there.",
    ),
    "maintain-lowered": (
        R,
        [wk(50, *full(50, 5))],
        "Your target is now 45 minutes, so next week is set to match it.",
    ),
    "progress-full-step": (
        R,
        [wk(20, *full(20, 5))],
        "You completed 5 of 5 sessions with comfortable pain, so next week adds 10 minutes, to "
        "30 minutes per session.",
    ),
    "progress-held-by-sessions": (
        R4,
        [wk(20, *full(20, 3))],
        "You completed 3 of 4 sessions, so next week adds 5 minutes rather than 10.",
    ),
    "progress-held-by-pain": (
        R,
        [wk(20, *full(20, 5, pain=3))],
        "You completed 5 of 5 sessions with pain that was not always comfortable, so next week "
        "adds 5 minutes rather than 10.",
    ),
    "progress-held-by-blank-pain": (
        R,
        [wk(20, *full(20, 4), sess(20))],
        "You completed 5 of 5 sessions but gave no pain score for 1 session, so next week adds "
        "5 minutes rather than 10.",
    ),
    "progress-to-target": (
        R,
        [wk(40, *full(40, 5))],
        "You completed 5 of 5 sessions with comfortable pain, so next week reaches your target "
        "of 45 minutes.",
    ),
    "progress-extra-sessions": (
        R3,
        [wk(20, *full(20, 4))],
        "You completed 4 sessions, more than the 3 planned, with comfortable pain, so next week "
        "adds 9 minutes, to 29 minutes per session.",
    ),
    "progress-one-step-size": (
        Rules(10, 5, 5, 60, 3),
        [wk(20, *full(20, 2))],
        "You completed 2 of 3 sessions, so next week adds 5 minutes, to 25 minutes per session.",
    ),
}


@pytest.mark.parametrize(
    ("rules", "history", "reason"), EXACT_REASONS.values(), ids=EXACT_REASONS.keys()
)
def test_reason_exact(rules: Rules, history: list[WeekLog], reason: str) -> None:
    result = next_week(rules, history)
    assert result.reason == reason
    assert_one_sentence(result.reason)


def test_reason_resume_at_a_level() -> None:
    assert (
        next_week(R, [], start_at=30).reason
        == "Your plan starts again at 30 minutes per session, the level your care team set."
    )


def test_reduce_names_the_most_pressing_cause() -> None:
    # Severe pain beats sharp pain; sharp beats high; high beats a rise; a rise beats lasting.
    def cause(*sessions: SessionSummary) -> Cause:
        return next_week(R, [wk(20, *sessions)]).cause

    assert cause(sess(20, 1, sharp_pain=True), sess(20, 9)) is Cause.PAIN_HIGH
    assert cause(sess(20, 8, sharp_pain=True)) is Cause.SHARP_PAIN
    assert cause(sess(20, 5, pain_before=0), sess(20, 7)) is Cause.PAIN_HIGH
    assert cause(sess(20, 1, pain_lasted_hours=3), sess(20, 5, pain_before=1)) is Cause.PAIN_ROSE
    assert cause(sess(20, 1, pain_lasted_hours=3)) is Cause.PAIN_LASTED


def test_reason_names_the_worst_numbers() -> None:
    result = next_week(R, [wk(30, sess(30, 7), sess(30, 8), sess(30, 7))])
    assert "8 out of 10" in result.reason
    assert dict(result.cause_numbers) == {"minutes": 20, "prescribed": 30, "pain": 8}
    rise = next_week(R, [wk(30, sess(30, 5, pain_before=1), sess(30, 6, pain_before=0))])
    assert dict(rise.cause_numbers)["rise"] == 6


@pytest.mark.parametrize(
    ("rules", "history", "cause", "numbers"),
    [
        (R, [], Cause.START, {"minutes": 15}),
        (R, [wk(20, sess(20, 0, red_flags={"fever"}))], Cause.WARNING_SIGN, {}),
        (R, [wk(20), wk(20)], Cause.NO_SESSIONS, {"minutes": 15}),
        (
            R,
            [wk(20, *full(20, 3))],
            Cause.TOO_FEW,
            {"minutes": 20, "completed": 3, "planned": 5, "needed": 4},
        ),
        (
            R,
            [wk(20, *full(20, 4), sess(20))],
            Cause.PAIN_NOT_GIVEN,
            {
                "minutes": 25,
                "completed": 5,
                "planned": 5,
                "step": 5,
                "max_step": 10,
                "target": 45,
                "blank": 1,
            },
        ),
        (
            R,
            [wk(20, sess(45, 1))],
            Cause.OVERDOING_SESSION,
            {"minutes": 20, "session_minutes": 45, "prescribed": 20},
        ),
    ],
)
def test_cause_as_data(
    rules: Rules, history: list[WeekLog], cause: Cause, numbers: dict[str, int]
) -> None:
    result = next_week(rules, history)
    assert result.cause is cause
    assert dict(result.cause_numbers) == numbers


# --- plan_weeks -------------------------------------------------------------------------------


def test_plan_weeks_empty_history() -> None:
    assert plan_weeks(R, []) == [next_week(R, [])]


def test_plan_weeks_full_run() -> None:
    history = [
        wk(15, *full(15, 5)),
        wk(25, *full(25, 3)),
        wk(25, sess(25, 7)),
        wk(20, *full(20, 4)),
        wk(25),
        wk(25),
        wk(15, *full(15, 5, pain=None)),
    ]
    plan = plan_weeks(R, history)
    assert [(p.week, p.minutes, p.decision) for p in plan] == [
        (1, 15, Decision.START),
        (2, 25, Decision.PROGRESS),
        (3, 25, Decision.HOLD),
        (4, 20, Decision.REDUCE),
        (5, 25, Decision.PROGRESS),
        (6, 25, Decision.HOLD),
        (7, 15, Decision.RETURN),
        (8, 20, Decision.PROGRESS),
    ]


def test_plan_weeks_stops_at_first_stop() -> None:
    history = [
        wk(15, *full(15, 5)),
        wk(25, sess(25, 0, red_flags={"tingling"})),
        wk(25, *full(25, 5)),
        wk(35, sess(35, 0, red_flags={"fever"})),
    ]
    plan = plan_weeks(R, history)
    assert [(p.week, p.minutes, p.sessions_per_week, p.decision) for p in plan] == [
        (1, 15, 5, Decision.START),
        (2, 25, 5, Decision.PROGRESS),
        (3, 0, 0, Decision.STOP),
    ]


def test_next_week_accepts_tuple_history() -> None:
    history = (wk(15, *full(15, 5)), wk(25))
    assert next_week(R, history) == next_week(R, list(history))
    assert plan_weeks(R, history) == plan_weeks(R, list(history))


# --- Properties -------------------------------------------------------------------------------

ALL_FLAGS = sorted(SAME_DAY_FLAGS | EMERGENCY_FLAGS)
PAIN = st.one_of(st.none(), st.integers(0, 3), st.integers(0, 10))


@st.composite
def rules_st(draw: st.DrawFn) -> Rules:
    start = draw(st.integers(engine.START_MINUTES_MIN, engine.START_MINUTES_MAX))
    low = draw(st.integers(engine.INCREMENT_MIN, engine.INCREMENT_MAX))
    high = draw(st.integers(low, engine.INCREMENT_MAX))
    target = draw(st.integers(start, engine.TARGET_MINUTES_MAX))
    spw = draw(st.integers(engine.SESSIONS_MIN, engine.SESSIONS_MAX))
    return Rules(start, low, high, target, spw)


def sessions_st(prescribed: int, flags: bool = True) -> st.SearchStrategy[SessionSummary]:
    no_flags = st.just(frozenset())
    return st.builds(
        SessionSummary,
        minutes=st.one_of(
            st.just(prescribed), st.integers(0, prescribed + 20), st.integers(0, 3 * prescribed)
        ),
        pain=PAIN,
        pain_lasted_hours=st.one_of(
            st.just(0.0),
            st.sampled_from([2.0, 2.01, 24.0, 24.5]),
            st.floats(0, 30, allow_nan=False),
        ),
        sharp_pain=st.sampled_from([False, False, False, False, True]),
        red_flags=(
            st.one_of(
                no_flags, no_flags, no_flags, st.frozensets(st.sampled_from(ALL_FLAGS), max_size=2)
            )
            if flags
            else no_flags
        ),
        pain_before=PAIN,
    )


@st.composite
def week_st(draw: st.DrawFn, rules: Rules, flags: bool = True) -> WeekLog:
    # Prescriptions the engine itself could produce: between the floor and the target.
    prescribed = draw(st.integers(engine.FLOOR_MINUTES, rules.target_minutes))
    count = draw(st.sampled_from([0, None, None, None]))  # empty weeks often enough for RETURN
    size = rules.sessions_per_week + 2 if count is None else 0
    sessions = draw(st.lists(sessions_st(prescribed, flags), max_size=size))
    return WeekLog(prescribed, tuple(sessions))


@st.composite
def case_st(draw: st.DrawFn, min_weeks: int = 0, flags: bool = True) -> tuple[Rules, list[WeekLog]]:
    rules = draw(rules_st())
    history = draw(st.lists(week_st(rules, flags), min_size=min_weeks, max_size=6))
    return rules, history


PROPS = settings(max_examples=300, deadline=None)


@PROPS
@given(case_st())
def test_prop_minutes_within_floor_and_target(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    result = next_week(rules, history)
    assert result.week == len(history) + 1
    if result.decision is Decision.STOP:
        assert (result.minutes, result.sessions_per_week) == (0, 0)
    else:
        # Only a STOP gives 0 minutes.
        assert engine.FLOOR_MINUTES <= result.minutes <= rules.target_minutes
        assert result.sessions_per_week == rules.sessions_per_week
    assert_one_sentence(result.reason)


@PROPS
@given(case_st(min_weeks=1), st.data())
def test_prop_red_flag_in_last_week_stops(
    case: tuple[Rules, list[WeekLog]], data: st.DataObject
) -> None:
    rules, history = case[0], list(case[1])
    last = history[-1]
    flag = data.draw(st.sampled_from(ALL_FLAGS))
    sessions = list(last.sessions) or [SessionSummary(0)]
    index = data.draw(st.integers(0, len(sessions) - 1))
    old = sessions[index]
    sessions[index] = SessionSummary(
        old.minutes,
        old.pain,
        old.pain_lasted_hours,
        old.sharp_pain,
        old.red_flags | {flag},
        old.pain_before,
    )
    history[-1] = WeekLog(last.prescribed_minutes, tuple(sessions))
    result = next_week(rules, history)
    assert result.decision is Decision.STOP
    assert (result.minutes, result.sessions_per_week, result.review) == (0, 0, Review.NONE)


@PROPS
@given(case_st(min_weeks=1))
def test_prop_decision_specific_bounds(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    w = history[-1]
    prescribed = w.prescribed_minutes
    has_red = any(pain_response(s) is PainResponse.RED for s in w.sessions)
    has_flag = any(s.red_flags for s in w.sessions)
    result = next_week(rules, history)
    # A week with no red session never reduces; a red session without a flag always does.
    assert (result.decision is Decision.REDUCE) == (has_red and not has_flag)
    assert (result.decision is Decision.STOP) == has_flag
    if result.decision is Decision.REDUCE:
        cut = max(rules.min_increment, 5 * math.ceil(prescribed / 25))
        assert result.minutes == max(engine.FLOOR_MINUTES, prescribed - cut)
        assert result.minutes <= max(prescribed, engine.FLOOR_MINUTES)
    elif result.decision is Decision.RETURN:
        assert len(history) >= 2 and not w.sessions and not history[-2].sessions
        assert result.minutes <= prescribed  # RETURN never raises minutes
    elif result.decision is Decision.PROGRESS:
        added = result.minutes - prescribed
        assert result.minutes == rules.target_minutes or added in (
            rules.min_increment,
            rules.max_increment,
        )
        assert 0 < added <= rules.max_increment
    elif result.decision is Decision.HOLD:
        assert result.minutes == prescribed
    elif result.decision is Decision.MAINTAIN:
        assert result.minutes == rules.target_minutes == prescribed


@PROPS
@given(case_st(min_weeks=1))
def test_prop_review_matches_the_row(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    w = history[-1]
    result = next_week(rules, history)
    if result.review is Review.SEVERE_PAIN:
        assert result.decision is Decision.REDUCE
        assert any(is_severe(s) for s in w.sessions)
    elif result.review is Review.REPEATED_PAIN:
        assert result.decision is Decision.REDUCE
        assert not any(is_severe(s) for s in w.sessions)
    elif result.review is Review.OVERDOING:
        assert result.decision is Decision.HOLD
        assert sum(s.minutes for s in w.sessions) > w.prescribed_minutes
    if result.decision is Decision.REDUCE and any(is_severe(s) for s in w.sessions):
        assert result.review is Review.SEVERE_PAIN


@PROPS
@given(case_st(min_weeks=1), st.randoms(use_true_random=False))
def test_prop_session_order_does_not_matter(
    case: tuple[Rules, list[WeekLog]], rnd: random.Random
) -> None:
    rules, history = case

    def shuffled(week: WeekLog) -> WeekLog:
        sessions = list(week.sessions)
        rnd.shuffle(sessions)
        return WeekLog(week.prescribed_minutes, tuple(sessions))

    permuted = [*history[:-2], *(shuffled(week) for week in history[-2:])]
    assert next_week(rules, permuted) == next_week(rules, history)


@PROPS
@given(case_st(), st.data())
def test_prop_plan_weeks_shape(case: tuple[Rules, list[WeekLog]], data: st.DataObject) -> None:
    rules, history = case
    start_at = data.draw(st.one_of(st.none(), st.integers(10, rules.target_minutes)))
    plan = plan_weeks(rules, history, start_at=start_at)
    decisions = [p.decision for p in plan]
    assert plan[0] == next_week(rules, [], start_at=start_at)
    assert plan[0].minutes == (rules.start_minutes if start_at is None else start_at)
    assert [p.week for p in plan] == list(range(1, len(plan) + 1))
    for k, prescription in enumerate(plan):
        assert prescription == next_week(rules, history[:k], start_at=start_at)
        if k:
            assert prescription == next_week(rules, history[:k])  # start_at shapes week 1 only
        assert_one_sentence(prescription.reason)
    if Decision.STOP in decisions:
        assert decisions.index(Decision.STOP) == len(plan) - 1
        assert len(plan) <= len(history) + 1
    else:
        assert len(plan) == len(history) + 1
    assert Decision.START not in decisions[1:]


@PROPS
@given(case_st(min_weeks=1, flags=False))
def test_prop_without_flags_never_stops(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    assert Decision.STOP not in [p.decision for p in plan_weeks(rules, history)]


@st.composite
def followed_plan_st(draw: st.DrawFn) -> tuple[Rules, list[WeekLog]]:
    """A history where each week's prescription is what the engine actually prescribed."""
    rules = draw(rules_st())
    history: list[WeekLog] = []
    for _ in range(draw(st.integers(0, 10))):
        prescription = next_week(rules, history)
        if prescription.decision is Decision.STOP:
            break
        empty = draw(st.booleans())
        sessions = draw(
            st.lists(
                sessions_st(prescription.minutes),
                max_size=0 if empty else rules.sessions_per_week + 1,
            )
        )
        history.append(WeekLog(prescription.minutes, tuple(sessions)))
    return rules, history


@PROPS
@given(followed_plan_st())
def test_prop_followed_plan_stays_in_bounds(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    plan = plan_weeks(rules, history)
    assert len(plan) == len(history) + 1
    for prescription in plan:
        if prescription.decision is not Decision.STOP:
            assert engine.FLOOR_MINUTES <= prescription.minutes <= rules.target_minutes


@PROPS
@given(rules_st(), st.integers(0, 120), st.integers(0, 2))
def test_prop_full_green_week_progresses_by_the_larger_step(
    rules: Rules, prescribed: int, pain: int
) -> None:
    assume(engine.FLOOR_MINUTES <= prescribed < rules.target_minutes)
    sessions = tuple(SessionSummary(prescribed, pain) for _ in range(rules.sessions_per_week))
    result = next_week(rules, [WeekLog(prescribed, sessions)])
    assert result.decision is Decision.PROGRESS
    assert result.minutes == min(rules.target_minutes, prescribed + rules.max_increment)


@PROPS
@given(rules_st(), st.data())
def test_prop_a_blank_pain_never_earns_the_larger_step(rules: Rules, data: st.DataObject) -> None:
    # Drawn inside the bounds rather than filtered: most rules leave little room below target.
    assume(rules.min_increment < rules.max_increment)
    assume(10 + rules.min_increment < rules.target_minutes)
    prescribed = data.draw(st.integers(10, rules.target_minutes - rules.min_increment - 1))
    sessions = [SessionSummary(prescribed, 0) for _ in range(rules.sessions_per_week)]
    index = data.draw(st.integers(0, len(sessions) - 1))
    sessions[index] = SessionSummary(prescribed)
    result = next_week(rules, [WeekLog(prescribed, tuple(sessions))])
    assert result.decision is Decision.PROGRESS
    assert result.minutes == prescribed + rules.min_increment


@PROPS
@given(sessions_st(20))
def test_prop_pain_response_shape(session: SessionSummary) -> None:
    response = pain_response(session)
    if session.sharp_pain or session.pain_lasted_hours > 2:
        assert response is PainResponse.RED
    if response is PainResponse.GREEN:
        assert session.pain is not None and session.pain <= 5
    if response is PainResponse.UNKNOWN:
        assert session.pain is None
    if is_severe(session):
        assert response is PainResponse.RED
