"""The clinician's outcome report (/clinic/outcomes/, DESIGN section 8): the page and its CSV."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from infra.spreadsheets import neutralise
from outcomes.report import panel_report
from recovery.access import clinician_required

CSV_COLUMNS = [
    "Instrument",
    "Minimal important change",
    "Higher is",
    "Patients with a baseline and a follow-up",
    "Better by at least the MIC",
    "Better (%)",
    "Less than the MIC either way",
    "Worse by at least the MIC",
    "Worse (%)",
]


@clinician_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    rows = panel_report(request.user, request=request)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        day = timezone.localdate()
        response["Content-Disposition"] = f'attachment; filename="stepwise-outcomes-{day}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            instrument = row.instrument
            better = "better" if instrument.direction == "higher_better" else "worse"
            writer.writerow(
                [
                    neutralise(instrument.name),
                    instrument.minimal_important_change,
                    better,
                    row.compared,
                    row.better,
                    row.better_percent,
                    row.unchanged,
                    row.worse,
                    row.worse_percent,
                ]
            )
        return response
    return render(request, "outcomes/clinic/report.html", {"rows": rows})
