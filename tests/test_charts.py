"""The progress chart (plans/charts.py): right numbers, in SVG that a strict CSP lets through."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from plans import charts
from plans.charts import ChartRow, progress_chart
from plans.models import PlanWeek, SessionLog
from plans.selectors import WeekSummary, week_summaries
from plans.services import patient_today, plan_close_weeks, session_log_create
from tests.conftest import approve

SVG = "{http://www.w3.org/2000/svg}"


def summary(week: int, minutes: int = 20, logged: int = 0, pain=None, decision="progress"):
    return WeekSummary(
        plan_id=1,
        week=week,
        minutes=minutes,
        sessions_per_week=3,
        decision=decision,
        reason="",
        logged_minutes=logged,
        sessions_logged=0,
        sessions_done=0,
        max_pain=pain,
    )


@pytest.fixture
def two_weeks(ana):
    """Ana's plan with week 1 closed (15 min × 3) and week 2 under way."""
    today = patient_today(ana)
    start = today - timedelta(days=8)
    plan = approve(ana, start=start, today=start)
    for day, minutes, pain in ((0, 12, 1), (2, 11, 4), (4, 30, None)):
        session_log_create(
            patient=ana,
            day=start + timedelta(days=day),
            activity="walking",
            minutes=minutes,
            pain=pain,
            now=None,
        )
    plan_close_weeks(plan=plan, today=today)
    session_log_create(patient=ana, day=today, activity="walking", minutes=5, pain=2)
    return plan


def test_rows_hold_each_weeks_prescription_and_what_was_logged(two_weeks):
    chart = progress_chart(two_weeks)
    week1, week2 = chart.rows
    # 15 minutes prescribed: 12 is 80 % and counts, 11 does not, 30 does.
    assert week1 == ChartRow(
        week=1,
        prescribed_minutes=15,
        sessions_planned=3,
        logged_minutes=53,
        sessions_done=2,
        sessions_logged=3,
        max_pain=4,
        decision="start",
    )
    assert week1.planned_total == 45
    assert week2.week == 2
    assert week2.prescribed_minutes == PlanWeek.objects.get(plan=two_weeks, week=2).minutes
    assert (week2.logged_minutes, week2.sessions_done, week2.max_pain) == (5, 0, 2)


def test_done_matches_the_engine_for_every_minute_count(ana):
    """The SQL count of completed sessions agrees with engine.is_completed at every boundary."""
    from plans import engine

    today = patient_today(ana)
    plan = approve(ana, start=today, today=today)
    for minutes in range(1, 31):
        SessionLog.objects.create(
            plan=plan, date=today, week=1, activity="walking", minutes=minutes
        )
    (row,) = week_summaries(plan)
    assert row.sessions_done == sum(engine.is_completed(m, 15) for m in range(1, 31))
    assert row.sessions_logged == 30


def test_one_query_and_none_when_the_weeks_are_given(two_weeks, django_assert_num_queries):
    with django_assert_num_queries(1):
        loaded = progress_chart(two_weeks.pk)
    weeks = week_summaries(two_weeks)
    with django_assert_num_queries(0):
        given = progress_chart(two_weeks, weeks=weeks)
    assert given.rows == loaded.rows
    assert given.svg == loaded.svg


def test_last_keeps_the_most_recent_weeks(ana):
    today = patient_today(ana)
    plan = approve(ana, start=today, today=today)
    PlanWeek.objects.bulk_create(
        PlanWeek(plan=plan, week=k, minutes=15, sessions_per_week=3, decision="hold", reason="")
        for k in range(2, 31)
    )
    assert [r.week for r in progress_chart(plan, last=12).rows] == list(range(19, 31))
    assert len(progress_chart(plan, last=None).rows) == 30
    weeks = week_summaries(plan)
    assert [r.week for r in progress_chart(plan, weeks=weeks, last=3).rows] == [28, 29, 30]


def test_stop_weeks_are_not_drawn():
    weeks = [summary(1), summary(2, minutes=0, decision="stop")]
    assert [r.week for r in progress_chart(1, weeks=weeks).rows] == [1]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own markup, parsed to check its structure)


def test_the_svg_is_accessible_and_passes_a_strict_csp(two_weeks):
    chart = progress_chart(two_weeks, element_id="ana-chart")
    svg = str(chart.svg)
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "ana-chart-title ana-chart-desc"
    assert root.find(f"{SVG}title").text == chart.title
    assert root.find(f"{SVG}desc").text == chart.summary
    # style-src 'self' blocks style attributes and <style> in inline SVG; script-src, <script>.
    assert "style=" not in svg
    assert "<style" not in svg
    assert "<script" not in svg
    assert not re.search(r"\son\w+=", svg)  # no event handler attributes
    assert "href" not in svg


def test_bars_and_pain_points_follow_the_numbers():
    weeks = [summary(1, minutes=20, logged=60, pain=2), summary(2, minutes=20, logged=30)]
    root = _parse(str(progress_chart(1, weeks=weeks).svg))
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("width") != "12"]  # not the legend
    heights = [float(r.get("height")) for r in rects]
    planned1, logged1, planned2, logged2 = heights
    assert planned1 == planned2 == logged1  # 20 × 3 = 60 planned, 60 logged in week 1
    assert logged2 == pytest.approx(logged1 / 2)
    circles = [c for c in root.iter(f"{SVG}circle") if c.get("r") != "4" or c.get("cy") != "14"]
    assert len(circles) == 1  # week 2 gave no pain score
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "1" in labels and "2" in labels and "Week" in labels


def test_long_histories_label_a_few_weeks_including_the_newest():
    weeks = [summary(k) for k in range(1, 157)]
    geometry = charts._geometry(progress_chart(1, weeks=weeks, last=None).rows)
    labelled = [label["text"] for label in geometry["labels"]]
    assert len(labelled) <= charts.MAX_WEEK_LABELS
    assert labelled[-1] == 156


def test_an_empty_plan_draws_a_friendly_empty_chart():
    chart = progress_chart(1, weeks=[])
    assert chart.rows == ()
    assert "No weeks to show yet" in str(chart.svg)
    _parse(str(chart.svg))


@pytest.mark.parametrize(
    ("biggest", "top", "step"),
    [(1, 10, 10), (40, 40, 10), (45, 45, 15), (61, 80, 20), (250, 270, 90), (5000, 5200, 1300)],
)
def test_the_minutes_axis_ends_on_a_round_number(biggest, top, step):
    assert charts._nice_top(biggest) == (top, step)


def test_text_in_the_chart_is_escaped():
    weeks = [summary(1)]
    chart = progress_chart(1, weeks=weeks, element_id='x"><script>')
    assert "<script>" not in str(chart.svg)


def test_the_svg_is_cached_under_its_own_content(ana_plan):
    """A second draw of the same chart comes from the cache; changed data draws a new one."""
    from unittest import mock

    from plans import charts

    first = charts.progress_chart(ana_plan)
    with mock.patch.object(charts, "render_to_string", side_effect=AssertionError) as render:
        again = charts.progress_chart(ana_plan)
    assert str(again.svg) == str(first.svg) and render.call_count == 0
    changed = charts._render_svg(
        first.rows[:-1], element_id="progress-chart", title=first.title, summary="other"
    )
    assert str(changed) != str(first.svg)
