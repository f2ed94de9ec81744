"""People and clinical status: who someone is, what treatment they had, whether they may exercise.

`recovery` never imports the `plans` app. The one exception is `plans.engine`, a pure module with
no project imports, whose bounds for a plan's rules are the single source of those numbers.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import now as time_now

from plans import engine


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    STAFF = "staff", "Staff"


def name_shown(first_name: str, last_name: str, username: str) -> str:
    """How a person is named on pages: their full name, else their username (as Django's
    get_full_name; also for rows read as values)."""
    return f"{first_name} {last_name}".strip() or username


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # One account per address (case-insensitive); blank addresses are allowed for staff.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"
            ),
        ]

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    def display_name(self) -> str:
        return name_shown(self.first_name, self.last_name, self.username)


class ClinicianProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile"
    )
    title = models.CharField(max_length=60, blank=True, help_text="e.g. Physiotherapist, MD")

    def __str__(self) -> str:
        return self.user.display_name()


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def timezone_choices_grouped() -> list[tuple[str, list[tuple[str, str]]]]:
    """Time zones in <optgroup>s by region for a select, e.g. America → New York. Legacy aliases
    ("US/Eastern", "Etc/GMT+5") are left out: the region/city names cover the same clocks."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(zoneinfo.available_timezones()):
        region, _, place = name.partition("/")
        if not place or region in {"Etc", "SystemV", "US", "Canada", "Brazil", "Mexico", "Chile"}:
            if name != "UTC":
                continue
            region, place = "Other", "UTC"
        groups[region].append((name, place.replace("_", " ").replace("/", " – ")))
    return sorted(groups.items())


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


# Every stored calendar date lies in these absolute bounds (a check constraint on each date column;
# a database cannot know "today"). The forms and services hold tighter bounds relative to today
# (recovery.services, plans.services); these make sure that no row, whoever wrote it (admin,
# shell, import, raw SQL), can take date arithmetic near 9999-12-31: the largest sum the code
# makes, a date plus at most 7 x 32767 days (a small-integer count of days, or of weeks times
# seven: `earliest_clearance`, `Plan.week_bounds`), stays below year 2800.
DATE_FLOOR = date(2000, 1, 1)
DATE_CEILING = date(2100, 12, 31)
STAGE_GATE_DAYS_MAX = 3650


def bounds(low, high, what: str) -> list:
    """Validators for a number from `low` to `high`, saying so beside the field in any form."""
    message = f"{what} must be between {low} and {high}."
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


LIFTING_LIMIT_MIN_KG, LIFTING_LIMIT_MAX_KG = 0.5, 50
# The earliest date of birth the record takes (the latest is today, checked by the forms).
BIRTH_FLOOR = date(1900, 1, 1)
PHONE_DIGITS_MIN, PHONE_DIGITS_MAX = 7, 15  # E.164 allows at most 15 digits


def tidy_phone(text: str) -> str:
    """A phone number as a clinic types it ("(555) 010-2030", "+1 555 010 2030"), spaces tidied;
    ValueError with the reason when it is not one (letters, an extension, too few digits)."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    body = text[1:] if text.startswith("+") else text
    if any(c not in "0123456789 -()." for c in body):
        raise ValueError("Use digits only, with spaces, dashes, dots or brackets if you like.")
    digits = sum(c.isdigit() for c in body)
    if not PHONE_DIGITS_MIN <= digits <= PHONE_DIGITS_MAX:
        raise ValueError(
            f"A phone number has {PHONE_DIGITS_MIN} to {PHONE_DIGITS_MAX} digits "
            f"(this one has {digits})."
        )
    return text


def tel_href(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    if not digits:
        return ""
    return f"tel:{'+' if phone.startswith('+') else ''}{digits}"


class PatientProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_profile"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patients",
        limit_choices_to={"role": Role.CLINICIAN},
    )
    timezone = models.CharField(max_length=64, default="America/New_York")
    reminder_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    reminder_hour = models.PositiveSmallIntegerField(default=9)
    reminders_enabled = models.BooleanField(default=True)
    # Contact and identity (DESIGN section 14): the clinic calls back on `phone`, and date of
    # birth and the clinic's own record number tell two patients of the same name apart. Taken
    # at enrolment (patients enrolled before have them blank until a clinician fills them in).
    phone = models.CharField(max_length=32, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    record_number = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=True)
                | Q(date_of_birth__gte=BIRTH_FLOOR, date_of_birth__lte=DATE_CEILING),
                name="patient_date_of_birth_range",
            ),
            # One patient per clinic record number (case-insensitive); blank for none.
            models.UniqueConstraint(
                Lower("record_number"),
                condition=~Q(record_number=""),
                name="patient_record_number_unique_ci",
            ),
            models.CheckConstraint(
                condition=Q(reminder_weekday__gte=0, reminder_weekday__lte=6),
                name="patient_reminder_weekday_range",
            ),
            models.CheckConstraint(
                condition=Q(reminder_hour__gte=0, reminder_hour__lte=23),
                name="patient_reminder_hour_range",
            ),
        ]

    def __str__(self) -> str:
        return self.user.display_name()

    @property
    def tel_href(self) -> str:
        """The phone number as a tap-to-call link ("tel:+15550102030"), or "" for none."""
        return tel_href(self.phone)

    @property
    def age(self) -> int | None:
        """Age in whole years on the patient's own calendar today."""
        return self.age_on(self.local_date(time_now()))

    def age_on(self, day: date) -> int | None:
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def local_date(self, moment) -> date:
        """The patient's calendar date at an aware moment: weeks follow the patient's clock."""
        return moment.astimezone(self.tz).date()


