"""What the clinician's endpoints answer: the triage and the patient record read models, field by
field (plans.triage, plans.patient_record)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import DECISIONS, ClinicianPlanOut
from plans.models import AlertKind, AlertOutcome, AlertTier, PlanStatus, RedFlag
from plans.triage import Tier
from recovery.models import ClearanceStatus

TIERS = [(t.value, t.name.lower()) for t in Tier]


class ReasonOut(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIERS, help_text="1 is the most urgent.")
    why = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)


class OpenAlertOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    tier = serializers.ChoiceField(choices=AlertTier.choices)
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=RedFlag.choices))
    created_at = serializers.DateTimeField()
    severe_words = serializers.CharField(allow_blank=True)


class TriageRowOut(serializers.Serializer):
    patient_id = serializers.IntegerField()
    name = serializers.CharField()
    reason = ReasonOut()
    also = ReasonOut(many=True)
    alerts = OpenAlertOut(many=True)
    stage_override = serializers.BooleanField()


class OtherRowOut(serializers.Serializer):
    patient_id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    stage_override = serializers.BooleanField()


class TierCountOut(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIERS)
    label = serializers.CharField()
    count = serializers.IntegerField()


class TriageOut(serializers.Serializer):
    rows = TriageRowOut(many=True, help_text="Who needs the clinician, most urgent first.")
    others = OtherRowOut(many=True, help_text="The rest of the panel, one status line each.")
    counts = TierCountOut(many=True)


# --- one patient --------------------------------------------------------------------------------


class PatientOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="user.display_name")
    record_number = serializers.CharField(allow_blank=True)
    date_of_birth = serializers.DateField(allow_null=True)
    timezone = serializers.CharField()


class TreatmentOut(serializers.Serializer):
    type = serializers.CharField(source="treatment_type.name")
    procedure_date = serializers.DateField()


class ClearanceSummaryOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=ClearanceStatus.choices)
    start_date = serializers.DateField(allow_null=True)
    max_stage = serializers.IntegerField()


class RecordWeekOut(serializers.Serializer):
    """One week of the current plan (plans.patient_record.WeekRow)."""

    week = serializers.IntegerField(source="week.week")
    minutes = serializers.IntegerField(source="week.minutes")
    sessions_per_week = serializers.IntegerField(source="week.sessions_per_week")
    decision = serializers.ChoiceField(choices=DECISIONS, source="week.decision")
    explanation = serializers.CharField(source="week.clinician_explanation")
    logged_minutes = serializers.IntegerField(source="week.logged_minutes")
    sessions_logged = serializers.IntegerField(source="week.sessions_logged")
    sessions_done = serializers.IntegerField(source="week.sessions_done")
    max_pain = serializers.IntegerField(source="week.max_pain", allow_null=True)
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    current = serializers.BooleanField()


class RecordAlertOut(serializers.Serializer):
    id = serializers.IntegerField(source="alert.pk")
    kind = serializers.ChoiceField(choices=AlertKind.choices, source="alert.kind")
    tier = serializers.ChoiceField(choices=AlertTier.choices, source="alert.tier")
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=RedFlag.choices), source="alert.flags"
    )
    created_at = serializers.DateTimeField(source="alert.created_at")
    acknowledged_at = serializers.DateTimeField(source="alert.acknowledged_at", allow_null=True)
    outcome = serializers.ChoiceField(
        choices=AlertOutcome.choices, source="alert.outcome", allow_blank=True
    )
    what = serializers.CharField(allow_blank=True)
    source = serializers.CharField()


class RecordSymptomOut(serializers.Serializer):
    id = serializers.IntegerField(source="report.pk")
    created_at = serializers.DateTimeField(source="report.created_at")
    red_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=RedFlag.choices), source="report.red_flags"
    )
    pain_now = serializers.IntegerField(source="report.pain_now", allow_null=True)


class PatientRecordOut(serializers.Serializer):
    today = serializers.DateField(help_text="On the patient's clock.")
    patient = PatientOut()
    treatment = TreatmentOut(allow_null=True)
    clearance = ClearanceSummaryOut(allow_null=True)
    plan = ClinicianPlanOut(allow_null=True)
    current_week = serializers.IntegerField(allow_null=True)
    sessions_logged = serializers.IntegerField(source="logged_count")
    weeks = RecordWeekOut(many=True, help_text="The current plan's weeks, oldest first.")
    alerts = RecordAlertOut(many=True, help_text="Open ones first, then the latest.")
    symptom_reports = RecordSymptomOut(many=True, help_text="Latest first.")


class AlertClosedOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    acknowledged_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=AlertOutcome.choices)
    plan_status = serializers.ChoiceField(choices=PlanStatus.choices, allow_null=True)
