"""What and how much: the exercise library, plans, their weeks, session logs, alerts, reminders."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from plans import engine
from recovery.models import (
    Activity,
    Clearance,
    PatientProfile,
    RulesFields,
    TreatmentType,
    rules_constraints,
)


class ExerciseCategory(models.TextChoices):
    CARDIO = "cardio", "Cardio"
    CORE = "core", "Core"
    FLEXIBILITY = "flexibility", "Flexibility"


class Exercise(models.Model):
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=16, choices=ExerciseCategory.choices)
    stage = models.PositiveSmallIntegerField(
        help_text="Lowest stage (1–4) this exercise belongs to."
    )
    instructions = models.TextField(help_text="Plain words the patient reads before starting.")
    cautions = models.TextField(blank=True, help_text="When to stop or what to avoid.")
    active = models.BooleanField(default=True)
    contraindicated_for = models.ManyToManyField(
        TreatmentType, blank=True, related_name="contraindicated_exercises"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=ExerciseCategory.values), name="exercise_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__gte=1, stage__lte=4), name="exercise_stage_range"
            ),
        ]
        indexes = [
            # The patient dashboard lists active exercises up to the patient's stage.
            models.Index(
                fields=["stage", "category"], name="exercise_active_idx", condition=Q(active=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


class Plan(RulesFields):
    """A patient's running programme. A resume after a pause starts a new Plan (a new history)."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="plans")
    clearance = models.ForeignKey(Clearance, on_delete=models.PROTECT, related_name="plans")
    restarted_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="restarted_as"
    )
    start_date = models.DateField(help_text="Week k is [start + 7(k−1) days, start + 7k days).")
    stage = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    pause_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    allowed_activities = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            *rules_constraints("plan"),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__gte=1, stage__lte=4), name="plan_stage_range"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED]),
                name="plan_one_open_per_patient",
            ),
        ]
        indexes = [
            # The reminder job scans active plans.
            models.Index(
                fields=["start_date"], name="plan_active_idx", condition=Q(status="active")
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} for {self.patient}"

    def week_of(self, day) -> int:
        """Week number of a local calendar day (week 1 starts on the plan's start date)."""
        return engine.week_number(self.start_date, day)

    def week_bounds(self, week: int) -> tuple[date, date]:
        """First day of `week` and the first day after it."""
        first = self.start_date + timedelta(days=7 * (week - 1))
        return first, first + timedelta(days=7)


_DECISIONS = [(d.value, d.name.title()) for d in engine.Decision]


class PlanWeek(models.Model):
    """The engine's prescription for one week, materialised when the week before it closed."""

    # No index of its own: planweek_unique_week (plan, week) leads with the plan.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="weeks", db_index=False)
    week = models.PositiveSmallIntegerField()
    minutes = models.PositiveSmallIntegerField()
    sessions_per_week = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=16, choices=_DECISIONS)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "week"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "week"], name="planweek_unique_week"),
            models.CheckConstraint(condition=Q(week__gte=1), name="planweek_week_positive"),
            models.CheckConstraint(
                condition=Q(minutes__lte=engine.TARGET_MINUTES_MAX), name="planweek_minutes_range"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=[d.value for d in engine.Decision]),
                name="planweek_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Week {self.week}: {self.minutes} min × {self.sessions_per_week} ({self.decision})"


class RedFlag(models.TextChoices):
    """Warning signs asked on every log, as questions a patient can answer plainly."""

    RADIATING_PAIN = "radiating_pain", "New pain spreading down an arm or a leg"
    NUMBNESS = "numbness", "New numbness anywhere"
    TINGLING = "tingling", "New tingling or pins and needles"
    WEAKNESS = "weakness", "New weakness in an arm or a leg"
    FEVER = "fever", "Fever or chills"
    WOUND = "wound", "A wound that is red, swollen or draining"
    CALF_PAIN = "calf_pain", "Pain, swelling or warmth in a calf"
    FALL = "fall", "A fall"
    BLADDER_BOWEL = "bladder_bowel", "Loss of control of your bladder or bowels"
    SADDLE_NUMBNESS = "saddle_numbness", "Numbness in the groin, buttocks or inner thighs"
    BOTH_LEGS = "both_legs", "Numbness or weakness in both legs"
    NECK_SWELLING = "neck_swelling_breathing", "Neck swelling with trouble breathing or swallowing"