class Category(models.TextChoices):
    CONSERVATIVE = "conservative", "Conservative care"
    INJECTION = "injection", "Injection"
    MINIMALLY_INVASIVE = "minimally_invasive", "Minimally invasive"
    SURGICAL = "surgical", "Surgical"


class Activity(models.TextChoices):
    """Cardio activities a session can be logged for, each with the lowest stage it belongs to."""

    WALKING = "walking", "Walking"
    WATER = "water", "Swimming or water exercise"
    RECUMBENT_BIKE = "recumbent_bike", "Recumbent cycling"
    STATIONARY_BIKE = "stationary_bike", "Stationary cycling"
    ELLIPTICAL = "elliptical", "Elliptical trainer"
    RUNNING = "running", "Running"


# The lowest stage at which each activity may be allowed (DESIGN §1 rule 2, version 2): walking,
# recumbent and stationary cycling and water exercise are first activities, each allowed or not
# by the clearance (water only once a wound is seen healed); elliptical is stage 3, running 4.
# Stages otherwise grade the core work (stage 2 adds core stability only).
ACTIVITY_MIN_STAGE = {
    Activity.WALKING: 1,
    Activity.WATER: 1,
    Activity.RECUMBENT_BIKE: 1,
    Activity.STATIONARY_BIKE: 1,
    Activity.ELLIPTICAL: 3,
    Activity.RUNNING: 4,
}


def activities_for_stage(stage: int) -> list[str]:
    return [str(a) for a, lowest in ACTIVITY_MIN_STAGE.items() if lowest <= stage]


