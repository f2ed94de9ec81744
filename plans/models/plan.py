"""A patient's plan and the engine's prescription for each of its weeks."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.db.models import Q

from plans import engine
from plans.wording import Audience, pause_explanation
from recovery.models import (
    Clearance,
    PatientProfile,
    RulesFields,
    date_range_constraint,
    rules_constraints,
)


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


class PauseCause(models.TextChoices):
    """Why a plan was paused, as data: the sentence is built when shown, in the reader's
    language (plans.wording.pause_explanation). Only a clinician's own words are stored as text."""

    NONE = "", "None"  # never paused
    # A warning sign reported in a session or a symptom report, on `pause_day`.
    WARNING_SIGN = "warning_sign", "Warning sign"
    # The engine stopped the plan when a week closed: `pause_week` is the STOP week, whose cause
    # says why (plans.wording).
    WEEK_STOP = "week_stop", "Week stop"
    # The clinician withdrew the clearance: `pause_reason` is their reason, as typed.
    CLEARANCE_WITHDRAWN = "clearance_withdrawn", "Clearance withdrawn"
    # The clinician paused the plan: `pause_reason` is their reason, as typed.
    CLINICIAN = "clinician", "Clinician"


_TYPED = [PauseCause.CLEARANCE_WITHDRAWN, PauseCause.CLINICIAN]


class Plan(RulesFields):
    """A patient's running programme. A resume after a pause starts a new Plan (a new history)."""

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="plans")
    clearance = models.ForeignKey(Clearance, on_delete=models.PROTECT, related_name="plans")
    restarted_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="restarted_as"
    )
    start_date = models.DateField(help_text="Week k is [start + 7(k−1) days, start + 7k days).")
    stage = models.PositiveSmallIntegerField(default=1)
    # Why the stage was allowed before its gate (DESIGN §7), "" when it was not: shown on the
    # record and as "stage override" in triage; each override is audited too.
    stage_override_reason = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    pause_cause = models.CharField(
        max_length=24, choices=PauseCause.choices, blank=True, default=PauseCause.NONE
    )
    # What the pause sentence needs besides the cause: the day a warning sign was reported, the
    # engine's STOP week, or the clinician's reason as they typed it (and only that).
    pause_day = models.DateField(null=True, blank=True)
    pause_week = models.ForeignKey(
        "PlanWeek", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    pause_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    allowed_activities = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def pause_words(self, audience: Audience) -> str:
        """Why the plan was paused, in the active language, for `audience` ("" if never paused).

        An engine stop reads its STOP week: load the plan with `select_related("pause_week")`
        where many are shown (the record, the history, triage reads the columns itself).
        """
        week = self.pause_week if self.pause_cause == PauseCause.WEEK_STOP else None
        return pause_explanation(
            self.pause_cause,
            audience=audience,
            day=self.pause_day,
            reason=self.pause_reason,
            stop=(week.week, week.cause, week.cause_numbers, week.reason) if week else None,
        )

    @property
    def patient_pause_words(self) -> str:
        return self.pause_words("patient")

    @property
    def clinician_pause_words(self) -> str:
        return self.pause_words("clinician")

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
            date_range_constraint("start_date", "plan_start_date_range"),
            models.CheckConstraint(
                condition=Q(pause_cause__in=PauseCause.values), name="plan_pause_cause_valid"
            ),
            # Each cause has what its sentence needs, and nothing else: a warning sign its day,
            # an engine stop its week, a clinician's pause their words (only that is free text).
            models.CheckConstraint(
                condition=Q(pause_cause=PauseCause.WARNING_SIGN, pause_day__isnull=False)
                | (~Q(pause_cause=PauseCause.WARNING_SIGN) & Q(pause_day__isnull=True)),
                name="plan_warning_sign_pause_has_day",
            ),
            models.CheckConstraint(
                condition=Q(pause_cause=PauseCause.WEEK_STOP, pause_week__isnull=False)
                | (~Q(pause_cause=PauseCause.WEEK_STOP) & Q(pause_week__isnull=True)),
                name="plan_week_stop_has_week",
            ),
            models.CheckConstraint(
                condition=(Q(pause_cause__in=_TYPED) & ~Q(pause_reason=""))
                | (~Q(pause_cause__in=_TYPED) & Q(pause_reason="")),
                name="plan_pause_reason_typed_only",
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


class WeekReview(models.TextChoices):
    """The engine's `Review` of a week (plans.engine.Review), as stored."""

    NONE = "", "None"
    SEVERE_PAIN = "severe_pain", "Severe pain"
    REPEATED_PAIN = "repeated_pain", "Repeated pain"
    OVERDOING = "overdoing", "Overdoing"


class PlanWeek(models.Model):
    """The engine's prescription for one week, materialised when the week before it closed."""

    # No index of its own: planweek_unique_week (plan, week) leads with the plan.
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="weeks", db_index=False)
    week = models.PositiveSmallIntegerField()
    minutes = models.PositiveSmallIntegerField()
    sessions_per_week = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=16, choices=_DECISIONS)
    reason = models.TextField()
    # Why the engine asks a clinician to look at this week ("" for none): severe or repeated
    # pain, or overdoing. Triage tier 2 lists weeks with a review.
    review = models.CharField(max_length=16, choices=WeekReview.choices, blank=True, default="")
    # What decided the week, as data (engine.Cause and its numbers by name), so each page can
    # say why the week has its minutes in its own words (plans.wording). Weeks decided before
    # these were kept have a blank cause: pages show their stored `reason` instead.
    cause = models.CharField(max_length=32, blank=True, default="")
    cause_numbers = models.JSONField(default=dict, blank=True)
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
            models.CheckConstraint(
                condition=Q(review__in=WeekReview.values),
                name="planweek_review_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Week {self.week}: {self.minutes} min × {self.sessions_per_week} ({self.decision})"