class AlertTier(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    SAME_DAY = "same_day", "Same day"


class SessionLog(models.Model):
    # No index of its own: three below lead with the plan. A fourth index on the most written
    # table was one more entry, and one more page to log, for every session.
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="sessions", db_index=False
    )
    date = models.DateField(help_text="The patient's local date of the session.")
    week = models.PositiveSmallIntegerField(help_text="Plan week of `date`, fixed at logging time.")
    activity = models.CharField(max_length=32, choices=Activity.choices)
    minutes = models.PositiveSmallIntegerField()
    pain = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_lasted_hours = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    sharp_pain = models.BooleanField(default=False)
    red_flags = models.JSONField(default=list, blank=True)
    exertion = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    # The form's one-time token: a double click or a resubmitted form stores one session.
    submission_token = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "submission_token"], name="sessionlog_unique_submission"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=300), name="sessionlog_minutes_range"
            ),
            models.CheckConstraint(
                condition=Q(pain__isnull=True) | Q(pain__gte=0, pain__lte=10),
                name="sessionlog_pain_range",
            ),
            models.CheckConstraint(
                condition=Q(pain_lasted_hours__gte=0, pain_lasted_hours__lte=72),
                name="sessionlog_pain_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(exertion__isnull=True) | Q(exertion__gte=6, exertion__lte=20),
                name="sessionlog_borg_range",
            ),
            models.CheckConstraint(condition=Q(week__gte=1), name="sessionlog_week_positive"),
            models.CheckConstraint(
                condition=Q(activity__in=Activity.values), name="sessionlog_activity_valid"
            ),
        ]
        indexes = [
            # Week summaries and the history page read a plan's logs by week and date.
            models.Index(fields=["plan", "week", "date"], name="sessionlog_plan_week_idx"),
            # Triage reads each open plan's last session date: one probe per plan instead of
            # reading its whole history (11.5 -> 7 ms for 500 patients with a year each). The
            # patient page's most recent logs (-date, -id) read in this order too.
            models.Index(fields=["plan", "-date", "-id"], name="sessionlog_plan_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_display()} {self.minutes} min on {self.date:%Y-%m-%d}"

    # The columns the engine reads, in the order `session_summary` takes them.
    SUMMARY_FIELDS = ("minutes", "pain", "pain_lasted_hours", "sharp_pain", "red_flags")

    def summary(self) -> engine.SessionSummary:
        return session_summary(*(getattr(self, name) for name in self.SUMMARY_FIELDS))

    def red_flag_labels(self) -> list[str]:
        return [RedFlag(code).label for code in self.red_flags or () if code in RedFlag.values]


def session_summary(
    minutes, pain, pain_lasted_hours, sharp_pain, red_flags
) -> engine.SessionSummary:
    """A logged session as the engine sees it (from a row or from `values_list`)."""
    return engine.SessionSummary(
        minutes=minutes,
        pain=pain,
        pain_lasted_hours=float(pain_lasted_hours),
        sharp_pain=sharp_pain,
        red_flags=frozenset(red_flags or ()),
    )


class Alert(models.Model):
    """A red flag for the clinician. The row is the truth; the e-mail is a delivery attempt."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="alerts")
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="alerts")
    session_log = models.OneToOneField(SessionLog, on_delete=models.CASCADE, related_name="alert")
    tier = models.CharField(max_length=16, choices=AlertTier.choices)
    flags = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=AlertTier.values), name="alert_tier_valid"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="alert_ack_complete",
            ),
        ]
        indexes = [
            # Triage: open alerts of a clinician's patients.
            models.Index(
                fields=["patient", "created_at"],
                name="alert_open_idx",
                condition=Q(acknowledged_at__isnull=True),
            ),
            # Outbox pass: alerts whose e-mail is not yet delivered.
            models.Index(
                fields=["email_next_attempt_at"],
                name="alert_unsent_idx",
                condition=Q(email_sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} alert for {self.patient} on {self.created_at:%Y-%m-%d}"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Reminder(models.Model):
    """Outbox row of a weekly reminder. The unique (plan, week) row is the claim: one per week."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reminders")
    week = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "week"], name="reminder_unique_week"),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
        ]
        indexes = [
            # The due pass retries pending rows whose next attempt has come.
            models.Index(
                fields=["next_attempt_at"],
                name="reminder_pending_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder for plan {self.plan_id}, week {self.week} ({self.status})"