def date_range_constraint(
    field: str, name: str, *, nullable: bool = False
) -> models.CheckConstraint:
    """`field` lies within [DATE_FLOOR, DATE_CEILING] (or is null when `nullable`)."""
    condition = Q(**{f"{field}__gte": DATE_FLOOR, f"{field}__lte": DATE_CEILING})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def rules_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The engine's bounds for a plan's rules, enforced by the database as well."""
    e = engine
    return [
        models.CheckConstraint(
            condition=Q(
                start_minutes__gte=e.START_MINUTES_MIN, start_minutes__lte=e.START_MINUTES_MAX
            ),
            name=f"{prefix}_start_minutes_range",
        ),
        models.CheckConstraint(
            condition=Q(
                min_increment__gte=e.INCREMENT_MIN,
                min_increment__lte=models.F("max_increment"),
                max_increment__lte=e.INCREMENT_MAX,
            ),
            name=f"{prefix}_increment_range",
        ),
        models.CheckConstraint(
            condition=Q(
                target_minutes__gte=models.F("start_minutes"),
                target_minutes__lte=e.TARGET_MINUTES_MAX,
            ),
            name=f"{prefix}_target_range",
        ),
        models.CheckConstraint(
            condition=Q(
                sessions_per_week__gte=e.SESSIONS_MIN, sessions_per_week__lte=e.SESSIONS_MAX
            ),
            name=f"{prefix}_sessions_range",
        ),
    ]


class RulesFields(models.Model):
    """The five numbers the plan engine needs. Subclasses add `rules_constraints(...)`."""

    start_minutes = models.PositiveSmallIntegerField()
    min_increment = models.PositiveSmallIntegerField()
    max_increment = models.PositiveSmallIntegerField()
    target_minutes = models.PositiveSmallIntegerField()
    sessions_per_week = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True

    def rules(self) -> engine.Rules:
        return engine.Rules(
            start_minutes=self.start_minutes,
            min_increment=self.min_increment,
            max_increment=self.max_increment,
            target_minutes=self.target_minutes,
            sessions_per_week=self.sessions_per_week,
        )


class TreatmentType(models.Model):
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    min_days_to_clearance = models.PositiveSmallIntegerField(
        help_text="Days after the procedure before exercise clearance may be approved."
    )
    # Each bound is said beside its field (validators) and held by the database (constraints
    # below, whose messages report what relates two fields).
    default_start_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=bounds(
            engine.START_MINUTES_MIN,
            engine.START_MINUTES_MAX,
            "The first week's session length (minutes)",
        ),
    )
    default_min_increment = models.PositiveSmallIntegerField(
        default=5,
        validators=bounds(engine.INCREMENT_MIN, engine.INCREMENT_MAX, "The smallest step"),
    )
    default_max_increment = models.PositiveSmallIntegerField(
        default=10,
        validators=bounds(engine.INCREMENT_MIN, engine.INCREMENT_MAX, "The largest step"),
    )
    default_target_minutes = models.PositiveSmallIntegerField(
        default=45,
        validators=bounds(
            engine.START_MINUTES_MIN,
            engine.TARGET_MINUTES_MAX,
            "The target (minutes per session)",
        ),
    )
    default_sessions_per_week = models.PositiveSmallIntegerField(
        default=5, validators=bounds(engine.SESSIONS_MIN, engine.SESSIONS_MAX, "Sessions per week")
    )
    default_max_stage = models.PositiveSmallIntegerField(
        default=1, validators=bounds(1, 4, "The highest default stage")
    )
    # Stage gates (DESIGN §7): days since the procedure before each stage; earlier needs a
    # written override. Stage 1 has no gate beyond clearance.
    days_before_stage_2 = models.PositiveSmallIntegerField(
        default=0,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 2"),
        help_text="Days after the procedure before stage 2 (core stability).",
    )
    days_before_stage_3 = models.PositiveSmallIntegerField(
        default=14,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 3"),
        help_text="Days after the procedure before stage 3 (challenging core, light resistance, "
        "elliptical).",
    )
    # Default precautions after this treatment (DESIGN §7): weeks of no bending, lifting or
    # twisting, and a lifting limit for the same weeks (0 weeks and no limit: none).
    precaution_weeks = models.PositiveSmallIntegerField(
        default=0,
        validators=bounds(0, 104, "Weeks of precautions"),
        help_text="Weeks after the procedure with no bending, lifting or twisting.",
    )
    default_lifting_limit_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=bounds(
            Decimal(str(LIFTING_LIMIT_MIN_KG)),
            Decimal(str(LIFTING_LIMIT_MAX_KG)),
            "A lifting limit (kg)",
        ),
        help_text="Lifting limit (kg) for the same weeks; empty for none.",
    )
    days_before_stage_4 = models.PositiveSmallIntegerField(
        default=42,
        validators=bounds(0, STAGE_GATE_DAYS_MAX, "Days before stage 4"),
        help_text="Days after the procedure before stage 4 (running, heavy lifting, contact "
        "sport).",
    )
    contraindicated_activities = models.JSONField(
        default=list,
        blank=True,
        help_text="Activities not offered until a clinician allows them (e.g. swimming before a "
        "surgical wound has healed).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="treatment_type_category_valid",
                violation_error_message="Choose a category from the list.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_start_minutes__gte=engine.START_MINUTES_MIN,
                    default_start_minutes__lte=engine.START_MINUTES_MAX,
                ),
                name="treatment_type_start_range",
                violation_error_message=f"The first week's session length must be between "
                f"{engine.START_MINUTES_MIN} and {engine.START_MINUTES_MAX} minutes.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_min_increment__gte=engine.INCREMENT_MIN,
                    default_min_increment__lte=models.F("default_max_increment"),
                    default_max_increment__lte=engine.INCREMENT_MAX,
                ),
                name="treatment_type_increment_range",
                violation_error_message="The smallest weekly step cannot be larger than the "
                "largest step.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_target_minutes__gte=models.F("default_start_minutes"),
                    default_target_minutes__lte=engine.TARGET_MINUTES_MAX,
                ),
                name="treatment_type_target_range",
                violation_error_message="The target must be at least the first week's session "
                "length.",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_sessions_per_week__gte=engine.SESSIONS_MIN,
                    default_sessions_per_week__lte=engine.SESSIONS_MAX,
                ),
                name="treatment_type_sessions_range",
                violation_error_message=f"Sessions per week must be between {engine.SESSIONS_MIN} "
                f"and {engine.SESSIONS_MAX}.",
            ),
            models.CheckConstraint(
                condition=Q(default_max_stage__gte=1, default_max_stage__lte=4),
                name="treatment_type_stage_range",
                violation_error_message="The highest default stage must be between 1 and 4.",
            ),
            # Each stage comes later than the one before it (and within ten years).
            models.CheckConstraint(
                condition=Q(
                    days_before_stage_2__lt=models.F("days_before_stage_3"),
                    days_before_stage_3__lt=models.F("days_before_stage_4"),
                    days_before_stage_4__lte=STAGE_GATE_DAYS_MAX,
                ),
                name="treatment_type_stage_gates_increase",
                violation_error_message="Each stage must come later than the one before it: "
                "fewer days before stage 2 than before stage 3, and before stage 3 than stage 4.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def default_rules(self) -> engine.Rules:
        return engine.Rules(
            start_minutes=self.default_start_minutes,
            min_increment=self.default_min_increment,
            max_increment=self.default_max_increment,
            target_minutes=self.default_target_minutes,
            sessions_per_week=self.default_sessions_per_week,
        )

    def default_precautions(self, procedure_date: date) -> dict:
        """The clearance's precaution fields this treatment suggests, from the procedure date."""
        if not self.precaution_weeks:
            return {"no_bending_until": None, "lifting_limit_kg": None, "lifting_limit_until": None}
        until = procedure_date + timedelta(weeks=self.precaution_weeks)
        limit = self.default_lifting_limit_kg
        return {
            "no_bending_until": until,
            "lifting_limit_kg": limit,
            "lifting_limit_until": until if limit is not None else None,
        }

    def days_before_stage(self, stage: int) -> int:
        """Days since the procedure before `stage` may be allowed (0 for stage 1)."""
        return {
            2: self.days_before_stage_2,
            3: self.days_before_stage_3,
            4: self.days_before_stage_4,
        }.get(stage, 0)

    def stage_gate(self, stage: int, procedure_date: date) -> date:
        """The first day `stage` may be allowed without an override."""
        return procedure_date + timedelta(days=self.days_before_stage(stage))

    def default_activities(self) -> list[str]:
        blocked = set(self.contraindicated_activities or [])
        return [a for a in activities_for_stage(self.default_max_stage) if a not in blocked]


