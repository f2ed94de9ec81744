"""Symptom reports and the alerts a clinician sees, with their deliveries and outcomes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plans.models.choices import RedFlag
from plans.models.plan import Plan
from plans.models.sessions import SessionLog
from recovery.models import PatientProfile


class AlertTier(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    SAME_DAY = "same_day", _("Same day")


class AlertKind(models.TextChoices):
    WARNING_SIGN = "warning_sign", _("Warning sign")
    SEVERE_PAIN = "severe_pain", _("Severe pain")


class AlertOutcome(models.TextChoices):
    """What the clinician did about an alert, recorded when they close it (DESIGN section 14).

    The first six are the clinician's choices (AlertOutcome.chosen()); the last two are written
    by the app: an alert closed because the clinician ended its plan (resumed or replaced), and
    alerts closed before outcomes were recorded.
    """

    SPOKE_ADVISED = "spoke_advised", _("Spoke with the patient and advised them")
    SENT_EMERGENCY = "sent_emergency", _("Advised the emergency department or 911")
    APPOINTMENT = "appointment", _("Booked an urgent appointment")
    NO_ANSWER = "no_answer", _("Called, no answer: left a message")
    NO_CONTACT_NEEDED = "no_contact_needed", _("Reviewed the record: no contact needed")
    OTHER = "other", _("Something else (say what in the note)")
    PLAN_ENDED = "plan_ended", _("Closed when the clinician resumed or replaced the plan")
    NOT_RECORDED = "not_recorded", _("Closed before outcomes were recorded")

    @classmethod
    def chosen(cls) -> list[tuple[str, str]]:
        """The outcomes a clinician picks from, in the order the form lists them."""
        return [(c.value, c.label) for c in cls if c not in (cls.PLAN_ENDED, cls.NOT_RECORDED)]


ALERT_NOTE_MAX = 1000


class SymptomReport(models.Model):
    """Warning signs or pain now, reported without a session, in any plan state.

    No flags means the patient ticked "None of these" (then `pain_now` says why they reported).
    """

    patient = models.ForeignKey(
        PatientProfile, on_delete=models.CASCADE, related_name="symptom_reports"
    )
    # The plan open when the patient reported (None while waiting for clearance). Plans go only
    # with their patient, and reports with them: no SET NULL, which append-only would refuse.
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="symptom_reports"
    )
    red_flags = models.JSONField(default=list, blank=True)
    pain_now = models.PositiveSmallIntegerField(null=True, blank=True)
    # The form's one-time token: a double click stores one report.
    submission_token = models.UUIDField(default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_now__isnull=True) | Q(pain_now__gte=0, pain_now__lte=10),
                name="symptomreport_pain_range",
            ),
        ]
        indexes = [
            # The patient record lists a patient's reports, newest first.
            models.Index(fields=["patient", "-created_at"], name="symptomreport_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Symptom report of {self.patient} on {self.created_at:%Y-%m-%d}"

    def red_flag_labels(self) -> list[str]:
        return [str(RedFlag(code).label) for code in self.red_flags or () if code in RedFlag.values]


class Alert(models.Model):
    """A red flag for the clinician. The row is the truth; the e-mail is a delivery attempt."""

    # No plan when the patient reported while waiting for clearance.
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="alerts")
    # What raised it: a session (a warning sign, or severe pain) or a symptom report.
    session_log = models.OneToOneField(
        SessionLog, null=True, blank=True, on_delete=models.CASCADE, related_name="alert"
    )
    symptom_report = models.OneToOneField(
        SymptomReport, null=True, blank=True, on_delete=models.CASCADE, related_name="alert"
    )
    kind = models.CharField(
        max_length=16, choices=AlertKind.choices, default=AlertKind.WARNING_SIGN
    )
    tier = models.CharField(max_length=16, choices=AlertTier.choices)
    flags = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Closing an alert records what was done (acknowledged_* say who closed it and when).
    outcome = models.CharField(max_length=20, choices=AlertOutcome.choices, blank=True, default="")
    outcome_note = models.TextField(max_length=ALERT_NOTE_MAX, blank=True, default="")
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.CharField(max_length=200, blank=True)
    # The clinic's on-call inbox (CLINIC_ALERT_EMAIL, DESIGN section 1 rule 7): an emergency at
    # once, a same-day alert still unacknowledged after ALERT_ESCALATE_HOURS. Sent once: the row
    # is claimed under its lock and marked in the same transaction.
    escalate_at = models.DateTimeField(
        null=True, blank=True, help_text="When the on-call inbox is due this alert."
    )
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the on-call inbox was sent this alert."
    )
    escalation_attempts = models.PositiveSmallIntegerField(default=0)
    escalation_next_attempt_at = models.DateTimeField(null=True, blank=True)
    escalation_last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=AlertTier.values), name="alert_tier_valid"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(session_log__isnull=False, symptom_report__isnull=True)
                | Q(session_log__isnull=True, symptom_report__isnull=False),
                name="alert_one_source",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="alert_ack_complete",
            ),
            # A closed alert says what was done; an open one has no outcome yet.
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, outcome="")
                | Q(acknowledged_at__isnull=False, outcome__in=AlertOutcome.values),
                name="alert_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=AlertOutcome.OTHER) | ~Q(outcome_note=""),
                name="alert_other_outcome_has_note",
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
            # Escalation pass: alerts the on-call inbox may still be due.
            models.Index(
                fields=["escalate_at"],
                name="alert_escalation_idx",
                condition=Q(escalated_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} alert for {self.patient} on {self.created_at:%Y-%m-%d}"
