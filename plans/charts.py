"""The progress chart: planned vs logged minutes per week, and the highest pain after exercise.

Drawn on the server as a small SVG from a template, so it shows without JavaScript and under the
strict Content-Security-Policy (`style-src 'self'`): only presentation attributes (fill=,
stroke=, font-size=), no `style=` attribute, no <style> or <script> element. A charting library
was tried and set aside: pygal 3.1 (js=[]) still emits an inline <style> block, a <script>
element and `style=` attributes, which that policy blocks, leaving unstyled black shapes.
The same numbers come back as `rows` for a text table, which is what a screen reader (and
anyone who prefers numbers) reads.

Used by the patient's dashboard and the clinician's patient page:

    chart = progress_chart(plan)            # or progress_chart(plan.pk, last=None)
    chart.svg                               # safe markup
    chart.rows                              # ChartRow(week, prescribed_minutes, ...)
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from plans import engine
from plans.models import Plan
from plans.selectors import WeekSummary, week_summaries

log = logging.getLogger(__name__)

# Bump when the chart template changes, so cached charts are drawn again.
CHART_VERSION = 3
CHART_CACHE_SECONDS = 7 * 24 * 60 * 60

# Geometry of the drawing, in SVG user units. As narrow as a phone's column on purpose: the
# drawing is scaled to the width it gets, so at 390 px (a ~330 px column) a unit is still about
# a pixel and the 13- and 14-unit text stays at least 12 px (at 420 units it was ~10 px).
WIDTH = 320
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 40, 30, 48, 40
MAX_WEEK_LABELS = 8

# Colours with at least 3:1 contrast against white (WCAG non-text contrast).
LOGGED_FILL = "#0b5e6b"
PLANNED_FILL = "#d3e7ea"
PLANNED_STROKE = "#0b5e6b"
PAIN_COLOUR = "#b45309"
AXIS_TEXT = "#495057"
GRID = "#dee2e6"

_NICE_STEPS = (10, 15, 20, 30, 60, 90, 120, 150, 180, 240, 300, 600, 900, 1200)


@dataclass(frozen=True)
class ChartRow:
    """One week of the plan, as the chart draws it and the text table lists it."""

    week: int
    prescribed_minutes: int  # per session
    sessions_planned: int
    logged_minutes: int  # all sessions of the week together
    sessions_done: int  # completed: at least 80 % of the prescribed minutes
    sessions_logged: int
    max_pain: int | None
    decision: str

    @property
    def planned_total(self) -> int:
        return self.prescribed_minutes * self.sessions_planned


# One row of the text table (`ProgressChart.table_rows`).
_TABLE_ROW = (
    '\n        <tr>\n          <th scope="row">{}</th>\n'
    "          <td>{} min × {} = {} min</td>\n"
    "          <td>{} min</td>\n"
    "          <td>{}</td>\n"
    "          <td>{}</td>\n"
    "        </tr>"
)


@dataclass(frozen=True)
class ProgressChart:
    svg: SafeString
    rows: tuple[ChartRow, ...]
    title: str
    summary: str
    element_id: str

    @property
    def table_rows(self) -> SafeString:
        """The text table's rows, newest week first, in the reader's language. Built here, not
        with a `{% blocktranslate %}` per cell in the template: with a year of weeks (the
        clinician's record) those cells were most of the table's cost."""
        done_of = _("%(done)s of %(planned)s")
        pain_of = _("%(pain)s of 10")
        not_given = format_html(
            '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>',
            _("not given"),
        )
        return format_html_join(
            "",
            _TABLE_ROW,
            (
                (
                    row.week,
                    row.prescribed_minutes,
                    row.sessions_planned,
                    row.planned_total,
                    row.logged_minutes,
                    done_of % {"done": row.sessions_done, "planned": row.sessions_planned},
                    not_given if row.max_pain is None else pain_of % {"pain": row.max_pain},
                )
                for row in reversed(self.rows)
            ),
        )


def progress_chart(
    plan: Plan | int,
    *,
    last: int | None = 12,
    weeks: Sequence[WeekSummary] | None = None,
    element_id: str = "progress-chart",
) -> ProgressChart:
    """Chart of a plan's weeks: `last` most recent (None = all). One query, none with `weeks`.

    Pass `weeks` (from `plans.selectors.week_summaries`) when the page has loaded them already.
    Weeks whose prescription is STOP (the plan paused) are not exercise weeks and are left out.
    """
    if weeks is None:
        weeks = week_summaries(plan, last=last)
    elif last is not None:
        weeks = list(weeks)[-last:]
    rows = tuple(
        ChartRow(
            week=w.week,
            prescribed_minutes=w.minutes,
            sessions_planned=w.sessions_per_week,
            logged_minutes=w.logged_minutes,
            sessions_done=w.sessions_done,
            sessions_logged=w.sessions_logged,
            max_pain=w.max_pain,
            decision=w.decision,
        )
        for w in weeks
        if w.decision != engine.Decision.STOP
    )
    title = _("Minutes per week and pain after exercise")
    summary = _summary(rows)
    svg = _render_svg(rows, element_id=element_id, title=title, summary=summary)
    return ProgressChart(
        svg=svg,
        rows=rows,
        title=title,
        summary=summary,
        element_id=element_id,
    )


def _render_svg(rows: tuple[ChartRow, ...], *, element_id: str, title: str, summary: str):
    """The chart's SVG, cached under a digest of everything it is drawn from.

    A patient's chart changes only when a session is logged or a week closes, yet every page
    view drew it again (a third of /me/'s Python time). The key is the content itself, so a
    cached chart can never be stale, and two identical charts share an entry without revealing
    anything: the SVG holds nothing its inputs do not.
    """
    digest = hashlib.sha256(
        # The language too: the legend and axis words are the reader's.
        repr((CHART_VERSION, get_language(), element_id, title, summary, rows)).encode()
    ).hexdigest()
    key = f"chart:{digest}"
    try:
        cached = cache.get(key)
    except Exception:  # an optimisation only: with the cache down, draw the chart
        log.warning("chart cache unavailable (get)", exc_info=True)
        cached = None
    if cached is not None:
        # Reviewed: the cached value is only ever our own template's autoescaped output (below).
        return SafeString(cached)  # nosec B703
    svg = render_to_string(
        "plans/patient/_chart_svg.html",
        {"id": element_id, "title": title, "summary": summary, **_geometry(rows)},
    )
    try:
        cache.set(key, str(svg), timeout=CHART_CACHE_SECONDS)
    except Exception:
        log.warning("chart cache unavailable (set)", exc_info=True)
    # render_to_string returns SafeString: the template autoescaped every value it printed.
    return svg


def _summary(rows: Sequence[ChartRow]) -> str:
    if not rows:
        return _("No weeks to show yet.")
    latest = rows[-1]
    numbers = {
        "first": rows[0].week,
        "week": latest.week,
        "planned": latest.planned_total,
        "logged": latest.logged_minutes,
        "pain": latest.max_pain,
    }
    parts = [
        _("Week %(week)d.") % numbers
        if len(rows) == 1
        else _("Weeks %(first)d to %(week)d.") % numbers,
        ngettext(
            "In week %(week)d, %(planned)d minute was planned and %(logged)d logged.",
            "In week %(week)d, %(planned)d minutes were planned and %(logged)d logged.",
            latest.planned_total,
        )
        % numbers,
    ]
    if latest.max_pain is not None:
        parts.append(_("Highest pain after exercise that week: %(pain)d out of 10.") % numbers)
    parts.append(_("The table below lists every week."))
    return " ".join(parts)


def _nice_top(value: int) -> tuple[int, int]:
    """Top of the minutes axis and its step: at most four steps, on round numbers."""
    for step in _NICE_STEPS:
        if value <= 4 * step:
            return max(step, math.ceil(value / step) * step), step
    step = math.ceil(value / 4 / 100) * 100
    return math.ceil(value / step) * step, step


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _geometry(rows: Sequence[ChartRow]) -> dict:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    biggest = max((max(r.planned_total, r.logged_minutes) for r in rows), default=0)
    top, step = _nice_top(max(biggest, 1))

    def y_minutes(value: int) -> str:
        return _fmt(base - plot_h * value / top)

    def y_pain(value: int) -> str:
        return _fmt(base - plot_h * value / engine.PAIN_MAX)

    grid = [{"y": y_minutes(value), "label": value} for value in range(0, top + 1, step)]
    pain_ticks = [{"y": y_pain(value), "label": value} for value in (0, 5, 10)]

    count = len(rows)
    slot = plot_w / count if count else plot_w
    bar = slot * 0.36
    label_every = max(1, math.ceil(count / MAX_WEEK_LABELS))
    bars, labels, points = [], [], []
    for index, row in enumerate(rows):
        centre = LEFT + slot * (index + 0.5)
        planned_h = plot_h * row.planned_total / top
        logged_h = plot_h * row.logged_minutes / top
        bars.append(
            {
                "planned_x": _fmt(centre - bar),
                "planned_y": _fmt(base - planned_h),
                "planned_h": _fmt(planned_h),
                "logged_x": _fmt(centre),
                "logged_y": _fmt(base - logged_h),
                "logged_h": _fmt(logged_h),
                "width": _fmt(bar),
            }
        )
        # The newest week is always labelled; the others thin out on long histories.
        if (count - 1 - index) % label_every == 0:
            labels.append({"x": _fmt(centre), "text": row.week})
        if row.max_pain is not None:
            points.append({"x": _fmt(centre), "y": y_pain(row.max_pain)})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "top": TOP,
        "base": _fmt(base),
        "label_y": _fmt(base + 16),
        "grid": grid,
        "pain_ticks": pain_ticks,
        "bars": bars,
        "labels": labels,
        "points": points,
        "pain_line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "dot_radius": _fmt(min(4.0, max(1.5, slot / 4))),
        "empty": not rows,
        "colours": {
            "logged": LOGGED_FILL,
            "planned": PLANNED_FILL,
            "planned_stroke": PLANNED_STROKE,
            "pain": PAIN_COLOUR,
            "text": AXIS_TEXT,
            "grid": GRID,
        },
        "mid_x": _fmt(LEFT + plot_w / 2),
        "mid_y": _fmt(TOP + plot_h / 2),
        "axis_label_y": HEIGHT - 4,
    }
