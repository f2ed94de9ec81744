"""The clinician's endpoints (/api/v1/clinic/…): the triage of /clinic/, a patient's record (the
same read model as /clinic/patients/<id>/, audited the same way), and closing an alert through
the web page's form and service. Patients are found through `recovery.access` (404 otherwise)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import requests as bodies
from api import serializers_clinic as out
from api.views.common import (
    DetailSerializer,
    IsClinician,
    errors_serializer,
    form_data,
    form_errors,
    not_an_object,
    refuse,
)
from plans import services as plan_services
from plans.forms_clinic import AlertCloseForm
from plans.models import Alert
from plans.patient_record import patient_detail
from plans.triage import Tier, clinician_triage
from recovery.access import clinician_patients, patient_for_clinician
from recovery.audit import audit
from recovery.errors import DomainError

TAG = "clinician"
REFUSALS = {
    401: OpenApiResponse(DetailSerializer, description="Not signed in."),
    403: OpenApiResponse(DetailSerializer, description="Signed in, but not as a clinician."),
}
NOT_YOURS = OpenApiResponse(DetailSerializer, description="Not one of the clinician's patients.")


class ClinicianView(APIView):
    permission_classes = [IsAuthenticated, IsClinician]


class TriageView(ClinicianView):
    @extend_schema(
        tags=[TAG],
        summary="Triage",
        description="The clinician's patients in order of urgency, as /clinic/ lists them.",
        responses={200: out.TriageOut, **REFUSALS},
    )
    def get(self, request):
        triage = clinician_triage(request.user)
        body = {
            "rows": [
                {
                    "patient_id": row.patient_id,
                    "name": row.name,
                    "reason": row.reason,
                    "also": row.also,
                    "alerts": row.alerts,
                    "stage_override": row.stage_override,
                }
                for row in triage.rows
            ],
            "others": triage.others,
            "counts": [
                {"tier": tier.value, "label": Tier(tier).label, "count": count}
                for tier, count in triage.counts
            ],
        }
        return Response(out.TriageOut(body).data)


class PatientRecordView(ClinicianView):
    @extend_schema(
        tags=[TAG],
        summary="A patient's record",
        description="The top of /clinic/patients/<id>/: treatment, clearance, plan, its weeks, "
        "alerts and symptom reports. Every read is written to the audit log.",
        responses={200: out.PatientRecordOut, 404: NOT_YOURS, **REFUSALS},
    )
    def get(self, request, patient_id: int):
        patient = patient_for_clinician(request.user, patient_id)
        audit("patient_view", actor=request.user, request=request, obj=patient, patient=patient)
        today = plan_services.patient_today(patient)
        plans = plan_services.patient_plans_closed(patient, today=today)  # as the web page
        detail = patient_detail(patient, today=today, plans=plans)
        body = {
            "today": today,
            "patient": patient,
            "treatment": detail.treatment,
            "clearance": detail.clearance,
            "plan": detail.plan,
            "current_week": detail.current_week,
            "logged_count": detail.logged_count,
            "weeks": detail.weeks,
            "alerts": detail.alerts,
            "symptom_reports": detail.symptom_reports,
        }
        return Response(out.PatientRecordOut(body).data)


AlertErrors = errors_serializer("AlertAcknowledgeErrors", bodies.ALERT_FIELDS)


class AlertAcknowledgeView(ClinicianView):
    @extend_schema(
        tags=[TAG],
        summary="Close an alert",
        description="What was done about an alert, as the page /clinic/alerts/<id>/close/ asks "
        "it: an outcome, and a note (needed for “other”).",
        request=bodies.AlertAcknowledgeIn,
        responses={
            200: out.AlertClosedOut,
            400: OpenApiResponse(AlertErrors, description="What is wrong, beside each field."),
            404: NOT_YOURS,
            409: OpenApiResponse(DetailSerializer, description="Closed already."),
            **REFUSALS,
        },
    )
    def post(self, request, alert_id: int):
        # Looked up first, so another clinician's alert is 404 whatever the body.
        alert = (
            Alert.objects.filter(patient__in=clinician_patients(request.user), pk=alert_id)
            .select_related("patient__user", "plan")
            .first()
        )
        if alert is None:
            raise Http404("No such alert.")
        posted = form_data(request.data)
        if posted is None:
            return not_an_object()
        if alert.acknowledged_at is not None:
            return Response(
                {"detail": _("This alert was already closed.")}, status=status.HTTP_409_CONFLICT
            )
        form = AlertCloseForm(posted)
        if form.is_valid():
            try:
                closed = plan_services.alert_acknowledge(
                    alert=alert,
                    actor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                if error.field not in form.fields:
                    # The alert's state changed meanwhile (closed in another tab): as the page.
                    return Response(
                        {"detail": _("Nothing was changed: %(why)s") % {"why": error.message}},
                        status=status.HTTP_409_CONFLICT,
                    )
                refuse(form, error, error.field)
            else:
                plan = closed.plan  # read afresh: what closing left of it
                body = {
                    "pk": closed.pk,
                    "acknowledged_at": closed.acknowledged_at,
                    "outcome": closed.outcome,
                    "plan_status": plan.status if plan else None,
                }
                return Response(out.AlertClosedOut(body).data)
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
