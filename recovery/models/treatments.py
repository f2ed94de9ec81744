"""What treatment a patient had: treatment types, their defaults and stage gates, activities."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plans import engine
from recovery.models.base import (
    LIFTING_LIMIT_MAX_KG,
    LIFTING_LIMIT_MIN_KG,
    STAGE_GATE_DAYS_MAX,
    bounds,
    date_range_constraint,
)
from recovery.models.people import PatientProfile


class Category(models.TextChoices):
    CONSERVATIVE = "conservative", _("Conservative care")
    INJECTION = "injection", _("Injection")
    MINIMALLY_INVASIVE = "minimally_invasive", _("Minimally invasive")
    SURGICAL = "surgical", _("Surgical")


class Activity(models.TextChoices):
    """Cardio activities a session can be logged for, each with the lowest stage it belongs to."""

    WALKING = "walking", _("Walking")
    WATER = "water", _("Swimming or water exercise")
    RECUMBENT_BIKE = "recumbent_bike", _("Recumbent cycling")
    STATIONARY_BIKE = "stationary_bike", _("Stationary cycling")
    ELLIPTICAL = "elliptical", _("Elliptical trainer")
    RUNNING = "running", _("Running")


# The lowest stage at which each activity may be allowed (DESIGN §1 rule 2, version 2): walking,
# recumbent and stationary cycling and water exercise are first activities, each allowed or not
# by the clearance (water only once a wound is seen healed); elliptical is stage 3, running 4.
# Stages otherwise grade the core work (stage 2 adds core stability only).
ACTIVITY_MIN_STAGE = {
    Activity.WALKING: 1,
    Activity.WATER: 1,
    Activity.RECUMBENT_BIKE: 1,
    Activity.STATIONARY_BIKE: 1,
    Activity.ELLIPTICAL: 3,
    Activity.RUNNING: 4,
}


def activities_for_stage(stage: int) -> list[str]:
    return [str(a) for a, lowest in ACTIVITY_MIN_STAGE.items() if lowest <= stage]


class TreatmentType(models.Model):
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    min_days_to_clearance = models.PositiveSmallIntegerField(
        help_text="Days after the procedure before exercise clearance may be approved."
    )
    # Each bound is said beside its field (validators) and held by the database (constraints
    # below, whose messages report what relates two fields).
    default_start_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=bounds(
            engine.START_MINUTES_MIN,
            engine.START_MINUTES_MAX,
            "The first week's session length (minutes)",
        ),
    )
    default_min_increment = models.PositiveSmallIntegerField(
        default=5,
        validators=bounds(engine.INCREMENT_MIN, engine.INCREMENT_MAX, "The smallest step"),
    )
    default_max_increment = models.PositiveSmallIntegerField(
        default=10,
        validators=bounds(engine.INCREMENT_MIN, engine.INCREMENT_MAX, "The largest step"),
    )
    default_target_minutes = models.PositiveSmallIntegerField(
        default=45,
        validators=bounds(
            engine.START_MINUTES_MIN,
            engine.TARGET_MINUTES_MAX,
            "The target (minutes per session)",
        ),
    )
    default_sessions_per_week = models.PositiveSmallIntegerField(
        default=5, validators=bounds(engine.SESSIONS_MIN, engine.SESSIONS_MAX, "Sessions per week")
    )
    default_max_stage = models.PositiveSmallIntegerField(
        default=1, validators=bounds(1, 4, "The highest default stage")
    )
    # Stage gates (DESIGN §7): days since the procedure before each stage; earlier needs a
    # written override. Stage 1 has no gate beyond clearance.
    days_before_stage_2 = models.PositiveSmallIntegerField(
        default=0,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 2"),
        help_text="Days after the procedure before stage 2 (core stability).",
    )
    days_before_stage_3 = models.PositiveSmallIntegerField(
        default=14,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 3"),
        help_text="Days after the procedure before stage 3 (challenging core, light resistance, "
        "elliptical).",
    )
    # Default precautions after this treatment (DESIGN §7): weeks of no bending, lifting or
    # twisting, and a lifting limit for the same weeks (0 weeks and no limit: none).
    precaution_weeks = models.PositiveSmallIntegerField(
        default=0,
        validators=bounds(0, 104, "Weeks of precautions"),
        help_text="Weeks after the procedure with no bending, lifting or twisting.",
    )
    default_lifting_limit_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=bounds(
            Decimal(str(LIFTING_LIMIT_MIN_KG)),
            Decimal(str(LIFTING_LIMIT_MAX_KG)),
            "A lifting limit (kg)",
        ),
        help_text="Lifting limit (kg) for the same weeks; empty for none.",
    )
    days_before_stage_4 = models.PositiveSmallIntegerField(
        default=42,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 4"),
        help_text="Days after the procedure before stage 4 (running, heavy lifting, contact "
        "sport).",
    )
    contraindicated_activities = models.JSONField(
        default=list,
        blank=True,
        help_text="Activities not offered until a clinician allows them (e.g. swimming before a "
        "surgical wound has healed).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="treatment_type_category_valid",
                violation_error_message="Choose a category from the list.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_start_minutes__gte=engine.START_MINUTES_MIN,
                    default_start_minutes__lte=engine.START_MINUTES_MAX,
                ),
                name="treatment_type_start_range",
                violation_error_message=f"The first week's session length must be between "
                f"{engine.START_MINUTES_MIN} and {engine.START_MINUTES_MAX} minutes.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_min_increment__gte=engine.INCREMENT_MIN,
                    default_min_increment__lte=models.F("default_max_increment"),
                    default_max_increment__lte=engine.INCREMENT_MAX,
                ),
                name="treatment_type_increment_range",
                violation_error_message="The smallest weekly step cannot be larger than the "
                "largest step.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_target_minutes__gte=models.F("default_start_minutes"),
                    default_target_minutes__lte=engine.TARGET_MINUTES_MAX,
                ),
                name="treatment_type_target_range",
                violation_error_message="The target must be at least the first week's session "
                "length.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_sessions_per_week__gte=engine.SESSIONS_MIN,
                    default_sessions_per_week__lte=engine.SESSIONS_MAX,
                ),
                name="treatment_type_sessions_range",
                violation_error_message=f"Sessions per week must be between {engine.SESSIONS_MIN} "
                f"and {engine.SESSIONS_MAX}.",
            ),
            models.CheckConstraint(
                condition=Q(default_max_stage__gte=1, default_max_stage__lte=4),
                name="treatment_type_stage_range",
                violation_error_message="The highest default stage must be between 1 and 4.",
            ),
            # Each stage comes later than the one before it (and within ten years).
            models.CheckConstraint(
                condition=Q(
                    days_before_stage_2__lt=models.F("days_before_stage_3"),
                    days_before_stage_3__lt=models.F("days_before_stage_4"),
                    days_before_stage_4__lte=STAGE_GATE_DAYS_MAX,
                ),
                name="treatment_type_stage_gates_increase",
                violation_error_message="Each stage must come later than the one before it: "
                "fewer days before stage 2 than before stage 3, and before stage 3 than stage 4.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def default_rules(self) -> engine.Rules:
        return engine.Rules(
            start_minutes=self.default_start_minutes,
            min_increment=self.default_min_increment,
            max_increment=self.default_max_increment,
            target_minutes=self.default_target_minutes,
            sessions_per_week=self.default_sessions_per_week,
        )

    def default_precautions(self, procedure_date: date) -> dict:
        """The clearance's precaution fields this treatment suggests, from the procedure date."""
        if not self.precaution_weeks:
            return {"no_bending_until": None, "lifting_limit_kg": None, "lifting_limit_until": None}
        until = procedure_date + timedelta(weeks=self.precaution_weeks)
        limit = self.default_lifting_limit_kg
        return {
            "no_bending_until": until,
            "lifting_limit_kg": limit,
            "lifting_limit_until": until if limit is not None else None,
        }

    def days_before_stage(self, stage: int) -> int:
        """Days since the procedure before `stage` may be allowed (0 for stage 1)."""
        return {
            2: self.days_before_stage_2,
            3: self.days_before_stage_3,
            4: self.days_before_stage_4,
        }.get(stage, 0)

    def stage_gate(self, stage: int, procedure_date: date) -> date:
        """The first day `stage` may be allowed without an override."""
        return procedure_date + timedelta(days=self.days_before_stage(stage))

    def default_activities(self) -> list[str]:
        blocked = set(self.contraindicated_activities or [])
        return [a for a in activities_for_stage(self.default_max_stage) if a not in blocked]


# Treatments with a wound: water exercise waits for the date it was seen healed.
WOUND_CATEGORIES = frozenset({"surgical", "minimally_invasive"})


class Treatment(models.Model):
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="treatments")
    treatment_type = models.ForeignKey(TreatmentType, on_delete=models.PROTECT, related_name="+")
    procedure_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-procedure_date"]
        constraints = [date_range_constraint("procedure_date", "treatment_procedure_date_range")]

    def __str__(self) -> str:
        return f"{self.treatment_type} on {self.procedure_date:%Y-%m-%d}"

    @property
    def earliest_clearance(self) -> date:
        return earliest_clearance_date(
            self.procedure_date, self.treatment_type.min_days_to_clearance
        )


def earliest_clearance_date(procedure_date: date, min_days_to_clearance: int) -> date:
    """The first day exercise may be cleared after a procedure (also for rows read as values)."""
    return procedure_date + timedelta(days=min_days_to_clearance)
