"""What the benchmark seeds: its two sizes and the hundred session patterns (steady, bumpy,
drifting, eased back, red flag, pending clearance; over four treatment types), each run through
`plans.engine` week by week so that every prescribed week is what the engine decides from the
sessions before it (benchmarks.seed tells how they are written)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from plans import engine

TIMEZONE = "America/New_York"  # every bench patient's clock (the default of a new patient)
SLOTS = 100  # patterns; patient g follows pattern (g - 1) % SLOTS
SERVICE_PATIENTS = 4  # of the measured clinician's list, seeded through the services
MEASURED_CLINICIAN = "bench-dr-1"


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    closed_weeks: int
    panel: int  # patients per clinician; the first clinician is the one measured


SIZES = {
    "small": Size("small", patients=100, closed_weeks=12, panel=100),
    "large": Size("large", patients=20_000, closed_weeks=52, panel=500),
}


# --- patterns ------------------------------------------------------------------------------------

# (treatment type, start, min step, max step, target, sessions/week, stage, activities)
TREATMENTS = [
    (
        "Epidural steroid injection",
        15,
        5,
        10,
        45,
        4,
        2,
        ("walking", "water", "recumbent_bike"),
    ),
    (
        "Physical therapy / conservative care",
        15,
        5,
        10,
        40,
        4,
        2,
        ("walking", "recumbent_bike", "stationary_bike"),
    ),
    ("Microdiscectomy / endoscopic discectomy", 10, 5, 10, 40, 4, 1, ("walking",)),
    ("Lumbar fusion", 10, 5, 5, 30, 5, 1, ("walking",)),
]

# How each kind of week goes: (full, mostly, short, painful) weights.
ARCHETYPE_WEEKS = {
    "steady": (60, 25, 10, 5),
    "bumpy": (30, 30, 20, 20),
    "drifting": (60, 25, 10, 5),
    "eased_back": (60, 25, 10, 5),
    "red_flag": (60, 25, 10, 5),
}
# Share of the 100 slots: most patients are fine; triage has something in every tier.
ARCHETYPE_SLOTS = [
    ("steady", 50),
    ("bumpy", 25),
    ("drifting", 8),
    ("eased_back", 8),
    ("red_flag", 4),
    ("pending", 5),
]
ACTIVE_ARCHETYPES = ("steady", "bumpy")  # a year of ordinary history: the pages measured


@dataclass(frozen=True)
class PatternSession:
    week: int
    day: int  # 0..6 inside the week
    activity: str
    minutes: int
    pain: int | None
    lasted: float
    sharp: bool
    flags: tuple[str, ...] = ()
    exertion: int | None = None
    pain_before: int | None = None

    @property
    def duration(self) -> str:
        """The answer the log form would have stored for `lasted` hours (PainDuration)."""
        return "later" if self.lasted > engine.PAIN_LASTED_HOURS_MAX else "within_2h"

    def summary(self) -> engine.SessionSummary:
        return engine.SessionSummary(
            minutes=self.minutes,
            pain=self.pain,
            pain_lasted_hours=self.lasted,
            sharp_pain=self.sharp,
            red_flags=frozenset(self.flags),
            pain_before=self.pain_before,
        )


@dataclass(frozen=True)
class Pattern:
    slot: int
    archetype: str
    treatment: str
    rules: engine.Rules | None
    stage: int
    activities: tuple[str, ...]
    sessions: tuple[PatternSession, ...] = ()
    weeks: tuple[engine.Prescription, ...] = ()

    @property
    def paused(self) -> bool:
        return bool(self.weeks) and self.weeks[-1].decision == engine.Decision.STOP


def _week_sessions(
    rng: random.Random, kind: str, week: int, prescribed: int, pattern: tuple
) -> list[PatternSession]:
    _, _, _, _, _, per_week, _, activities = pattern
    needed = engine.completed_needed(per_week)
    count = {
        "full": per_week,
        "mostly": max(needed, per_week - 1),
        "short": max(0, needed - 1),
        "painful": per_week - 1,
        "none": 0,
    }[kind]
    days = sorted(rng.sample(range(7), count))
    sessions = []
    for index, day in enumerate(days):
        done = kind != "short" or index == 0
        minutes = prescribed + rng.randint(0, 3) if done else max(1, prescribed * 3 // 5)
        low = kind == "full"
        pain = rng.randint(0, 2) if low else rng.randint(1, 4)
        if kind == "painful" and index == len(days) - 1:
            pain = rng.choice((7, 8))
        lasted = 3.0 if pain >= 7 else (1.0 if pain >= 3 else 0.0)
        given = rng.random() > 0.05  # a few old logs without pain scores
        sessions.append(
            PatternSession(
                week=week,
                day=day,
                activity=rng.choice(activities),
                minutes=minutes,
                pain=pain if given else None,
                lasted=lasted,
                sharp=False,
                exertion=rng.choice((None, 9, 11, 12, 13)),
                pain_before=min(pain, rng.randint(0, 2)) if given else None,
            )
        )
    return sessions


def build_pattern(slot: int, archetype: str, closed_weeks: int) -> Pattern:
    """One patient's history: sessions for `closed_weeks` closed weeks and the current one, and
    the engine's prescription for every week (1 .. closed + 1, plus the STOP week after a red flag).
    """
    rng = random.Random(f"stepwise-bench-{slot}")
    treatment = TREATMENTS[slot % len(TREATMENTS)]
    name, start, step_min, step_max, target, per_week, stage, activities = treatment
    if archetype == "pending":
        return Pattern(slot, archetype, name, None, stage, activities)
    rules = engine.Rules(start, step_min, step_max, target, per_week)
    weights = ARCHETYPE_WEEKS[archetype]
    sessions: list[PatternSession] = []
    history: list[engine.WeekLog] = []
    weeks = [engine.next_week(rules, history)]
    for week in range(1, closed_weeks + 2):  # the closed weeks, then the current one
        current = week == closed_weeks + 1
        kind = rng.choices(("full", "mostly", "short", "painful"), weights)[0]
        if archetype == "drifting" and week >= closed_weeks - 2:
            kind = "none"  # three silent weeks: two holds in a row, then nothing this week
        elif archetype == "eased_back" and week == closed_weeks:
            kind = "painful"
        elif current and kind == "painful":
            kind = "mostly"
        logged = _week_sessions(rng, kind, week, weeks[-1].minutes, treatment)
        if current and archetype == "red_flag":
            flag = "saddle_numbness" if slot % 2 else "calf_pain"
            logged = [
                PatternSession(week, 0, activities[0], weeks[-1].minutes, 4, 1.0, False, (flag,))
            ]
        sessions.extend(logged)
        if current:
            break
        history.append(
            engine.WeekLog(weeks[-1].minutes, tuple(session.summary() for session in logged))
        )
        weeks.append(engine.next_week(rules, history))
        assert weeks[-1].decision != engine.Decision.STOP, "closed weeks carry no red flags"
    if archetype == "red_flag":
        # session_log_create prescribes STOP for the week after the current one at once.
        current_log = engine.WeekLog(
            weeks[-1].minutes, tuple(s.summary() for s in sessions if s.week == closed_weeks + 1)
        )
        weeks.append(engine.next_week(rules, [*history, current_log]))
    return Pattern(slot, archetype, name, rules, stage, activities, tuple(sessions), tuple(weeks))


def build_patterns(closed_weeks: int) -> list[Pattern]:
    archetypes = [name for name, share in ARCHETYPE_SLOTS for _ in range(share)]
    # Spread the archetypes so any run of consecutive patients (one clinician's list) mixes them.
    order = random.Random("stepwise-bench-slots").sample(archetypes, len(archetypes))
    return [build_pattern(slot, order[slot], closed_weeks) for slot in range(SLOTS)]
