"""The clinician's outcome report (/clinic/outcomes/, DESIGN section 8): the page and its CSV."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from infra.spreadsheets import neutralise
from outcomes.report import panel_report
from recovery.access import clinician_required

# The header row, in the clinician's language (the numbers below it are the same in any).
CSV_COLUMNS = [
    gettext_lazy("Instrument"),
    gettext_lazy("Minimal important change"),
    gettext_lazy("Higher is"),
    gettext_lazy("Patients with a baseline and a follow-up"),
    gettext_lazy("Better by at least the MIC"),
    gettext_lazy("Better (%)"),
    gettext_lazy("Less than the MIC either way"),
    gettext_lazy("Worse by at least the MIC"),
    gettext_lazy("Worse (%)"),
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
        writer.writerow([str(column) for column in CSV_COLUMNS])
        for row in rows:
            instrument = row.instrument
            if instrument.direction == "higher_better":
                better = pgettext("a higher score is", "better")
            else:
                better = pgettext("a higher score is", "worse")
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
