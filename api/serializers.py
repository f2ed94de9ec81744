"""What the patient's endpoints answer, field by field, so the OpenAPI schema says exactly what
comes back (each read model is serialised as it is, nothing recomputed here)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plans import engine
from plans.models import AlertKind, AlertTier, PainDuration, PlanStatus, RedFlag
from recovery.models import Activity, ClearanceStatus, Weekday

DECISIONS = [d.value for d in engine.Decision]


class ChoiceOut(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class PlanOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=PlanStatus.choices)
    start_date = serializers.DateField()
    stage = serializers.IntegerField()
    activities = serializers.SerializerMethodField()
    # Why the plan is paused, in the reader's language, from its stored cause ("" if never).
    pause_reason = serializers.CharField(source="patient_pause_words")

    @extend_schema_field(ChoiceOut(many=True))
    def get_activities(self, plan) -> list[dict]:
        return [
            {"value": a, "label": str(Activity(a).label)}
            for a in plan.allowed_activities
            if a in Activity.values
        ]


class WeekOut(serializers.Serializer):
    """One prescribed week and what was logged in it (plans.selectors.WeekSummary)."""

    week = serializers.IntegerField()
    minutes = serializers.IntegerField()
    sessions_per_week = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=DECISIONS)
    explanation = serializers.CharField(source="patient_explanation_named")
    logged_minutes = serializers.IntegerField()
    sessions_logged = serializers.IntegerField()
    sessions_done = serializers.IntegerField()
    max_pain = serializers.IntegerField(allow_null=True)


class ThisWeekOut(WeekOut):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    sessions_left = serializers.IntegerField()
    sessions_needed = serializers.IntegerField()
    done_at_minutes = serializers.IntegerField(
        help_text="The fewest minutes that count as a completed session."
    )


class ExerciseOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    category = serializers.CharField()
    stage = serializers.IntegerField()


class ClearanceOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClearanceStatus.choices)
    earliest = serializers.DateField(allow_null=True)


class ClinicianPlanOut(PlanOut):
    """The plan as the clinician's record says it: the pause in the third person."""

    pause_reason = serializers.CharField(source="clinician_pause_words")


class WeekPlanOut(serializers.Serializer):
    """/me/: this week's prescription, or, before a plan, where the clearance stands."""

    today = serializers.DateField()
    plan = PlanOut(allow_null=True)
    clearance = ClearanceOut(allow_null=True, help_text="Only while there is no plan.")
    upcoming = serializers.BooleanField(help_text="The plan starts on a later day.")
    this_week = ThisWeekOut(allow_null=True)
    weeks = WeekOut(many=True, help_text="The last 12 weeks, oldest first.")
    exercises = ExerciseOut(many=True)
    follow_ups_due = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Sessions logged 'not settled yet' whose pain is to be answered now.",
    )


# --- the programme ------------------------------------------------------------------------------


class ImageOut(serializers.Serializer):
    url = serializers.CharField()
    thumbnail_url = serializers.CharField()
    alt_text = serializers.CharField()


class ProgrammeLineOut(serializers.Serializer):
    exercise = ExerciseOut()
    instructions = serializers.CharField(source="exercise.instructions")
    cautions = serializers.CharField(source="exercise.cautions")
    sets = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField(allow_null=True)
    hold_seconds = serializers.IntegerField(allow_null=True)
    times_per_day = serializers.IntegerField()
    dose = serializers.CharField(help_text="The dose in words, in the reader's language.")
    note = serializers.CharField()
    images = ImageOut(many=True)


class ProgrammeOut(serializers.Serializer):
    today = serializers.DateField()
    has_plan = serializers.BooleanField()
    paused = serializers.BooleanField()
    tailored = serializers.BooleanField()
    precautions = serializers.ListField(child=serializers.CharField())
    lines = ProgrammeLineOut(many=True)


# --- sessions -----------------------------------------------------------------------------------


class SessionOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    date = serializers.DateField()
    week = serializers.IntegerField()
    activity = serializers.ChoiceField(choices=Activity.choices)
    minutes = serializers.IntegerField()
    pain_before = serializers.IntegerField(allow_null=True)
    pain = serializers.IntegerField(allow_null=True)
    pain_duration = serializers.ChoiceField(choices=PainDuration.choices, allow_blank=True)
    sharp_pain = serializers.BooleanField()
    exertion = serializers.IntegerField(allow_null=True)
    red_flags = serializers.ListField(child=serializers.ChoiceField(choices=RedFlag.choices))
    notes = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class AlertOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    tier = serializers.ChoiceField(choices=AlertTier.choices)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=RedFlag.choices))
    created_at = serializers.DateTimeField()


class SessionLoggedOut(serializers.Serializer):
    session = SessionOut()
    created = serializers.BooleanField(
        help_text="False when this submission_token was sent before: the first session is "
        "answered and nothing new is stored."
    )
    alert = AlertOut(allow_null=True, help_text="A warning sign or severe pain told the clinic.")
    plan_status = serializers.ChoiceField(choices=PlanStatus.choices)


class HistoryWeekOut(serializers.Serializer):
    plan_id = serializers.IntegerField(source="prescription.plan_id")
    week = serializers.IntegerField(source="prescription.week")
    minutes = serializers.IntegerField(source="prescription.minutes")
    sessions_per_week = serializers.IntegerField(source="prescription.sessions_per_week")
    decision = serializers.ChoiceField(choices=DECISIONS, source="prescription.decision")
    explanation = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    sessions_done = serializers.IntegerField()
    current_plan = serializers.BooleanField(source="plan.is_current")
    sessions = SessionOut(many=True)


class HistoryOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Weeks in the whole history.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    weeks = HistoryWeekOut(many=True, help_text="Newest plan first, each plan's newest week first.")


# --- symptoms -----------------------------------------------------------------------------------


class SymptomReportOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    red_flags = serializers.ListField(child=serializers.ChoiceField(choices=RedFlag.choices))
    pain_now = serializers.IntegerField(allow_null=True)


class SymptomReportedOut(serializers.Serializer):
    report = SymptomReportOut()
    alert = AlertOut(allow_null=True)


# --- questionnaires -----------------------------------------------------------------------------


class InstrumentOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QuestionnaireOut(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = InstrumentOut()
    visit = serializers.CharField()
    opens_on = serializers.DateField()
    last_day = serializers.DateField()


class QuestionOut(serializers.Serializer):
    name = serializers.CharField(help_text="The key to answer it by.")
    label = serializers.CharField()
    help_text = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=["choice", "text"])
    max_length = serializers.IntegerField(allow_null=True)
    choices = ChoiceOut(many=True)


class QuestionnaireDetailOut(QuestionnaireOut):
    intro = serializers.CharField(allow_blank=True)
    open = serializers.BooleanField()
    answered = serializers.BooleanField()
    questions = QuestionOut(many=True, help_text="Empty once it is closed.")


class QuestionnaireAnsweredOut(serializers.Serializer):
    next_questionnaire = serializers.IntegerField(
        allow_null=True, help_text="Another questionnaire waiting today, if any."
    )


# --- settings -----------------------------------------------------------------------------------


class ReminderSettingsOut(serializers.Serializer):
    reminders_enabled = serializers.BooleanField()
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    hour = serializers.IntegerField(min_value=0, max_value=23)
    timezone = serializers.CharField()
