"""Outcome measures (DESIGN section 8): instruments, when they are asked, and what was answered.

An `Instrument` is either shipped with StepWise (free to use: pain, PSFS, PGIC) or defined by the
clinic's staff in the admin (a licensed questionnaire whose text StepWise never ships): a clinic
instrument cannot be active, and so cannot be scheduled, until staff tick that the clinic holds a
licence for it (a database CHECK as well as the admin form).

A `Questionnaire` is one instrument due for one patient at one visit of their treatment, open for
a window of days on the patient's own calendar. The beat creates it (unique per plan, visit and
instrument: two beats create one) and closes it as missed when its window ends. A `Response`
and its `Answer` rows are what the patient said: stored once, never updated or deleted (the
models refuse, and database triggers refuse whatever code runs).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from outcomes.scoring import Direction, Scoring
from plans.models import Plan
from recovery.models import AppendOnlyModel, PatientProfile, TreatmentType

# PSFS: the patient names one to five activities and rates each 0–10.
NAMED_ITEMS_MAX = 5
NAMED_ITEM_LENGTH = 80
RATING_MAX = 10


class InstrumentKind(models.TextChoices):
    SHIPPED = "shipped", "Shipped with StepWise (free to use)"
    CLINIC = "clinic", "Added by the clinic (licensed)"


class ScoringKind(models.TextChoices):
    SUM = Scoring.SUM.value, "Sum of the item scores"
    SUM_PERCENT = Scoring.SUM_PERCENT.value, "Sum as a percentage of the highest possible"
    MEAN = Scoring.MEAN.value, "Mean of the item scores"
    SINGLE = Scoring.SINGLE.value, "Single item"


class DirectionKind(models.TextChoices):
    HIGHER_BETTER = Direction.HIGHER_BETTER.value, _("A higher score is better")
    HIGHER_WORSE = Direction.HIGHER_WORSE.value, _("A higher score is worse")


class Visit(models.TextChoices):
    """When an instrument is asked: at clearance approval, then after the plan's start."""

    BASELINE = "baseline", _("Baseline (at clearance approval)")
    WEEK_6 = "week_6", _("6 weeks")
    MONTH_3 = "month_3", _("3 months")
    MONTH_6 = "month_6", _("6 months")
    MONTH_12 = "month_12", _("12 months")


