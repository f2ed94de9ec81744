"""Logged sessions: their corrections, deletions and next-day pain follow-ups."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from plans import engine
from plans.models.choices import (
    PAIN_SETTLED_HOURS,
    PainDuration,
    PainSettled,
    RedFlag,
)
from plans.models.plan import Plan
from recovery.models import Activity, date_range_constraint

SESSION_NOTES_MAX = 2000
# A patient may correct or delete their own session for this long after saving it (DESIGN
# section 14); the original stays visible to the clinician (SessionLogRevision).
CORRECTION_HOURS = 24


class LiveSessionLogs(models.Manager):
    """Sessions the patient has not deleted: what every page, the engine and triage read. The
    clinician's record reads `SessionLog.with_deleted` to show a deleted session as such."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


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
    # Pain before and after exercise, 0..10. Both are required on the form; None only on logs
    # from before version 2, which the engine classes "unknown" (never green).
    pain_before = models.PositiveSmallIntegerField(null=True, blank=True)
    pain = models.PositiveSmallIntegerField(null=True, blank=True)
    # The patient's answer as given ("" on old logs); `pain_lasted_hours` is what the engine
    # reads: the answer's hours, or the follow-up's once a "not settled yet" is answered.
    pain_duration = models.CharField(
        max_length=16, choices=PainDuration.choices, blank=True, default=""
    )
    pain_lasted_hours = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    sharp_pain = models.BooleanField(default=False)
    red_flags = models.JSONField(default=list, blank=True)
    exertion = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=SESSION_NOTES_MAX)
    # The form's one-time token: a double click or a resubmitted form stores one session.
    submission_token = models.UUIDField(default=uuid.uuid4)
    # When it was logged, on the logging service's clock (`session_log_create(now=...)`): the
    # repeat check and the correction window both read it against that same clock.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The patient's own corrections (within CORRECTION_HOURS): the latest, and a deletion. A
    # deleted session is kept for the clinician, with its versions in SessionLogRevision.
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    with_deleted = models.Manager()
    objects = LiveSessionLogs()

    class Meta:
        ordering = ["-date", "-id"]
        default_manager_name = "objects"
        base_manager_name = "with_deleted"
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
                condition=Q(pain_before__isnull=True) | Q(pain_before__gte=0, pain_before__lte=10),
                name="sessionlog_pain_before_range",
            ),
            models.CheckConstraint(
                condition=Q(pain_duration__in=["", *PainDuration.values]),
                name="sessionlog_pain_duration_valid",
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
            date_range_constraint("date", "sessionlog_date_range"),
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
    SUMMARY_FIELDS = (
        "minutes",
        "pain",
        "pain_lasted_hours",
        "sharp_pain",
        "red_flags",
        "pain_before",
    )

    def summary(self) -> engine.SessionSummary:
        return session_summary(*(getattr(self, name) for name in self.SUMMARY_FIELDS))

    def red_flag_labels(self) -> list[str]:
        return [str(RedFlag(code).label) for code in self.red_flags or () if code in RedFlag.values]

    def correctable_until(self) -> datetime:
        return self.created_at + timedelta(hours=CORRECTION_HOURS)

    def correctable(self, now: datetime) -> bool:
        """The patient may still correct or delete it: within the window, not deleted, and
        without an alert (a warning sign or severe pain reached a person: the care team
        corrects that record, not the patient)."""
        return (
            self.deleted_at is None
            and now < self.correctable_until()
            and getattr(self, "alert", None) is None
        )

    @property
    def pain_response(self) -> engine.PainResponse:
        return engine.pain_response(self.summary())

    @property
    def is_severe(self) -> bool:
        return engine.is_severe(self.summary())


def session_summary(
    minutes, pain, pain_lasted_hours, sharp_pain, red_flags, pain_before=None
) -> engine.SessionSummary:
    """A logged session as the engine sees it (from a row or from `values_list`)."""
    return engine.SessionSummary(
        minutes=minutes,
        pain=pain,
        pain_lasted_hours=float(pain_lasted_hours),
        sharp_pain=sharp_pain,
        red_flags=frozenset(red_flags or ()),
        pain_before=pain_before,
    )


class RevisionKind(models.TextChoices):
    CORRECTED = "corrected", "Corrected"
    DELETED = "deleted", "Deleted"


class SessionLogRevision(models.Model):
    """A session as it was before the patient corrected or deleted it (DESIGN section 14)."""

    session_log = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=16, choices=RevisionKind.choices)
    # The fields as they were, by the names the record shows ("pain before", "notes", …).
    before = models.JSONField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RevisionKind.values), name="sessionlogrevision_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} session {self.session_log_id} at {self.created_at}"


class PainFollowUp(models.Model):
    """The next day's answer for a session logged before its pain settled. Append-only: one per
    session, never changed (the database refuses updates and deletes on PostgreSQL)."""

    session_log = models.OneToOneField(
        SessionLog, on_delete=models.CASCADE, related_name="pain_follow_up"
    )
    settled = models.CharField(max_length=16, choices=PainSettled.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(settled__in=PainSettled.values), name="painfollowup_settled_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up of session {self.session_log_id}: {self.get_settled_display()}"

    @property
    def hours(self) -> Decimal:
        return PAIN_SETTLED_HOURS[PainSettled(self.settled)]
