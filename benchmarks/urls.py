"""The project's URLs plus a bare baseline view (benchmark settings only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from plans.models import PlanWeek
from stepwise.urls import handler500
from stepwise.urls import urlpatterns as project_urlpatterns

__all__ = ["handler500", "urlpatterns"]

BASELINE_PATH = "/bench/baseline/"
FLOOR_PATH = "/bench/floor/"


def baseline(request: HttpRequest) -> HttpResponse:
    """The floor every page is compared with: full middleware, one indexed query, a template.

    Anonymous, so no session or user query: the ratio of a page to this view is what the page
    itself costs. The query reads the lowest primary key of the biggest-but-one table (an index
    scan with LIMIT 1, the same on 100 patients or 20,000).
    """
    week = PlanWeek.objects.order_by("pk").values("week", "minutes", "decision").first()
    return render(request, "benchmarks/baseline.html", {"week": week})


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """What every signed-in page pays before its own work: the session and user queries, the
    middleware for a signed-in person, and the site's layout (menu, language switch, footer)
    around one heading. No query of its own: the ratio of this view to the baseline is the best
    any signed-in page can reach.
    """
    return render(request, "benchmarks/floor.html")


urlpatterns = [
    path(BASELINE_PATH.strip("/") + "/", baseline, name="bench_baseline"),
    path(FLOOR_PATH.strip("/") + "/", floor, name="bench_floor"),
    *project_urlpatterns,
]
