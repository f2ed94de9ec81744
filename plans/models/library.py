"""The exercise library: exercises and the treatments that hide them from a patient."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import pgettext_lazy

from recovery.models import TreatmentType

# The range of each part of a dose (lowest, highest): the database's constraints below, the
# admin's form and CSV import, and the clinician's tailoring service all read these.
DOSE_LIMITS = {
    "sets": (1, 10),
    "reps": (1, 50),
    "hold_seconds": (1, 120),
    "times_per_day": (1, 6),
}


def dose_constraints(prefix: str, field_prefix: str = "") -> list[models.CheckConstraint]:
    """The ranges a dose keeps, on the library's defaults and on a patient's tailored dose."""
    f = field_prefix

    def within(part: str) -> Q:
        low, high = DOSE_LIMITS[part]
        return Q(**{f"{f}{part}__gte": low, f"{f}{part}__lte": high})

    return [
        models.CheckConstraint(
            condition=Q(**{f"{f}sets__isnull": True}) | within("sets"),
            name=f"{prefix}_sets_range",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{f}reps__isnull": True}) | within("reps"),
            name=f"{prefix}_reps_range",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{f}hold_seconds__isnull": True}) | within("hold_seconds"),
            name=f"{prefix}_hold_range",
        ),
        models.CheckConstraint(
            condition=within("times_per_day"),
            name=f"{prefix}_times_per_day_range",
        ),
    ]


class ExerciseCategory(models.TextChoices):
    # Labels in the reader's language: the clinician's programme card says "(core, stage 1)".
    CARDIO = "cardio", pgettext_lazy("exercise category", "Cardio")
    CORE = "core", pgettext_lazy("exercise category", "Core")
    FLEXIBILITY = "flexibility", pgettext_lazy("exercise category", "Flexibility")


class Exercise(models.Model):
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=16, choices=ExerciseCategory.choices)
    stage = models.PositiveSmallIntegerField(
        help_text="Lowest stage (1–4) this exercise belongs to."
    )
    instructions = models.TextField(help_text="Plain words the patient reads before starting.")
    cautions = models.TextField(blank=True, help_text="When to stop or what to avoid.")
    active = models.BooleanField(default=True)
    # The dose a patient is given unless their clinician tailors it (DESIGN §9). Blank sets,
    # repetitions or hold for exercises dosed by time, such as walking (the plan's minutes).
    default_sets = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Sets, 1–10. Blank for an exercise dosed by time."
    )
    default_reps = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Repetitions in a set, 1–50. Blank when not counted."
    )
    default_hold_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Seconds to hold each repetition, 1–120. Blank for none."
    )
    default_times_per_day = models.PositiveSmallIntegerField(
        default=1, help_text="How many times a day, 1–6."
    )
    contraindicated_for = models.ManyToManyField(
        TreatmentType,
        blank=True,
        related_name="contraindicated_exercises",
        through="Contraindication",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "category", "name"]
        constraints = [
            # "Bird-dog" and "bird-dog" are one exercise to a patient and in the CSV.
            models.UniqueConstraint(
                Lower("name"),
                name="exercise_name_unique_any_case",
                violation_error_message="The library already has an exercise of this name "
                "(in upper or lower case).",
            ),
            models.CheckConstraint(
                condition=Q(category__in=ExerciseCategory.values), name="exercise_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__gte=1, stage__lte=4), name="exercise_stage_range"
            ),
            *dose_constraints("exercise", "default_"),
        ]
        indexes = [
            # The patient dashboard lists active exercises up to the patient's stage.
            models.Index(
                fields=["stage", "category"], name="exercise_active_idx", condition=Q(active=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContraindicationQuerySet(models.QuerySet):
    def blocking(self, treatment_type_id: int, stage: int) -> ContraindicationQuerySet:
        """The contraindications that hide an exercise from a patient after this treatment at
        this stage: those for good and those that last past it."""
        return self.filter(treatment_type_id=treatment_type_id).filter(
            Q(until_stage__isnull=True) | Q(until_stage__gt=stage)
        )


class Contraindication(models.Model):
    """An exercise a patient must not be shown after a treatment: for good, or until their plan
    reaches a stage (DESIGN §7: neck stretches after ACDF until stage 3)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE)
    treatment_type = models.ForeignKey(
        TreatmentType, on_delete=models.CASCADE, db_column="treatmenttype_id"
    )
    until_stage = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Blank: never shown. A stage (2–4): shown from that stage on.",
    )

    objects = ContraindicationQuerySet.as_manager()

    class Meta:
        # The table the plain many-to-many field made, kept with its unique pair.
        db_table = "plans_exercise_contraindicated_for"
        unique_together = [("exercise", "treatment_type")]
        constraints = [
            models.CheckConstraint(
                condition=Q(until_stage__isnull=True) | Q(until_stage__gte=2, until_stage__lte=4),
                name="contraindication_until_stage_range",
                violation_error_message=(
                    "A contraindication lasts until stage 2, 3 or 4, or for good."
                ),
            ),
        ]

    def __str__(self) -> str:
        until = f" until stage {self.until_stage}" if self.until_stage else ""
        return f"{self.exercise} after {self.treatment_type}{until}"
