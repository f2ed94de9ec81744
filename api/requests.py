"""The request bodies, for the schema: the web forms' own fields under the same names, so a
client sends what the page sends (JSON true/false for a tick, a list for several ticks). The
forms themselves (plans.forms, plans.forms_reminders, plans.forms_symptoms, outcomes.forms,
plans.forms_clinic) do the checking."""

from __future__ import annotations

from rest_framework import serializers

from plans import engine
from plans.forms import EMERGENCY_CHOICES, MINUTES_MAX, SAME_DAY_CHOICES
from plans.models import ALERT_NOTE_MAX, SESSION_NOTES_MAX, AlertOutcome, PainDuration
from recovery.models import Activity, Weekday


def _pain(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=engine.PAIN_MAX, **kwargs)


class _WarningSignsIn(serializers.Serializer):
    red_flags_emergency = serializers.ListField(
        child=serializers.ChoiceField(choices=EMERGENCY_CHOICES), required=False
    )
    red_flags_same_day = serializers.ListField(
        child=serializers.ChoiceField(choices=SAME_DAY_CHOICES), required=False
    )
    no_red_flags = serializers.BooleanField(
        required=False, help_text="True for “None of these”: the list is always answered."
    )
    submission_token = serializers.UUIDField(
        help_text="A new random UUID per submission: sending it again stores nothing new."
    )


class SessionLogIn(_WarningSignsIn):
    date = serializers.DateField()
    activity = serializers.ChoiceField(choices=Activity.choices)
    minutes = serializers.IntegerField(min_value=1, max_value=MINUTES_MAX)
    pain_before = _pain()
    pain = _pain()
    pain_duration = serializers.ChoiceField(choices=PainDuration.choices)
    sharp_pain = serializers.BooleanField(required=False)
    exertion = serializers.IntegerField(min_value=6, max_value=20, required=False)
    notes = serializers.CharField(max_length=SESSION_NOTES_MAX, required=False, allow_blank=True)
    exercises_done = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Ids of the programme's exercises done in this session.",
    )


class SymptomReportIn(_WarningSignsIn):
    pain_now = _pain(required=False)


class ReminderSettingsIn(serializers.Serializer):
    reminders_enabled = serializers.BooleanField()
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    hour = serializers.IntegerField(min_value=0, max_value=23)
    timezone = serializers.CharField(help_text="An IANA time zone, e.g. America/New_York.")


# The outcomes a clinician picks from (the schema names this choice set).
ALERT_OUTCOMES_CHOSEN = AlertOutcome.chosen()


class AlertAcknowledgeIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ALERT_OUTCOMES_CHOSEN)
    note = serializers.CharField(max_length=ALERT_NOTE_MAX, required=False, allow_blank=True)


def _names(serializer: type[serializers.Serializer]) -> tuple[str, ...]:
    return tuple(serializer().fields)


SESSION_FIELDS = _names(SessionLogIn)
SYMPTOM_FIELDS = _names(SymptomReportIn)
SETTINGS_FIELDS = _names(ReminderSettingsIn)
ALERT_FIELDS = _names(AlertAcknowledgeIn)
