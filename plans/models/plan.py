"""A patient's plan and the engine's prescription for each of its weeks."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from plans import engine
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


# The pause reason the system writes when a warning sign pauses a plan (stored in English).
WARNING_SIGN_PAUSE = "Warning sign reported on {day:%-d %B %Y}."
_WARNING_SIGN_PAUSE = re.compile(r"^Warning sign reported on (\d{1,2} [A-Z][a-z]+ \d{4})\.$")


def warning_sign_pause_reason(day: date) -> str:
    """What a plan paused by a warning sign stores: English, a record (shown translated)."""
    return WARNING_SIGN_PAUSE.format(day=day)


def pause_reason_words(reason: str) -> str:
    """A stored pause reason in the reader's language (see Plan.pause_reason_words)."""
    found = _WARNING_SIGN_PAUSE.match(reason or "")
    if found:
        try:
            day = datetime.strptime(found.group(1), "%d %B %Y").date()
        except ValueError:
            return reason
        return gettext("Warning sign reported on %(day)s.") % {
            "day": date_format(day, pgettext("date format: day, month and year", "j F Y"))
        }
    return reason


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
    pause_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    allowed_activities = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    @property
    def pause_reason_words(self) -> str:
        """The pause reason in the reader's language. The reason a warning sign writes
        ("Warning sign reported on 3 December 2026.", plans.services.alerts and reports) is
        stored in English, as a record; it is recognised here and said again with the date in
        the active language. Any other reason (a clinician's words) is shown as written."""
        return pause_reason_words(self.pause_reason)

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
