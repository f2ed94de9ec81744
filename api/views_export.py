"""`/me/export/`: the patient downloads everything StepWise holds about them (DESIGN section 11).

GET shows what the file holds and a button; the download is a POST (CSRF-checked), so a browser
prefetching links or a link in a message never builds a health record's ZIP by itself. Patients
only, their own record only (the profile comes from `request.user`); 5 downloads per patient an
hour; each download is audited ("data_export", with the number of rows of each part). Nothing is
e-mailed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from api.export import export_name, export_zip
from recovery.access import own_patient_profile, patient_required
from recovery.audit import audit

EXPORT_LIMIT = 5
EXPORT_WINDOW = 60 * 60


@patient_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    patient = own_patient_profile(request.user)
    if request.method == "GET":
        return render(request, "api/export.html")
    now = timezone.now()
    content, rows = export_zip(patient, now=now)
    audit("data_export", request=request, obj=patient, patient=patient, format="zip", rows=rows)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export_name(patient, now)}"'
    # A health record: never kept by a shared cache or the browser's back-forward cache.
    response["Cache-Control"] = "private, no-store"
    return response
