"""The append-only audit log: who did or saw what, from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from recovery.models.base import AppendOnlyModel
from recovery.models.people import PatientProfile


class AuditEvent(AppendOnlyModel):
    """Append-only record of who did or saw what, from where. Never holds free-text health notes."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        PatientProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, default="ok")
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="audit_patient_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"
