"""The weekly reminder outbox: one row per plan and week."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from plans.models.plan import Plan


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
