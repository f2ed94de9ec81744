"""Whether a patient may exercise: clearances and their append-only trail of decisions."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from recovery.models.base import (
    LIFTING_LIMIT_MAX_KG,
    LIFTING_LIMIT_MIN_KG,
    AppendOnlyModel,
    RulesFields,
    date_range_constraint,
    rules_constraints,
)
from recovery.models.people import PatientProfile
from recovery.models.treatments import Treatment


class ClearanceStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


# A status as one word in the trail of decisions ("Pending → Approved", "Clearance pending →
# approved"), in the reader's language.
STATUS_WORDS = {
    "pending": pgettext_lazy("clearance status word", "pending"),
    "approved": pgettext_lazy("clearance status word", "approved"),
    "declined": pgettext_lazy("clearance status word", "declined"),
    "revoked": pgettext_lazy("clearance status word", "revoked"),
}


def status_word(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


class Clearance(RulesFields):
    """A clinician's decision that a patient may exercise, and within which limits.

    An approved clearance is never edited in place: changes to the running plan are made on the
    plan (and audited); a new decision about clearance is a new Clearance with its own events.
    """

    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="clearances")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="clearances")
    status = models.CharField(
        max_length=16, choices=ClearanceStatus.choices, default=ClearanceStatus.PENDING
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    allowed_activities = models.JSONField(default=list, blank=True)
    max_stage = models.PositiveSmallIntegerField(default=1)
    restrictions = models.TextField(blank=True, help_text="Shown to the patient.")
    # The day a clinician saw the surgical wound healed (surgical and minimally invasive
    # treatments): water exercise is refused until it is set (DESIGN §1 rule 2, §7).
    wound_healed_on = models.DateField(null=True, blank=True)
    # Precautions as data (DESIGN §7), shown to the patient until they end: no bending,
    # lifting or twisting until a date; a lifting limit until a date.
    no_bending_until = models.DateField(null=True, blank=True)
    lifting_limit_kg = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    lifting_limit_until = models.DateField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    # Rules are empty until approval.
    start_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    min_increment = models.PositiveSmallIntegerField(null=True, blank=True)
    max_increment = models.PositiveSmallIntegerField(null=True, blank=True)
    target_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            *rules_constraints("clearance"),
            models.CheckConstraint(
                condition=Q(status__in=ClearanceStatus.values), name="clearance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_stage__gte=1, max_stage__lte=4), name="clearance_stage_range"
            ),
            date_range_constraint("start_date", "clearance_start_date_range", nullable=True),
            date_range_constraint(
                "wound_healed_on", "clearance_wound_healed_on_range", nullable=True
            ),
            date_range_constraint(
                "no_bending_until", "clearance_no_bending_until_range", nullable=True
            ),
            date_range_constraint(
                "lifting_limit_until", "clearance_lifting_limit_until_range", nullable=True
            ),
            # A lifting limit has a weight and an end, or neither.
            models.CheckConstraint(
                condition=Q(lifting_limit_kg__isnull=True, lifting_limit_until__isnull=True)
                | Q(
                    lifting_limit_kg__gte=LIFTING_LIMIT_MIN_KG,
                    lifting_limit_kg__lte=LIFTING_LIMIT_MAX_KG,
                    lifting_limit_until__isnull=False,
                ),
                name="clearance_lifting_limit_complete",
            ),
            # An approved clearance carries its rules, a decider and a start date.
            models.CheckConstraint(
                condition=~Q(status=ClearanceStatus.APPROVED)
                | Q(
                    start_minutes__isnull=False,
                    min_increment__isnull=False,
                    max_increment__isnull=False,
                    target_minutes__isnull=False,
                    sessions_per_week__isnull=False,
                    decided_by__isnull=False,
                    start_date__isnull=False,
                ),
                name="clearance_approved_complete",
            ),
            # At most one open (pending or approved) clearance per patient.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=[ClearanceStatus.PENDING, ClearanceStatus.APPROVED]),
                name="clearance_one_open_per_patient",
            ),
        ]
        indexes = [
            # Triage lists pending clearances of a clinician's patients.
            models.Index(
                fields=["status", "requested_at"],
                name="clearance_pending_idx",
                condition=Q(status=ClearanceStatus.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"Clearance for {self.patient} ({self.get_status_display()})"

    def precautions_on(self, day: date) -> list[str]:
        """The structured precautions still in force on `day`, in the patient's words."""
        said = []
        if self.no_bending_until and day <= self.no_bending_until:
            said.append(f"No bending, lifting or twisting until {self.no_bending_until:%A %-d %B}.")
        limit, until = self.lifting_limit_kg, self.lifting_limit_until
        if limit is not None and until and day <= until:
            kg, pounds = f"{float(limit):g}", round(float(limit) * 2.20462)
            said.append(f"Lift nothing heavier than {kg} kg ({pounds} lb) until {until:%A %-d %B}.")
        return said


class ClearanceEvent(AppendOnlyModel):
    """Append-only audit trail of a clearance: written by services, never updated or deleted."""

    clearance = models.ForeignKey(Clearance, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"

    # A clearance approved before its usual wait stores "Override: <what the clinician typed>"
    # (plans.services.clearance): the prefix is the project's word, shown in the reader's language.
    OVERRIDE_PREFIX = "Override: "

    @property
    def reason_words(self) -> str:
        """The reason in the reader's language: the stored "Override: " prefix translated, what
        the clinician typed after it kept as written."""
        if self.reason.startswith(self.OVERRIDE_PREFIX):
            typed = self.reason[len(self.OVERRIDE_PREFIX) :]
            return gettext("Override: %(reason)s") % {"reason": typed}
        return self.reason

    @property
    def from_status_words(self) -> str:
        return status_word(self.from_status) if self.from_status else ""

    @property
    def to_status_words(self) -> str:
        return status_word(self.to_status)
