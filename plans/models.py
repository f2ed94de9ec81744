"""What and how much: the exercise library, plans, their weeks, session logs, alerts, reminders."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from plans import engine
from recovery.models import (
    Activity,
    Clearance,
    PatientProfile,
    RulesFields,
    TreatmentType,
    date_range_constraint,
    rules_constraints,
)


class ExerciseCategory(models.TextChoices):
    CARDIO = "cardio", "Cardio"
    CORE = "core", "Core"
    FLEXIBILITY = "flexibility", "Flexibility"


class Exercise(models.Model):
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=16, choices=ExerciseCategory.choices)
    stage = models.PositiveSmallIntegerField(
        help_text="Lowest stage (1–4) this exercise belongs to."
    )
    instructions = models.TextField(help_text="Plain words the patient reads before starting.")
    cautions = models.TextField(blank=True, help_text="When to stop or what to avoid.")
    active = models.BooleanField(default=True)
    contraindicated_for = models.ManyToManyField(
        TreatmentType,
        blank=True,
        related_name="contraindicated_exercises",
        through="Contraindication",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage", "category", "name"]
        constraints = [
            # "Bird-dog" and "bird-dog" are one exercise to a patient and in the CSV.
            models.UniqueConstraint(
                Lower("name"),
                name="exercise_name_unique_any_case",
                violation_error_message="The library already has an exercise of this name "
                "(in upper or lower case).",
            ),
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


class ContraindicationQuerySet(models.QuerySet):
    def blocking(self, treatment_type_id: int, stage: int) -> ContraindicationQuerySet:
        """The contraindications that hide an exercise from a patient after this treatment at
        this stage: those for good and those that last past it."""
        return self.filter(treatment_type_id=treatment_type_id).filter(
            Q(until_stage__isnull=True) | Q(until_stage__gt=stage)
        )


class Contraindication(models.Model):
    """An exercise a patient must not be shown after a treatment: for good, or until their plan
    reaches a stage (DESIGN §7: neck stretches after ACDF until stage 3)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE)
    treatment_type = models.ForeignKey(
        TreatmentType, on_delete=models.CASCADE, db_column="treatmenttype_id"
    )
    until_stage = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Blank: never shown. A stage (2–4): shown from that stage on.",
    )

    objects = ContraindicationQuerySet.as_manager()

    class Meta:
        # The table the plain many-to-many field made, kept with its unique pair.
        db_table = "plans_exercise_contraindicated_for"
        unique_together = [("exercise", "treatment_type")]
        constraints = [
            models.CheckConstraint(
                condition=Q(until_stage__isnull=True) | Q(until_stage__gte=2, until_stage__lte=4),
                name="contraindication_until_stage_range",
                violation_error_message=(
                    "A contraindication lasts until stage 2, 3 or 4, or for good."
                ),
            ),
        ]

    def __str__(self) -> str:
        until = f" until stage {self.until_stage}" if self.until_stage else ""
        return f"{self.exercise} after {self.treatment_type}{until}"


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
    # Why the stage was allowed before its gate (DESIGN §7), "" when it was not: shown on the
    # record and as "stage override" in triage; each override is audited too.
    stage_override_reason = models.TextField(blank=True, default="")
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


class RedFlag(models.TextChoices):
    """Warning signs asked on every log and symptom report (DESIGN section 1 rule 6).

    Labels are questions a patient can answer plainly; each says "new" where it matters. The
    engine decides the tier (emergency or same day) from the code.
    """

    # Emergency: call 911 or go to the nearest emergency department now.
    BLADDER_BOWEL = "bladder_bowel", "New loss of control of your bladder or bowels"
    URINARY_RETENTION = (
        "urinary_retention",
        "New trouble starting to pee, or not feeling when your bladder is full",
    )
    SADDLE_NUMBNESS = (
        "saddle_numbness",
        "New numbness in the groin, buttocks or inner thighs, or when wiping",
    )
    BOTH_LEGS = "both_legs", "New numbness or weakness in both legs"
    RAPID_WEAKNESS = (
        "rapid_weakness",
        "Weakness that is quickly getting worse, or a foot that drags or slaps",
    )
    CHEST_BREATHING = (
        "chest_breathing",
        "Chest pain, sudden shortness of breath or coughing up blood",
    )
    FAINTING = "fainting", "Fainting or nearly fainting"
    NECK_SWELLING = (
        "neck_swelling_breathing",
        "Neck swelling with trouble breathing or swallowing (after neck surgery)",
    )
    # Same day: stop exercising and call your care team today.
    RADIATING_PAIN = "radiating_pain", "New pain spreading down an arm or a leg"
    NUMBNESS = (
        "numbness",
        "New numbness in an arm, leg, hand or foot (numbness around the scar is expected)",
    )
    TINGLING = "tingling", "New tingling or pins and needles"
    WEAKNESS = "weakness", "New weakness in an arm or a leg"
    HAND_CLUMSINESS = "hand_clumsiness", "New clumsiness of the hands, or unsteady walking"
    FEVER = "fever", "Fever or chills"
    WOUND = "wound", "A wound that is red, swollen or draining"
    CALF_PAIN = "calf_pain", "Pain, swelling or warmth in a calf"
    FALL = "fall", "A fall"
    UNCONTROLLED_PAIN = (
        "uncontrolled_pain",
        "Severe pain that your usual pain medicine does not ease",
    )
    HEADACHE_UPRIGHT = (
        "headache_upright",
        "A severe headache that is worse sitting or standing (after an injection)",
    )


