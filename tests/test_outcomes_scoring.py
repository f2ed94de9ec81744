"""Scores and their change (outcomes/scoring.py): pure functions, table tests, no database.
The change in words is outcomes/words.py (Django's gettext), read here in English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from outcomes.scoring import Verdict, add_months, change, score
from outcomes.words import change_words, points

D = Decimal


@pytest.mark.parametrize(
    ("kind", "values", "max_total", "expected"),
    [
        # sum: the item scores added up
        ("sum", [0], None, D("0")),
        ("sum", [1, 2, 3], None, D("6")),
        ("sum", [D("0.5"), D("1.25")], None, D("1.75")),
        # sum as percent of the highest possible sum (ODI-like: 10 items of 0–5 → 50)
        ("sum_percent", [5] * 10, 50, D("100")),
        ("sum_percent", [1, 2, 3, 4, 5, 0, 0, 0, 0, 0], 50, D("30")),
        ("sum_percent", [1], 3, D("33.33")),
        ("sum_percent", [0, 0], 8, D("0")),
        # mean (PSFS: the mean of the activities' ratings)
        ("mean", [3, 4], None, D("3.5")),
        ("mean", [2, 3, 3], None, D("2.67")),
        ("mean", [10], None, D("10")),
        ("mean", [0, 0, 0, 0, 0], None, D("0")),
        # single item (pain 0–10, PGIC 1–7)
        ("single", [7], None, D("7")),
        ("single", [0], None, D("0")),
    ],
)
def test_score_by_kind(kind, values, max_total, expected):
    assert score(kind, values, max_total=max_total) == expected


@pytest.mark.parametrize(
    ("kind", "values", "max_total"),
    [
        ("single", [1, 2], None),  # a single item is one answer
        ("sum", [], None),
        ("mean", [], None),
        ("sum_percent", [1], None),  # a percentage needs its highest sum
        ("sum_percent", [1], 0),
        ("no_such_kind", [1], None),
    ],
)
def test_score_refuses_what_it_cannot_score(kind, values, max_total):
    with pytest.raises(ValueError):
        score(kind, values, max_total=max_total)


def test_score_refuses_a_float_or_a_bool():
    with pytest.raises(TypeError):
        score("sum", [0.1])
    with pytest.raises(TypeError):
        score("sum", [True])


# The MIC boundary: a change of at least the MIC matters, both ways (>=).
@pytest.mark.parametrize(
    ("baseline", "follow_up", "direction", "mic", "verdict", "words"),
    [
        # PSFS (higher is better, MIC 2 for the mean)
        (
            "3",
            "6.4",
            "higher_better",
            2,
            Verdict.BETTER,
            "better by 3.4 points, more than the 2 points that matter",
        ),
        (
            "3",
            "5",
            "higher_better",
            2,
            Verdict.BETTER,
            "better by 2 points, as much as the 2 points that matter",
        ),
        (
            "3",
            "4.9",
            "higher_better",
            2,
            Verdict.UNCHANGED,
            "better by 1.9 points, less than the 2 points that matter",
        ),
        ("5", "5", "higher_better", 2, Verdict.UNCHANGED, "no change (the 2 points that matter)"),
        (
            "5",
            "3",
            "higher_better",
            2,
            Verdict.WORSE,
            "worse by 2 points, as much as the 2 points that matter",
        ),
        (
            "5",
            "4",
            "higher_better",
            2,
            Verdict.UNCHANGED,
            "worse by 1 point, less than the 2 points that matter",
        ),
        # PSFS, one activity (MIC 3)
        (
            "2",
            "5",
            "higher_better",
            3,
            Verdict.BETTER,
            "better by 3 points, as much as the 3 points that matter",
        ),
        # pain 0–10 (higher is worse, MIC 2): less pain is better
        (
            "7",
            "4",
            "higher_worse",
            2,
            Verdict.BETTER,
            "better by 3 points, more than the 2 points that matter",
        ),
        (
            "4",
            "7",
            "higher_worse",
            2,
            Verdict.WORSE,
            "worse by 3 points, more than the 2 points that matter",
        ),
        (
            "4",
            "5",
            "higher_worse",
            2,
            Verdict.UNCHANGED,
            "worse by 1 point, less than the 2 points that matter",
        ),
        # a percentage (higher is worse, MIC 10)
        (
            "40",
            "30",
            "higher_worse",
            10,
            Verdict.BETTER,
            "better by 10 points, as much as the 10 points that matter",
        ),
        (
            "40",
            "30.1",
            "higher_worse",
            10,
            Verdict.UNCHANGED,
            "better by 9.9 points, less than the 10 points that matter",
        ),
        # no MIC: the change is said, not judged
        ("4", "2", "higher_worse", None, None, "better by 2 points"),
        ("4", "4", "higher_worse", None, None, "no change"),
    ],
)
def test_change_against_the_minimal_important_change(
    baseline, follow_up, direction, mic, verdict, words
):
    result = change(D(baseline), D(follow_up), direction=direction, mic=mic)
    assert result.verdict == verdict
    assert change_words(result) == words


def test_change_improvement_is_signed_by_direction():
    assert change(D(3), D(5), direction="higher_better", mic=2).improvement == D(2)
    assert change(D(3), D(5), direction="higher_worse", mic=2).improvement == D(-2)


def test_change_refuses_a_mic_of_zero_or_an_unknown_direction():
    with pytest.raises(ValueError):
        change(D(1), D(2), direction="higher_better", mic=0)
    with pytest.raises(ValueError):
        change(D(1), D(2), direction="sideways", mic=2)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1"), "1 point"),
        (D("2"), "2 points"),
        (D("3.44"), "3.4 points"),
        (D("0.05"), "0.1 points"),
    ],
)
def test_points_are_said_with_one_decimal_at_most(value, text):
    assert points(value) == text


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 4), 12, date(2027, 12, 4)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_scoring_imports_no_django():
    import ast
    from pathlib import Path

    import outcomes.scoring

    tree = ast.parse(Path(outcomes.scoring.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "calendar", "dataclasses", "datetime", "decimal", "enum"}
