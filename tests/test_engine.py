"""Tests for the pure progression engine (plans/engine.py): no database, no Django."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plans import engine
from plans.engine import (
    EMERGENCY_FLAGS,
    SAME_DAY_FLAGS,
    Decision,
    Prescription,
    Rules,
    SessionSummary,
    WeekLog,
    completed_minimum,
    completed_needed,
    is_completed,
    next_week,
    plan_weeks,
    red_flag_tier,
)

# Default plan used by most table rows: start 15, steps 5..10, target 45, 5 sessions a week.
R = Rules(15, 5, 10, 45, 5)
R1 = Rules(15, 5, 10, 45, 1)  # one session a week: makes single-session boundaries easy
R3 = Rules(10, 7, 9, 60, 3)  # unusual increments so the step size is unambiguous


def sess(minutes: int, pain: int | None = None, **kwargs: object) -> SessionSummary:
    return SessionSummary(minutes, pain, **kwargs)  # type: ignore[arg-type]


def wk(prescribed: int, *sessions: SessionSummary) -> WeekLog:
    return WeekLog(prescribed, sessions)


def full(prescribed: int, count: int, pain: int | None = None) -> list[SessionSummary]:
    return [sess(prescribed, pain) for _ in range(count)]


P, H, RD, ST, M = (
    Decision.PROGRESS,
    Decision.HOLD,
    Decision.REDUCE,
    Decision.STOP,
    Decision.MAINTAIN,
)

# (rules, history, expected (week, minutes, sessions_per_week, decision))
CASES = {
    # --- week 1 and numbering
    "start": (R, [], (1, 15, 5, Decision.START)),
    "start-uses-start-minutes": (R3, [], (1, 10, 3, Decision.START)),
    "week-numbering": (
        R,
        [wk(15, *full(15, 5)), wk(25, *full(25, 5)), wk(35, *full(35, 5))],
        (4, 45, 5, P),
    ),
    "only-last-week-decides": (
        R,
        [wk(15, sess(0, 9, sharp_pain=True)), wk(15, *full(15, 5))],
        (3, 25, 5, P),
    ),
    # --- 80 % completion boundary (one session a week, so completion alone decides)
    "80pct-exact-completes": (R1, [wk(20, sess(16))], (2, 30, 1, P)),
    "below-80pct-holds": (R1, [wk(20, sess(15))], (2, 20, 1, H)),
    "over-prescription-completes": (R1, [wk(20, sess(60))], (2, 30, 1, P)),
    "80pct-of-odd-prescription": (R1, [wk(13, sess(11))], (2, 23, 1, P)),  # 55 >= 52
    "just-under-80pct-odd": (R1, [wk(13, sess(10))], (2, 13, 1, H)),  # 50 < 52
    # --- completion count vs ceil(2*spw/3)
    "3-of-5-holds": (R, [wk(20, *full(20, 3))], (2, 20, 5, H)),
    "4-of-5-progresses-min-step": (R, [wk(20, *full(20, 4))], (2, 25, 5, P)),
    "partial-sessions-dont-count": (R, [wk(20, *full(20, 3), sess(15), sess(15))], (2, 20, 5, H)),
    "empty-week-holds": (R, [wk(20)], (2, 20, 5, H)),
    "extra-sessions-count": (R3, [wk(20, *full(20, 4))], (2, 29, 3, P)),
    "extra-partial-sessions-ignored": (R3, [wk(20, *full(20, 2), sess(1), sess(2))], (2, 27, 3, P)),
    # --- pain thresholds
    "pain-6-progresses-min-step": (R, [wk(20, *full(20, 4), sess(20, 6))], (2, 25, 5, P)),
    "pain-7-reduces": (R, [wk(20, *full(20, 4), sess(20, 7))], (2, 15, 5, RD)),
    "pain-10-reduces": (R, [wk(20, sess(20, 10))], (2, 15, 5, RD)),
    "pain-lasted-2h-not-reduce": (
        R,
        [wk(20, *full(20, 4), sess(20, pain_lasted_hours=2.0))],
        (2, 30, 5, P),
    ),
    "pain-lasted-2.01h-reduces": (
        R,
        [wk(20, *full(20, 4), sess(20, pain_lasted_hours=2.01))],
        (2, 15, 5, RD),
    ),
    "sharp-pain-reduces": (R, [wk(30, *full(30, 4), sess(30, 0, sharp_pain=True))], (2, 25, 5, RD)),
    "reduce-uses-min-increment": (Rules(15, 10, 10, 60, 5), [wk(30, sess(30, 8))], (2, 20, 5, RD)),
    # --- floor
    "floor-at-10-stays-10": (R, [wk(10, sess(10, 9))], (2, 10, 5, RD)),
    "floor-12-minus-5-is-10": (R, [wk(12, sess(12, sharp_pain=True))], (2, 10, 5, RD)),
    "floor-14-minus-5-is-10": (R, [wk(14, sess(14, 7))], (2, 10, 5, RD)),
    "floor-15-minus-5-is-10": (R, [wk(15, sess(15, 7))], (2, 10, 5, RD)),
    "floor-below-10-doesnt-crash": (R, [wk(5, sess(5, 8))], (2, 10, 5, RD)),
    # --- step size
    "max-step-all-done-low-pain": (R, [wk(20, *full(20, 5, pain=2))], (2, 30, 5, P)),
    "max-step-pain-0": (R, [wk(20, *full(20, 5, pain=0))], (2, 30, 5, P)),
    "min-step-one-pain-3": (R, [wk(20, *full(20, 4, pain=1), sess(20, 3))], (2, 25, 5, P)),
    "min-step-one-missed": (R, [wk(20, *full(20, 4, pain=0))], (2, 25, 5, P)),
    "min-step-one-short": (R, [wk(20, *full(20, 4, pain=0), sess(15, 0))], (2, 25, 5, P)),
    "pain-none-ignored-for-step": (
        R,
        [wk(20, sess(20), sess(20, 1), sess(20), sess(20, 2), sess(20))],
        (2, 30, 5, P),
    ),
    "no-pain-given-max-step": (R, [wk(20, *full(20, 5))], (2, 30, 5, P)),
    "custom-max-step": (R3, [wk(20, *full(20, 3, pain=2))], (2, 29, 3, P)),
    "custom-min-step": (R3, [wk(20, *full(20, 3, pain=4))], (2, 27, 3, P)),
    # --- target
    "progress-capped-by-target": (R, [wk(40, *full(40, 5))], (2, 45, 5, P)),
    "progress-exactly-to-target": (R, [wk(35, *full(35, 5))], (2, 45, 5, P)),
    "min-step-capped-by-target": (R, [wk(42, *full(42, 4))], (2, 45, 5, P)),
    "at-target-maintains": (R, [wk(45, *full(45, 5))], (2, 45, 5, M)),
    "at-target-min-step-still-maintains": (R, [wk(45, *full(45, 4, pain=5))], (2, 45, 5, M)),
    "above-target-maintains-at-target": (R, [wk(50, *full(50, 5))], (2, 45, 5, M)),
    "target-equals-start": (Rules(15, 5, 10, 15, 2), [wk(15, *full(15, 2))], (2, 15, 2, M)),
    "prescribed-zero-doesnt-crash": (R1, [wk(0)], (2, 0, 1, H)),
    "prescribed-zero-session-completes": (R1, [wk(0, sess(0))], (2, 10, 1, P)),
    # --- red flags and order of rules
    "red-flag-stops": (R, [wk(20, *full(20, 5), sess(20, red_flags={"fever"}))], (2, 0, 0, ST)),
    "emergency-flag-stops": (R, [wk(20, sess(20, red_flags={"bladder_bowel"}))], (2, 0, 0, ST)),
    "red-flag-beats-sharp-pain": (
        R,
        [wk(20, sess(20, 9, sharp_pain=True, red_flags={"fall"}))],
        (2, 0, 0, ST),
    ),
    "red-flag-beats-incomplete": (R, [wk(20, sess(0, red_flags={"numbness"}))], (2, 0, 0, ST)),
    "red-flag-beats-target": (
        R,
        [wk(45, *full(45, 5), sess(45, red_flags={"weakness"}))],
        (2, 0, 0, ST),
    ),
    "red-flag-week-3": (
        R,
        [wk(15, *full(15, 5)), wk(25, sess(25, red_flags={"wound"}))],
        (3, 0, 0, ST),
    ),
    "reduce-beats-hold": (R, [wk(20, sess(20, sharp_pain=True))], (2, 15, 5, RD)),
    "reduce-beats-maintain": (R, [wk(45, *full(45, 5), sess(45, 7))], (2, 40, 5, RD)),
    "hold-beats-maintain": (R, [wk(45, *full(45, 3))], (2, 45, 5, H)),
    "hold-beats-progress": (R, [wk(30, *full(30, 3, pain=0))], (2, 30, 5, H)),
}


@pytest.mark.parametrize(("rules", "history", "expected"), CASES.values(), ids=CASES.keys())
def test_hand_worked_cases(
    rules: Rules, history: list[WeekLog], expected: tuple[int, int, int, Decision]
) -> None:
    result = next_week(rules, history)
    assert (result.week, result.minutes, result.sessions_per_week, result.decision) == expected


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
    enough = next_week(rules, [wk(20, *full(20, needed), *[sess(0)] * (spw - needed))])
    too_few = next_week(rules, [wk(20, *full(20, needed - 1), *[sess(0)] * (spw - needed + 1))])
    assert enough.decision is Decision.PROGRESS
    assert too_few.decision is Decision.HOLD
    assert too_few.minutes == 20


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
        engine.PAIN_CAUTION,
        engine.PAIN_LASTED_HOURS_MAX,
    ) == (10, 15, 5, 10, 120, 1, 7, 10, 7, 2)
    assert (
        frozenset(
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
        == SAME_DAY_FLAGS
    )
    assert (
        frozenset(
            {
                "bladder_bowel",
                "saddle_numbness",
                "both_legs",
                "neck_swelling_breathing",
            }
        )
        == EMERGENCY_FLAGS
    )
    assert not SAME_DAY_FLAGS & EMERGENCY_FLAGS


@pytest.mark.parametrize(
    ("flags", "tier"),
    [
        (set(), None),
        ((), None),
        ({"fever"}, "same_day"),
        (["calf_pain", "fall"], "same_day"),
        ({"saddle_numbness"}, "emergency"),
        ({"fever", "both_legs"}, "emergency"),
        ({"something_new"}, "same_day"),
    ],
)
def test_red_flag_tier(flags: object, tier: str | None) -> None:
    assert red_flag_tier(flags) == tier  # type: ignore[arg-type]


def test_decision_values_compare_as_strings() -> None:
    assert [d.value for d in Decision] == [
        "start",
        "progress",
        "hold",
        "reduce",
        "stop",
        "maintain",
    ]
    assert Decision.START == "start"
    assert Decision("maintain") is Decision.MAINTAIN


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
        ({"minutes": 10, "pain_lasted_hours": -0.5}, "pain_lasted_hours"),
        ({"minutes": 10, "pain_lasted_hours": float("nan")}, "pain_lasted_hours"),
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


def test_session_defaults_and_int_hours() -> None:
    session = SessionSummary(12)
    assert (session.pain, session.pain_lasted_hours, session.sharp_pain) == (None, 0.0, False)
    assert session.red_flags == frozenset()
    assert SessionSummary(12, pain_lasted_hours=3).pain_lasted_hours == 3


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


# --- Reasons ----------------------------------------------------------------------------------


def assert_one_sentence(reason: str) -> None:
    assert reason
    assert reason[0].isupper()
    assert reason.endswith(".")
    # One sentence: no sentence-ending punctuation before the final full stop.
    assert not re.search(r"[.!?]", reason[:-1]), reason


REASONS = {
    "start": (R, [], ["15 minutes", "first week"]),
    "progress-max": (
        R,
        [wk(20, *full(20, 5, pain=1))],
        ["5 of 5 sessions", "little pain", "10 minutes", "30 minutes"],
    ),
    "progress-min-missed": (
        R,
        [wk(20, *full(20, 4))],
        ["4 of 5 sessions", "5 minutes", "25 minutes"],
    ),
    "progress-min-pain": (
        R,
        [wk(20, *full(20, 5, pain=4))],
        ["5 of 5 sessions", "4 out of 10", "25 minutes"],
    ),
    "progress-extra": (R3, [wk(20, *full(20, 4))], ["4 sessions", "3 planned", "29 minutes"]),
    "progress-to-target": (R, [wk(40, *full(40, 5))], ["5 of 5 sessions", "target", "45 minutes"]),
    "hold": (R, [wk(20, *full(20, 3))], ["3 of 5 sessions", "stays at 20 minutes"]),
    "hold-singular": (R1, [wk(20, sess(5))], ["0 of 1 session,", "20 minutes"]),
    "hold-empty": (R, [wk(20)], ["0 of 5 sessions", "20 minutes"]),
    "reduce-pain": (R, [wk(20, sess(20, 8))], ["8 out of 10", "15 minutes"]),
    "reduce-sharp": (R, [wk(20, sess(20, sharp_pain=True))], ["sharp pain", "15 minutes"]),
    "reduce-lasted": (
        R,
        [wk(20, sess(20, pain_lasted_hours=3))],
        ["more than 2 hours", "15 minutes"],
    ),
    "reduce-floor": (R, [wk(10, sess(10, 7))], ["7 out of 10", "stays at 10 minutes"]),
    "stop": (R, [wk(20, sess(20, red_flags={"fever"}))], ["warning sign", "care team"]),
    "stop-emergency": (
        R,
        [wk(20, sess(20, red_flags={"both_legs"}))],
        ["urgent warning sign", "care team"],
    ),
    "maintain": (R, [wk(45, *full(45, 5))], ["target of 45 minutes", "stays"]),
    "maintain-lowered": (R, [wk(50, *full(50, 5))], ["45 minutes"]),
}


@pytest.mark.parametrize(("rules", "history", "phrases"), REASONS.values(), ids=REASONS.keys())
def test_reasons(rules: Rules, history: list[WeekLog], phrases: list[str]) -> None:
    reason = next_week(rules, history).reason
    assert_one_sentence(reason)
    for phrase in phrases:
        assert phrase in reason, (phrase, reason)


def test_reason_exact_examples() -> None:
    assert next_week(R, []).reason == "Your first week starts gently at 15 minutes per session."
    assert (
        next_week(R, [wk(20, *full(20, 3))]).reason
        == "You completed 3 of 5 sessions, so next week stays at 20 minutes."
    )
    assert (
        next_week(R, [wk(20, sess(20, 8))]).reason
        == "Your pain reached 8 out of 10 after exercise, so next week eases back to 15 minutes."
    )
    assert (
        next_week(R, [wk(20, sess(20, red_flags={"fall"}))]).reason
        == "You reported a warning sign, so your plan is paused until your care team reviews it."
    )
    assert (
        next_week(R, [wk(45, *full(45, 5))]).reason
        == "You have reached your target of 45 minutes, so next week stays there."
    )


# --- plan_weeks -------------------------------------------------------------------------------


def test_plan_weeks_empty_history() -> None:
    assert plan_weeks(R, []) == [next_week(R, [])]


def test_plan_weeks_full_run() -> None:
    history = [
        wk(15, *full(15, 5)),
        wk(25, *full(25, 3)),
        wk(25, sess(25, 7)),
        wk(20, *full(20, 4)),
    ]
    plan = plan_weeks(R, history)
    assert [(p.week, p.minutes, p.decision) for p in plan] == [
        (1, 15, Decision.START),
        (2, 25, Decision.PROGRESS),
        (3, 25, Decision.HOLD),
        (4, 20, Decision.REDUCE),
        (5, 25, Decision.PROGRESS),
    ]


def test_plan_weeks_stops_at_first_stop() -> None:
    history = [
        wk(15, *full(15, 5)),
        wk(25, sess(25, red_flags={"tingling"})),
        wk(25, *full(25, 5)),
        wk(35, sess(35, red_flags={"fever"})),
    ]
    plan = plan_weeks(R, history)
    assert [(p.week, p.minutes, p.sessions_per_week, p.decision) for p in plan] == [
        (1, 15, 5, Decision.START),
        (2, 25, 5, Decision.PROGRESS),
        (3, 0, 0, Decision.STOP),
    ]


def test_next_week_accepts_tuple_history() -> None:
    history = (wk(15, *full(15, 5)),)
    assert next_week(R, history) == next_week(R, list(history))
    assert plan_weeks(R, history) == plan_weeks(R, list(history))


def test_prescription_is_frozen() -> None:
    with pytest.raises(AttributeError):
        next_week(R, []).minutes = 99  # type: ignore[misc]
    assert isinstance(next_week(R, []), Prescription)


# --- Properties -------------------------------------------------------------------------------

ALL_FLAGS = sorted(SAME_DAY_FLAGS | EMERGENCY_FLAGS)


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
        minutes=st.one_of(st.just(prescribed), st.integers(0, prescribed + 20)),
        pain=st.one_of(st.none(), st.integers(0, 3), st.integers(0, 10)),
        pain_lasted_hours=st.one_of(
            st.just(0.0), st.sampled_from([2.0, 2.01]), st.floats(0, 6, allow_nan=False)
        ),
        sharp_pain=st.sampled_from([False, False, False, True]),
        red_flags=(
            st.one_of(
                no_flags, no_flags, no_flags, st.frozensets(st.sampled_from(ALL_FLAGS), max_size=2)
            )
            if flags
            else no_flags
        ),
    )


@st.composite
def week_st(draw: st.DrawFn, rules: Rules, flags: bool = True) -> WeekLog:
    # Prescriptions the engine itself could produce: between the floor and the target.
    prescribed = draw(st.integers(engine.FLOOR_MINUTES, rules.target_minutes))
    sessions = draw(st.lists(sessions_st(prescribed, flags), max_size=rules.sessions_per_week + 2))
    return WeekLog(prescribed, tuple(sessions))


@st.composite
def case_st(draw: st.DrawFn, min_weeks: int = 0, flags: bool = True) -> tuple[Rules, list[WeekLog]]:
    rules = draw(rules_st())
    history = draw(st.lists(week_st(rules, flags), min_size=min_weeks, max_size=6))
    return rules, history


PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(case_st())
def test_prop_minutes_within_floor_and_target(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    result = next_week(rules, history)
    assert result.week == len(history) + 1
    if result.decision is Decision.STOP:
        assert (result.minutes, result.sessions_per_week) == (0, 0)
    else:
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
        old.minutes, old.pain, old.pain_lasted_hours, old.sharp_pain, old.red_flags | {flag}
    )
    history[-1] = WeekLog(last.prescribed_minutes, tuple(sessions))
    result = next_week(rules, history)
    assert result.decision is Decision.STOP
    assert (result.minutes, result.sessions_per_week) == (0, 0)


@PROPS
@given(case_st(min_weeks=1))
def test_prop_decision_specific_bounds(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    last = history[-1]
    result = next_week(rules, history)
    if result.decision is Decision.REDUCE:
        assert result.minutes <= last.prescribed_minutes
        assert result.minutes >= engine.FLOOR_MINUTES
        assert result.minutes in (
            last.prescribed_minutes - rules.min_increment,
            engine.FLOOR_MINUTES,
        )
    elif result.decision is Decision.PROGRESS:
        added = result.minutes - last.prescribed_minutes
        assert result.minutes == rules.target_minutes or (
            rules.min_increment <= added <= rules.max_increment
        )
        assert 0 < added <= rules.max_increment
    elif result.decision is Decision.HOLD:
        assert result.minutes == last.prescribed_minutes
    elif result.decision is Decision.MAINTAIN:
        assert result.minutes == rules.target_minutes == last.prescribed_minutes
    else:
        assert result.decision is Decision.STOP
        assert any(s.red_flags for s in last.sessions)


@PROPS
@given(case_st(min_weeks=1), st.randoms(use_true_random=False))
def test_prop_session_order_does_not_matter(
    case: tuple[Rules, list[WeekLog]], rnd: random.Random
) -> None:
    rules, history = case
    last = history[-1]
    shuffled = list(last.sessions)
    rnd.shuffle(shuffled)
    permuted = [*history[:-1], WeekLog(last.prescribed_minutes, tuple(shuffled))]
    assert next_week(rules, permuted) == next_week(rules, history)


@PROPS
@given(case_st())
def test_prop_plan_weeks_shape(case: tuple[Rules, list[WeekLog]]) -> None:
    rules, history = case
    plan = plan_weeks(rules, history)
    decisions = [p.decision for p in plan]
    assert plan[0] == next_week(rules, [])
    assert [p.week for p in plan] == list(range(1, len(plan) + 1))
    for k, prescription in enumerate(plan):
        assert prescription == next_week(rules, history[:k])
    if Decision.STOP in decisions:
        assert decisions.index(Decision.STOP) == len(plan) - 1
        assert len(plan) <= len(history) + 1
    else:
        assert len(plan) == len(history) + 1


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
        sessions = draw(
            st.lists(sessions_st(prescription.minutes), max_size=rules.sessions_per_week + 1)
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
@given(rules_st(), st.integers(0, 120))
def test_prop_full_compliance_without_pain_progresses(rules: Rules, prescribed: int) -> None:
    assume(engine.FLOOR_MINUTES <= prescribed < rules.target_minutes)
    week = WeekLog(
        prescribed, tuple(SessionSummary(prescribed, 0) for _ in range(rules.sessions_per_week))
    )
    result = next_week(rules, [week])
    assert result.decision is Decision.PROGRESS
    assert result.minutes == min(rules.target_minutes, prescribed + rules.max_increment)


@pytest.mark.parametrize(
    ("offset", "week"), [(-1, 0), (0, 1), (6, 1), (7, 2), (13, 2), (14, 3), (365, 53)]
)
def test_week_number_counts_calendar_blocks_from_the_start(offset, week):
    from datetime import date, timedelta

    start = date(2026, 11, 2)
    assert engine.week_number(start, start + timedelta(days=offset)) == week
