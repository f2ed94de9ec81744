"""Clinician pages (/clinic/...). Every patient lookup goes through recovery.access."""

from django.http import Http404

from recovery.access import clinician_required


@clinician_required
def triage(request):
    raise Http404


@clinician_required
def enrol(request):
    raise Http404


@clinician_required
def patient(request, patient_id):
    raise Http404


@clinician_required
def clearance(request, patient_id):
    raise Http404


@clinician_required
def plan_action(request, patient_id):
    raise Http404


@clinician_required
def alert_ack(request, alert_id):
    raise Http404