# Treatments with a wound: water exercise waits for the date it was seen healed.
WOUND_CATEGORIES = frozenset({"surgical", "minimally_invasive"})


class Treatment(models.Model):
    patient = models.ForeignKey(PatientProfile, on_delete=models.CASCADE, related_name="treatments")
    treatment_type = models.ForeignKey(TreatmentType, on_delete=models.PROTECT, related_name="+")
    procedure_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-procedure_date"]
        constraints = [date_range_constraint("procedure_date", "treatment_procedure_date_range")]

    def __str__(self) -> str:
        return f"{self.treatment_type} on {self.procedure_date:%Y-%m-%d}"

    @property
    def earliest_clearance(self) -> date:
        return earliest_clearance_date(
            self.procedure_date, self.treatment_type.min_days_to_clearance
        )


def earliest_clearance_date(procedure_date: date, min_days_to_clearance: int) -> date:
    """The first day exercise may be cleared after a procedure (also for rows read as values)."""
    return procedure_date + timedelta(days=min_days_to_clearance)


class ClearanceStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"


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


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk writes that would rewrite history are refused (PostgreSQL triggers back this up)."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise ValueError(f"{self.model.__name__} rows are append-only.")


class ClearanceEvent(models.Model):
    """Append-only audit trail of a clearance: written by services, never updated or deleted."""

    clearance = models.ForeignKey(Clearance, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Clearance events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Clearance events are append-only.")


class AuditEvent(models.Model):
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

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="audit_patient_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class OutboxEmailKind(models.TextChoices):
    ENROLMENT = "enrolment", "Enrolment: choose a password"
    INVITE = "invite", "New sign-in link"
    PASSWORD_RESET = "password_reset", "Password reset"


class OutboxEmail(models.Model):
    """One e-mail to one person, written in the transaction of the change that causes it and sent
    later (recovery.outbox): a broker or mail outage delays it and never loses it.

    Subject and parts are rendered when the row is written, from contexts that hold no health
    detail. The body carries a set-password link, a credential for PASSWORD_RESET_TIMEOUT (it
    expires as Django's token does, `expires_at`): the parts are blanked once the row is sent or
    given up, so a stored link lives only while it waits.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_emails"
    )
    kind = models.CharField(max_length=32, choices=OutboxEmailKind.choices)
    to = models.EmailField(max_length=254)
    subject = models.TextField()
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=time_now)
    expires_at = models.DateTimeField()  # not sent by then: given up (the link no longer works)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True, given_up_at__isnull=True),
                name="outbox_email_waiting_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(given_up_at__isnull=True),
                name="outbox_email_sent_or_given_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} e-mail {self.pk}"
