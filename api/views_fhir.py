"""`/clinic/patients/<id>/fhir/`: an assigned patient's record as a FHIR R4 Bundle (DESIGN
section 11), for the clinic's electronic record. Clinicians only; the patient is found through
`recovery.access` (404 for anyone else's); every download is audited ("fhir_view"). Session
notes are included only when asked for (`?notes=1`), and the audit row says so."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from api.fhir import build_bundle
from recovery.access import clinician_required, patient_for_clinician
from recovery.audit import audit

FHIR_JSON = "application/fhir+json"


def fhir_response(bundle: dict, *, download_name: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1), content_type=f"{FHIR_JSON}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    # A health record: never kept by a shared cache or the browser's back-forward cache.
    response["Cache-Control"] = "private, no-store"
    return response


@clinician_required
@require_GET
def patient_bundle(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The Bundle: 1 query for the patient and 6 for the record, whatever its length."""
    patient = patient_for_clinician(request.user, patient_id)
    notes = request.GET.get("notes") == "1"
    bundle = build_bundle(patient, include_notes=notes)
    audit(
        "fhir_view",
        request=request,
        obj=patient,
        patient=patient,
        notes=notes,
        entries=len(bundle["entry"]),
    )
    # The file name is ours: the patient's database id, never a name anyone typed.
    return fhir_response(bundle, download_name=f"stepwise-patient-{patient.pk}.fhir.json")
