"""Who someone is: accounts and their roles, clinician and patient profiles, contact details."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import now as time_now
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery.models.base import DATE_CEILING


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")
    STAFF = "staff", _("Staff")


def name_shown(first_name: str, last_name: str, username: str) -> str:
    """How a person is named on pages: their full name, else their username (as Django's
    get_full_name; also for rows read as values)."""
    return f"{first_name} {last_name}".strip() or username


class Language(models.TextChoices):
    """The languages StepWise speaks (settings.LANGUAGES), each named in itself: a switch reads
    "Español" to the person who needs it, whatever the page's language."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    # What every page and e-mail speaks to this person in (DESIGN section 10): a patient's is
    # chosen by the clinician at enrolment and changed by the patient in settings.
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="user_language_valid"
            ),
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
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


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
        raise ValueError(
            gettext("Use digits only, with spaces, dashes, dots or brackets if you like.")
        )
    digits = sum(c.isdigit() for c in body)
    if not PHONE_DIGITS_MIN <= digits <= PHONE_DIGITS_MAX:
        raise ValueError(
            gettext("A phone number has %(low)d to %(high)d digits (this one has %(n)d).")
            % {"low": PHONE_DIGITS_MIN, "high": PHONE_DIGITS_MAX, "n": digits}
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