class Instrument(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="A short unique name, e.g. odi.")
    name = models.CharField(max_length=120)
    kind = models.CharField(
        max_length=16, choices=InstrumentKind.choices, default=InstrumentKind.CLINIC
    )
    intro = models.TextField(
        blank=True, help_text="Shown to the patient above the questions, in plain words."
    )
    scoring = models.CharField(max_length=16, choices=ScoringKind.choices)
    direction = models.CharField(max_length=16, choices=DirectionKind.choices)
    minimal_important_change = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The smallest change in the score that matters to a patient; empty for none.",
    )
    # PSFS: the smallest change in one activity's rating that matters (the mean has its own).
    item_minimal_important_change = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    # PSFS: the patient names the items (1–5 activities) at baseline and rates each 0–10.
    patient_named_items = models.BooleanField(default=False, editable=False)
    asked_at_baseline = models.BooleanField(
        default=True, help_text="Untick for questions about change since the start (PGIC)."
    )
    licence_held = models.BooleanField(
        "We hold a licence for this instrument",
        default=False,
        help_text="Required before a clinic instrument can be made active and scheduled.",
    )
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InstrumentKind.values), name="instrument_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(scoring__in=ScoringKind.values), name="instrument_scoring_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=DirectionKind.values), name="instrument_direction_valid"
            ),
            # StepWise never asks a licensed questionnaire the clinic has not said it may use.
            models.CheckConstraint(
                condition=Q(kind=InstrumentKind.SHIPPED) | Q(active=False) | Q(licence_held=True),
                name="instrument_clinic_active_needs_licence",
                violation_error_message="Tick that the clinic holds a licence before making "
                "this instrument active.",
            ),
            models.CheckConstraint(
                condition=Q(minimal_important_change__isnull=True)
                | Q(minimal_important_change__gt=0),
                name="instrument_mic_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        """The name in the reader's language: a shipped instrument's name is translated
        (outcomes.defaults marks it; see outcomes.forms.shown), a clinic-defined one is data."""
        if self.kind == InstrumentKind.SHIPPED and self.name:
            return gettext(self.name)
        return self.name

    def clean(self):
        super().clean()
        if self.kind == InstrumentKind.CLINIC and self.active and not self.licence_held:
            raise ValidationError(
                {"licence_held": "Tick that the clinic holds a licence before making it active."}
            )


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(help_text="The question as the patient reads it.")
    help_text = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["instrument", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "position"], name="item_position_unique_in_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} item {self.position}"


class Option(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=1)
    label = models.CharField(max_length=200)
    score = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="option_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.score})"


class ScheduledInstrument(models.Model):
    """One instrument asked at one visit after one treatment type (DESIGN section 8: the schedule
    is per treatment type). The data migration gives every treatment type the default: pain and
    PSFS at baseline, pain, PSFS and PGIC at 6 weeks, 3, 6 and 12 months."""

    treatment_type = models.ForeignKey(
        TreatmentType, on_delete=models.CASCADE, related_name="outcome_schedule"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="schedule")
    visit = models.CharField(max_length=16, choices=Visit.choices)

    class Meta:
        ordering = ["treatment_type", "visit", "instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["treatment_type", "instrument", "visit"], name="schedule_unique"
            ),
            models.CheckConstraint(condition=Q(visit__in=Visit.values), name="schedule_visit"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} at {self.get_visit_display()}"

    def clean(self):
        super().clean()
        instrument = getattr(self, "instrument", None)
        if instrument and self.visit == Visit.BASELINE and not instrument.asked_at_baseline:
            raise ValidationError({"visit": f"{instrument.name} is not asked at baseline."})


class QuestionnaireStatus(models.TextChoices):
    DUE = "due", "Waiting"
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed"


class Questionnaire(models.Model):
    """One instrument due for a patient at one visit, open on [opens_on, closes_on) of the
    patient's calendar. `plan` is the first plan of the treatment (a plan resumed after a pause
    is a new Plan row: its questionnaires stay with the first one, so visits count from the
    treatment's start and are never asked twice)."""

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="questionnaires"
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="questionnaires")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    visit = models.CharField(max_length=16, choices=Visit.choices)
    opens_on = models.DateField()
    closes_on = models.DateField(help_text="The first day it is no longer open.")
    status = models.CharField(
        max_length=16, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DUE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opens_on", "id"]
        constraints = [
            # Two beats (or a retry) create one row: the scheduler's bulk insert ignores the rest.
            models.UniqueConstraint(
                fields=["plan", "visit", "instrument"], name="questionnaire_once_per_visit"
            ),
            models.CheckConstraint(
                condition=Q(status__in=QuestionnaireStatus.values),
                name="questionnaire_status_valid",
            ),
            models.CheckConstraint(condition=Q(visit__in=Visit.values), name="questionnaire_visit"),
            models.CheckConstraint(
                condition=Q(closes_on__gt=models.F("opens_on")), name="questionnaire_window"
            ),
        ]
        indexes = [
            # /me/'s notice and the scheduler's missed pass read the open ones.
            models.Index(
                fields=["patient", "opens_on"],
                name="questionnaire_due_idx",
                condition=Q(status="due"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.get_visit_display()}) for {self.patient}"

    def is_open_on(self, day) -> bool:
        return self.status == QuestionnaireStatus.DUE and self.opens_on <= day < self.closes_on


class Response(AppendOnlyModel):
    """A patient's answers to one questionnaire, scored when stored: append-only."""

    questionnaire = models.OneToOneField(
        Questionnaire, on_delete=models.PROTECT, related_name="response"
    )
    patient = models.ForeignKey(PatientProfile, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=8, decimal_places=2)
    # The moment the service was given (now, unless demo data replays an earlier answer).
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["patient", "instrument"], name="response_patient_idx")]

    def __str__(self) -> str:
        return f"{self.instrument.code} answered at {self.submitted_at:%Y-%m-%d %H:%M}"


class Answer(AppendOnlyModel):
    """One item's answer: an option chosen, or (PSFS) an activity the patient named and rated."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveSmallIntegerField()
    item = models.ForeignKey(Item, null=True, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(Option, null=True, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=NAMED_ITEM_LENGTH, blank=True)  # PSFS: the activity
    value = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["response", "position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "position"], name="answer_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.label or self.item} = {self.value}"
