"""Treatment types, the library staff keep."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Exists, OuterRef

from plans import engine
from recovery.admin.base import AuditedAdminMixin, KeepUsedRowsMixin, WrappedFilteredSelectMultiple
from recovery.models import (
    ACTIVITY_MIN_STAGE,
    Activity,
    Treatment,
    TreatmentType,
)

STAGE_MIN, STAGE_MAX = 1, 4


# --- treatment types (staff) -------------------------------------------------------------------


def _between(low: int, high: int, unit: str = "") -> str:
    return f"{low}–{high}{f' {unit}' if unit else ''}"


class TreatmentTypeForm(forms.ModelForm):
    """A treatment type's defaults, checked against the plan engine's bounds.

    The numbers come from `plans.engine`, the one source of them; the database refuses the same
    values with CheckConstraints, this form says why beside the field.
    """

    contraindicated_activities = forms.MultipleChoiceField(
        choices=Activity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Activities not offered",
        help_text="Not offered by default after this treatment until a clinician allows them "
        "(e.g. swimming before a surgical wound has healed).",
    )
    contraindicated_exercises = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=WrappedFilteredSelectMultiple("exercises", is_stacked=False),
        label="Exercises not offered",
        help_text="Library exercises that patients with this treatment must not be shown, for "
        "good or until a stage: the stage is set on the exercise's own page.",
    )

    class Meta:
        model = TreatmentType
        fields = [
            "name",
            "category",
            "active",
            "min_days_to_clearance",
            "default_start_minutes",
            "default_min_increment",
            "default_max_increment",
            "default_target_minutes",
            "default_sessions_per_week",
            "default_max_stage",
            "days_before_stage_2",
            "days_before_stage_3",
            "days_before_stage_4",
            "precaution_weeks",
            "default_lifting_limit_kg",
            "contraindicated_activities",
        ]
        labels = {
            "min_days_to_clearance": "Minimum days before clearance",
            "default_start_minutes": "Start (minutes per session)",
            "default_min_increment": "Smallest weekly step (minutes)",
            "default_max_increment": "Largest weekly step (minutes)",
            "default_target_minutes": "Target (minutes per session)",
            "default_sessions_per_week": "Sessions per week",
            "default_max_stage": "Highest stage allowed by default",
        }
        help_texts = {
            "min_days_to_clearance": "Days after the procedure before clearance may be approved "
            "without an override (0 or more).",
            "default_start_minutes": _between(
                engine.START_MINUTES_MIN, engine.START_MINUTES_MAX, "minutes"
            ),
            "default_min_increment": f"{_between(engine.INCREMENT_MIN, engine.INCREMENT_MAX)}, "
            "no larger than the largest step.",
            "default_max_increment": _between(engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_target_minutes": f"From the start minutes up to {engine.TARGET_MINUTES_MAX}.",
            "default_sessions_per_week": _between(engine.SESSIONS_MIN, engine.SESSIONS_MAX),
            "default_max_stage": f"{_between(STAGE_MIN, STAGE_MAX)}. Stage 4 (running, heavy "
            "lifting, contact sport) always needs a clinician's explicit sign-off.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The reverse side of Exercise.contraindicated_for, reached through the ORM so that this
        # app does not import the plans app.
        exercise_model = TreatmentType._meta.get_field("contraindicated_exercises").related_model
        field = self.fields["contraindicated_exercises"]
        field.queryset = exercise_model.objects.order_by("name")
        if self.instance.pk is not None:
            field.initial = list(
                self.instance.contraindicated_exercises.values_list("pk", flat=True)
            )
        bounds = {
            "min_days_to_clearance": (0, None),
            "default_start_minutes": (engine.START_MINUTES_MIN, engine.START_MINUTES_MAX),
            "default_min_increment": (engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_max_increment": (engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_target_minutes": (engine.START_MINUTES_MIN, engine.TARGET_MINUTES_MAX),
            "default_sessions_per_week": (engine.SESSIONS_MIN, engine.SESSIONS_MAX),
            "default_max_stage": (STAGE_MIN, STAGE_MAX),
        }
        for name, (low, high) in bounds.items():
            # Hints for the browser's number input; the checks that count are the model's.
            attrs = self.fields[name].widget.attrs
            attrs["min"] = low
            if high is not None:
                attrs["max"] = high

    def clean_contraindicated_activities(self) -> list[str]:
        chosen = set(self.cleaned_data.get("contraindicated_activities") or [])
        return [value for value in Activity.values if value in chosen]

    def clean(self):
        """Bounds are the model's (validators beside each field, constraints for what relates
        two fields); what is left is the offer itself: a patient must be able to do something."""
        data = super().clean()
        stage = data.get("default_max_stage")
        blocked = set(data.get("contraindicated_activities") or [])
        if stage in range(STAGE_MIN, STAGE_MAX + 1) and "contraindicated_activities" in data:
            offered = [a for a, lowest in ACTIVITY_MIN_STAGE.items() if lowest <= stage]
            if offered and all(a in blocked for a in offered):
                self.add_error(
                    "contraindicated_activities",
                    f"Leave at least one activity a patient can do at stage {stage} "
                    f"({', '.join(str(Activity(a).label) for a in offered)}).",
                )
        return data


@admin.register(TreatmentType)
class TreatmentTypeAdmin(KeepUsedRowsMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = TreatmentTypeForm
    list_display = (
        "name",
        "category",
        "min_days",
        "start",
        "weekly_step",
        "target",
        "sessions",
        "max_stage",
        "activities_not_offered",
        "exercises_not_offered",
        "active",
    )
    list_display_links = ("name",)
    list_filter = ("category", "active", "default_max_stage")
    search_fields = ("name",)
    ordering = ("name",)
    actions = ("delete_selected", "activate", "deactivate")
    fieldsets = (
        (None, {"fields": ("name", "category", "active", "min_days_to_clearance")}),
        (
            "Default plan rules (a clinician can change each one per patient)",
            {
                "fields": (
                    "default_start_minutes",
                    ("default_min_increment", "default_max_increment"),
                    "default_target_minutes",
                    "default_sessions_per_week",
                    "default_max_stage",
                )
            },
        ),
        (
            "Stage gates: days after the procedure before each stage (earlier needs a "
            "clinician's written override)",
            {"fields": (("days_before_stage_2", "days_before_stage_3", "days_before_stage_4"),)},
        ),
        (
            "Default precautions (shown to the patient; a clinician can change them)",
            {"fields": (("precaution_weeks", "default_lifting_limit_kg"),)},
        ),
        (
            "Not offered after this treatment",
            {"fields": ("contraindicated_activities", "contraindicated_exercises")},
        ),
    )
    used_reason = "patients have had these treatments (deactivate a type to stop offering it)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                exercise_count=Count("contraindicated_exercises", distinct=True),
                used=Exists(Treatment.objects.filter(treatment_type=OuterRef("pk"))),
            )
        )

    # Short column titles: the full labels and their bounds are on the form.
    @admin.display(description="Min. days", ordering="min_days_to_clearance")
    def min_days(self, obj: TreatmentType) -> int:
        return obj.min_days_to_clearance

    @admin.display(description="Start min.", ordering="default_start_minutes")
    def start(self, obj: TreatmentType) -> int:
        return obj.default_start_minutes

    @admin.display(description="Weekly step", ordering="default_max_increment")
    def weekly_step(self, obj: TreatmentType) -> str:
        return _between(obj.default_min_increment, obj.default_max_increment)

    @admin.display(description="Target min.", ordering="default_target_minutes")
    def target(self, obj: TreatmentType) -> int:
        return obj.default_target_minutes

    @admin.display(description="Sessions / week", ordering="default_sessions_per_week")
    def sessions(self, obj: TreatmentType) -> int:
        return obj.default_sessions_per_week

    @admin.display(description="Max. stage", ordering="default_max_stage")
    def max_stage(self, obj: TreatmentType) -> int:
        return obj.default_max_stage

    @admin.display(description="Activities not offered")
    def activities_not_offered(self, obj: TreatmentType) -> str:
        labels = [
            str(Activity(a).label) for a in obj.contraindicated_activities if a in Activity.values
        ]
        return ", ".join(labels) or "—"

    @admin.display(description="Exercises not offered", ordering="exercise_count")
    def exercises_not_offered(self, obj: TreatmentType) -> int:
        return obj.exercise_count

    def is_used(self, obj: TreatmentType) -> bool:
        used = getattr(obj, "used", None)
        if used is None:
            used = Treatment.objects.filter(treatment_type=obj).exists()
        return used

    def used_rows(self, queryset):
        return queryset.filter(
            Exists(Treatment.objects.filter(treatment_type=OuterRef("pk")))
        ).order_by("name")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.contraindicated_exercises.set(form.cleaned_data["contraindicated_exercises"])