class PainDuration(models.TextChoices):
    """How long raised pain lasted, as a patient can answer it. Mapped to hours for the engine:
    only the side of 2 hours (the "2-hour rule") and of 24 hours (severe pain) matter to it, so
    each answer stands for an hour count well inside its band."""

    WITHIN_2H = "within_2h", "Gone within 2 hours"
    LATER = "later", "2 hours to the next day"
    NEXT_DAY = "next_day", "Still there the next day"
    NOT_SETTLED = "not_settled", "It has not settled yet"


# What each answer means to the engine. "Not settled yet" counts as within 2 hours until the
# patient answers the follow-up (then the follow-up's answer is the session's duration).
PAIN_DURATION_HOURS = {
    PainDuration.WITHIN_2H: Decimal("1.0"),
    PainDuration.LATER: Decimal("12.0"),
    PainDuration.NEXT_DAY: Decimal("36.0"),
    PainDuration.NOT_SETTLED: Decimal("0.0"),
}


class PainSettled(models.TextChoices):
    """The follow-up's answer: when did the pain of a session logged "not settled yet" settle."""

    WITHIN_2H = "within_2h", "Within 2 hours"
    LATER = "later", "Later that day"
    NEXT_DAY = "next_day", "It was still there the next day"


PAIN_SETTLED_HOURS = {
    PainSettled.WITHIN_2H: PAIN_DURATION_HOURS[PainDuration.WITHIN_2H],
    PainSettled.LATER: PAIN_DURATION_HOURS[PainDuration.LATER],
    PainSettled.NEXT_DAY: PAIN_DURATION_HOURS[PainDuration.NEXT_DAY],
}


class AlertTier(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    SAME_DAY = "same_day", "Same day"


class AlertKind(models.TextChoices):
    WARNING_SIGN = "warning_sign", "Warning sign"
    SEVERE_PAIN = "severe_pain", "Severe pain"


class AlertOutcome(models.TextChoices):
    """What the clinician did about an alert, recorded when they close it (DESIGN section 14).

    The first six are the clinician's choices (AlertOutcome.chosen()); the last two are written
    by the app: an alert closed because the clinician ended its plan (resumed or replaced), and
    alerts closed before outcomes were recorded.
    """

    SPOKE_ADVISED = "spoke_advised", "Spoke with the patient and advised them"
    SENT_EMERGENCY = "sent_emergency", "Advised the emergency department or 911"
    APPOINTMENT = "appointment", "Booked an urgent appointment"
    NO_ANSWER = "no_answer", "Called, no answer: left a message"
    NO_CONTACT_NEEDED = "no_contact_needed", "Reviewed the record: no contact needed"
    OTHER = "other", "Something else (say what in the note)"
    PLAN_ENDED = "plan_ended", "Closed when the clinician resumed or replaced the plan"
    NOT_RECORDED = "not_recorded", "Closed before outcomes were recorded"

    @classmethod
    def chosen(cls) -> list[tuple[str, str]]:
        """The outcomes a clinician picks from, in the order the form lists them."""
        return [(c.value, c.label) for c in cls if c not in (cls.PLAN_ENDED, cls.NOT_RECORDED)]


ALERT_NOTE_MAX = 1000


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
    created_at = models.DateTimeField(auto_now_add=True)
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
        return [RedFlag(code).label for code in self.red_flags or () if code in RedFlag.values]

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
        return [RedFlag(code).label for code in self.red_flags or () if code in RedFlag.values]


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
