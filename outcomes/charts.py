"""An instrument's scores over time on the clinician's Outcomes card, drawn on the server as a
small SVG (as plans/charts.py draws the progress chart, and for the same reason: the strict
Content-Security-Policy allows presentation attributes only). The card's table holds the same
numbers for a screen reader, and the chart's description says where to find it.

A chart needs two scores at least; a categorical instrument (one item and no minimal important
change, such as PGIC) is shown in words, not drawn.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 36, 14, 14, 34
LINE = "#0b5e6b"  # 3:1 or more against white, as the progress chart's colours
BAND = "#e7f1f3"
TEXT = "#495057"
GRID = "#dee2e6"
# Under the points, where the card's table has room for the whole visit name.
SHORT_VISIT = {
    "baseline": pgettext_lazy("chart: the baseline visit", "Start"),
    "week_6": gettext_lazy("6 wk"),
    "month_3": gettext_lazy("3 mo"),
    "month_6": gettext_lazy("6 mo"),
    "month_12": gettext_lazy("12 mo"),
}


def _top(highest: Decimal, *, percent: bool) -> int:
    """The axis' top: 10 for the 0–10 ratings, 100 for a percentage, else a round number."""
    if percent or highest > 10:
        return 100 if highest <= 100 else int(math.ceil(highest / 50) * 50)
    return 10


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def score_chart(outcome, *, element_id: str) -> SafeString | None:
    """The SVG of one instrument's scores by visit, or None when there is nothing to draw."""
    scores = outcome.scores
    instrument = outcome.instrument
    if len(scores) < 2 or outcome.categorical:
        return None
    top = _top(max(Decimal(s.score) for s in scores), percent=instrument.scoring == "sum_percent")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / len(scores)

    def y(value) -> float:
        return base - plot_h * float(value) / top

    points = [
        {
            "x": _fmt(LEFT + slot * (i + 0.5)),
            "y": _fmt(y(s.score)),
            "label": SHORT_VISIT.get(s.visit, s.visit_label),
            "value": _fmt(float(s.score)),
        }
        for i, s in enumerate(scores)
    ]
    # The band of "no change that matters" around the baseline, when there is one to read by.
    band = None
    baseline = outcome.baseline
    mic = instrument.minimal_important_change
    if baseline is not None and mic:
        low = max(Decimal(0), Decimal(baseline.score) - Decimal(mic))
        high = min(Decimal(top), Decimal(baseline.score) + Decimal(mic))
        band = {"y": _fmt(y(high)), "h": _fmt(y(low) - y(high)), "w": plot_w}
    direction = (
        _("higher is better") if instrument.direction == "higher_better" else _("lower is better")
    )
    summary = _(
        "%(instrument)s at %(n)s visits (%(direction)s): %(scores)s. The table below lists the "
        "same scores."
    ) % {
        "instrument": instrument.name,
        "n": len(scores),
        "direction": direction,
        "scores": ", ".join(f"{s.visit_label} {_fmt(float(s.score))}" for s in scores),
    }
    return render_to_string(
        "outcomes/clinic/_score_chart_svg.html",
        {
            "id": element_id,
            "title": _("%(instrument)s over time") % {"instrument": instrument.shown_name},
            "summary": summary,
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "right_edge": WIDTH - RIGHT,
            "base": _fmt(base),
            "label_y": _fmt(base + 16),
            "grid": [{"y": _fmt(y(v)), "label": v} for v in (0, top // 2, top)],
            "points": points,
            "line": " ".join(f"{p['x']},{p['y']}" for p in points),
            "band": band,
            "colours": {"line": LINE, "band": BAND, "text": TEXT, "grid": GRID},
        },
    )
