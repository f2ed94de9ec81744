"""Scores and their change, as pure functions: no Django, no clock, no I/O (DESIGN section 8).

An instrument's answers are numbers (an option's score, or a 0–10 rating); `score` turns them
into the instrument's score by its scoring kind, and `change` reads a follow-up against the
baseline: which way is better (the instrument's direction) and whether the difference reaches
the minimal important change (MIC).

The MIC boundary counts: a change of *at least* the MIC is a change that matters, for the better
as for the worse (DESIGN section 8 says "worse than baseline by at least that change"; the same
`>=` is used for better, so the two verdicts are symmetric). A change smaller than the MIC
either way is "no change that matters".

The change in words, in the reader's language, is `outcomes.words.change_words` (Django's
gettext): this module only gives its numbers and verdict.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Scoring(StrEnum):
    SUM = "sum"
    SUM_PERCENT = "sum_percent"
    MEAN = "mean"
    SINGLE = "single"


class Direction(StrEnum):
    HIGHER_BETTER = "higher_better"
    HIGHER_WORSE = "higher_worse"


class Verdict(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    UNCHANGED = "unchanged"  # less than the MIC either way


# Scores are kept to two decimals (a mean of five 0–10 ratings, a percentage).
PLACES = Decimal("0.01")


def _decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise TypeError(f"a score is an int, a Decimal or a numeric string, not {value!r}")
    return Decimal(value)


def score(kind: Scoring | str, values, *, max_total=None) -> Decimal:
    """The instrument's score from its answers' values.

    - sum: the values added up;
    - sum_percent: the sum as a percentage of `max_total` (the highest sum the items allow);
    - mean: the average of the values (PSFS: the mean of the activities' ratings);
    - single: the one value (PGIC, the 0–10 pain rating).
    """
    kind = Scoring(kind)
    numbers = [_decimal(v) for v in values]
    if not numbers:
        raise ValueError("an instrument is scored from at least one answer")
    if kind is Scoring.SINGLE:
        if len(numbers) != 1:
            raise ValueError(f"a single-item score takes one answer, not {len(numbers)}")
        result = numbers[0]
    elif kind is Scoring.SUM:
        result = sum(numbers, Decimal(0))
    elif kind is Scoring.MEAN:
        result = sum(numbers, Decimal(0)) / len(numbers)
    else:
        if max_total is None or _decimal(max_total) <= 0:
            raise ValueError("a percentage needs the highest possible sum, above 0")
        result = sum(numbers, Decimal(0)) * 100 / _decimal(max_total)
    return result.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Change:
    baseline: Decimal
    follow_up: Decimal
    improvement: Decimal  # positive = better, whichever way the instrument counts
    mic: Decimal | None
    verdict: Verdict | None  # None: the instrument has no MIC to judge by


def change(baseline, follow_up, *, direction: Direction | str, mic=None) -> Change:
    """How a follow-up score compares with the baseline, in the instrument's own direction, and
    whether the difference reaches the minimal important change (at least the MIC counts)."""
    direction = Direction(direction)
    before, after = _decimal(baseline), _decimal(follow_up)
    improvement = after - before if direction is Direction.HIGHER_BETTER else before - after
    size = abs(improvement)
    if mic is None:
        return Change(before, after, improvement, None, None)
    mic = _decimal(mic)
    if mic <= 0:
        raise ValueError("a minimal important change is above 0")
    if size >= mic:
        verdict = Verdict.BETTER if improvement > 0 else Verdict.WORSE
    else:
        verdict = Verdict.UNCHANGED
    return Change(before, after, improvement, mic, verdict)


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day (31 Jan + 1 → 28/29
    Feb): "3 months after the start" on the calendar, not a count of days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
