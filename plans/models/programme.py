"""The home programme (DESIGN §9): pictures of an exercise, a patient's tailored programme, and
which programme exercises a logged session included."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from plans.models.library import Exercise, dose_constraints
from plans.models.sessions import SessionLog
from recovery.models import PatientProfile

# Up to three pictures per exercise: the position (1–3) is unique per exercise, so the database
# itself refuses a fourth.
MAX_EXERCISE_IMAGES = 3


class ImageFormat(models.TextChoices):
    """What a stored picture is, read from its content when it was checked (never from its name
    or the uploader's content type); the file is served with this type."""

    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    WEBP = "webp", "WebP"


class ExerciseImage(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(help_text="Order on the page, 1–3.")
    # Both files are written by the service after re-encoding, under names it chooses.
    image = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    format = models.CharField(max_length=8, choices=ImageFormat.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(
        max_length=250,
        help_text="What the picture shows, for a patient who cannot see it (required).",
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "position"],
                name="exerciseimage_unique_position",
                violation_error_message="This exercise already has a picture in that place.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_EXERCISE_IMAGES),
                name="exerciseimage_position_range",
                violation_error_message="An exercise has at most three pictures.",
            ),
            models.CheckConstraint(
                condition=Q(format__in=ImageFormat.values), name="exerciseimage_format_valid"
            ),
            models.CheckConstraint(condition=~Q(alt_text=""), name="exerciseimage_alt_required"),
        ]

    def __str__(self) -> str:
        return f"Picture {self.position} of {self.exercise}"


class ProgrammeItem(models.Model):
    """One exercise of a patient's tailored programme, with its dose. A patient with no items has
    the untailored programme: their stage's exercises at the library's defaults. The programme
    belongs to the patient (one record across plans); pages show only the items the open plan's
    stage and the treatment's contraindications allow at the time."""

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="programme_items"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    sets = models.PositiveSmallIntegerField(null=True, blank=True)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    times_per_day = models.PositiveSmallIntegerField(default=1)
    note = models.CharField(max_length=500, blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["patient", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "exercise"], name="programmeitem_unique_exercise"
            ),
            *dose_constraints("programmeitem"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} for {self.patient}"


class SessionExercise(models.Model):
    """A programme exercise the patient ticked as done in a logged session."""

    session_log = models.ForeignKey(
        SessionLog, on_delete=models.CASCADE, related_name="exercises_done"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session_log", "exercise"], name="sessionexercise_unique"
            ),
        ]
        indexes = [
            # Adherence per exercise over the last weeks reads a patient's sessions' ticks.
            models.Index(fields=["exercise", "session_log"], name="sessionexercise_ex_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} in session {self.session_log_id}"
