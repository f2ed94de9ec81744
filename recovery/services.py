"""Writes on the people side: a patient's contact details, reminder settings and clinician, the
sign-in links they are sent, and the checks enrolment shares.

Every clearance write (enrolment's request, decline, approval, revocation, precautions, the
wound) lives in `plans.services.clearance` and `plans.services.clearance_terms`: approving starts
a plan, and a plan is the layer above. Row locks follow the one lock order written in the
`plans.services` docstring.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from recovery.audit import audit
from recovery.emails import account_email, enrolment_email
from recovery.errors import DomainError
from recovery.models import (
    BIRTH_FLOOR,
    DATE_CEILING,
    DATE_FLOOR,
    Category,
    Language,
    OutboxEmail,
    OutboxEmailKind,
    PatientProfile,
    Role,
    User,
    tidy_phone,
)
from recovery.outbox import outbox_add

logger = logging.getLogger(__name__)

# How far a procedure date may lie from today on the patient's calendar. Five years back covers a
# late referral; a procedure is booked at most a year ahead. Anything else is a slip of the keys
# (9999-12-31) that would break every page adding days to it. The enrolment form and
# `patient_enrol` refuse it; the database bounds every date absolutely (recovery.models.DATE_FLOOR).
PROCEDURE_DAYS_BACK = 5 * 365 + 1
PROCEDURE_DAYS_AHEAD = 366


def _day_month_year(day: date) -> str:
    return date_format(day, pgettext("date format: day, month and year", "j F Y"))


def require_assigned_clinician(
    patient: PatientProfile, actor: User, *, action: str = gettext_lazy("decide on clearance")
) -> None:
    if actor.role != Role.CLINICIAN or patient.clinician_id != actor.pk:
        raise DomainError(
            _("Only the patient's assigned clinician can %(action)s.") % {"action": action}
        )


def check_procedure_date(procedure_date: date, *, today: date, planned: bool) -> None:
    """Refuse a procedure date outside [today - ~5 years, today + 1 year], or in the future
    without 'planned'. Subtraction only: no arithmetic here can overflow, whatever the date."""
    if not isinstance(procedure_date, date):
        raise DomainError(_("Please give the procedure date."), field="procedure_date")
    days = (procedure_date - today).days
    if not -PROCEDURE_DAYS_BACK <= days <= PROCEDURE_DAYS_AHEAD or not (
        DATE_FLOOR <= procedure_date <= DATE_CEILING
    ):
        raise DomainError(
            _(
                "The procedure date must be within the last five years, or within the next year "
                "for a planned procedure."
            ),
            field="procedure_date",
        )
    if not planned and days > 0:
        raise DomainError(
            _(
                "A procedure that has already happened cannot be in the future. "
                "Tick 'planned procedure' for one that is still to come."
            ),
            field="procedure_date",
        )


RECORD_NUMBER_MAX = 32


def check_contact(
    *,
    phone: str,
    date_of_birth: date | None,
    record_number: str,
    today: date,
    patient: PatientProfile | None = None,
) -> dict:
    """The contact and identity fields, tidied, or a DomainError beside the field at fault.

    `patient` is the one being edited (their own record number is not a clash)."""
    try:
        phone = tidy_phone(phone)
    except ValueError as error:
        raise DomainError(str(error), field="phone") from None
    if date_of_birth is not None and not BIRTH_FLOOR <= date_of_birth <= today:
        raise DomainError(
            _("Give a date of birth between %(day)s and today.")
            % {
                "day": date_format(
                    BIRTH_FLOOR, pgettext("date format: day, month and year", "j F Y")
                )
            },
            field="date_of_birth",
        )
    record_number = " ".join((record_number or "").split())
    if len(record_number) > RECORD_NUMBER_MAX:
        raise DomainError(
            _("A record number has at most %(n)d characters.") % {"n": RECORD_NUMBER_MAX},
            field="record_number",
        )
    if record_number:
        clash = PatientProfile.objects.filter(record_number__iexact=record_number)
        if patient is not None:
            clash = clash.exclude(pk=patient.pk)
        if clash.exists():
            raise DomainError(
                _("Another patient has this record number already."), field="record_number"
            )
    return {"phone": phone, "date_of_birth": date_of_birth, "record_number": record_number}


@transaction.atomic
def patient_update_contact(
    *,
    patient: PatientProfile,
    actor: User,
    phone: str,
    date_of_birth: date | None,
    record_number: str,
    today: date,
) -> PatientProfile:
    """The assigned clinician corrects the patient's phone, date of birth or record number.
    Audited by which fields changed (their values are the patient's, not the audit log's)."""
    patient = PatientProfile.objects.select_for_update().get(pk=patient.pk)
    require_assigned_clinician(patient, actor, action=gettext_lazy("change this patient's details"))
    values = check_contact(
        phone=phone,
        date_of_birth=date_of_birth,
        record_number=record_number,
        today=today,
        patient=patient,
    )
    changed = [name for name, value in values.items() if getattr(patient, name) != value]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, values[name])
    try:
        with transaction.atomic():
            patient.save(update_fields=changed)
    except IntegrityError:  # the same record number saved by someone else meanwhile
        raise DomainError(
            _("Another patient has this record number already."), field="record_number"
        ) from None
    audit("patient_update_contact", actor=actor, obj=patient, patient=patient, fields=changed)
    return patient


def username_from_email(email: str) -> str:
    base = re.sub(r"[^a-z0-9.@+_-]", "", email.lower())[:140] or "patient"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def set_password_email(user: User, *, kind: str) -> OutboxEmail:
    """The choose-your-password e-mail, written to the outbox in the caller's transaction: the
    account and its e-mail commit together, and the outbox sends it after commit, however long
    the broker or the mail server is away (recovery.outbox). The link is Django's reset token."""
    message = enrolment_email(
        first_name=user.first_name or user.username,
        username=user.username,
        email=user.email,
        link=enrolment_link(user, settings.SITE_URL),
        language=user.language,
    )
    return outbox_add(user=user, kind=kind, message=message)


@transaction.atomic
def care_team_account_create(
    *, email: str, first_name: str, last_name: str, role: str, actor: User | None = None
) -> User:
    """A clinician's or staff member's account with no password yet, and the e-mail with the link
    to choose one (the enrolment link: one use, three days), committed together. Staff sign in
    to the admin with a second factor, which they set up at their first sign-in."""
    if role not in (Role.CLINICIAN, Role.STAFF):
        raise DomainError("A care-team account is a clinician's or a staff member's.", field="role")
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(f"{email!r} is not an e-mail address.", field="email") from None
    if not first_name.strip():
        raise DomainError("Give the first name (it greets them in the e-mail).", field="first_name")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(f"An account with the e-mail {email} exists already.", field="email")
    user = User(
        username=username_from_email(email),
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        is_staff=role == Role.STAFF,
    )
    user.set_unusable_password()
    user.save()
    message = account_email(
        first_name=user.first_name,
        username=user.username,
        email=user.email,
        role=Role(role).label.lower(),
        link=enrolment_link(user, settings.SITE_URL),
        site_url=settings.SITE_URL,
        language=user.language,
    )
    outbox_add(user=user, kind=OutboxEmailKind.ENROLMENT, message=message)
    audit("care_team_account_create", actor=actor, obj=user, role=role)
    return user


def enrolment_link(user: User, site_url: str) -> str:
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


__all__ = [
    "Category",
    "care_team_account_create",
    "check_contact",
    "check_procedure_date",
    "enrolment_link",
    "patient_update_contact",
    "require_assigned_clinician",
    "set_password_email",
]


def check_reminder_settings(*, weekday: int, hour: int, timezone_name: str) -> None:
    """A DomainError beside the field at fault, or nothing."""
    import zoneinfo

    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise DomainError(_("Pick a day of the week."), field="weekday")
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise DomainError(_("Pick an hour of the day."), field="hour")
    if timezone_name not in zoneinfo.available_timezones():
        raise DomainError(_("Pick a time zone from the list."), field="timezone")


@transaction.atomic
def patient_update_reminders(
    *,
    patient: PatientProfile,
    weekday: int,
    hour: int,
    timezone_name: str,
    enabled: bool,
    actor: User | None = None,
) -> PatientProfile:
    """Save when the patient wants the weekly reminder, on their own clock, or that they want none.

    The time zone also decides the patient's calendar day, so it moves their weeks too. The
    patient chooses (`actor` None); a superuser correcting them in the admin is audited apart,
    so that the patient's own choice stays recognisable.
    """
    check_reminder_settings(weekday=weekday, hour=hour, timezone_name=timezone_name)
    patient.reminder_weekday = weekday
    patient.reminder_hour = hour
    patient.timezone = timezone_name
    patient.reminders_enabled = bool(enabled)
    patient.save(
        update_fields=["reminder_weekday", "reminder_hour", "timezone", "reminders_enabled"]
    )
    # The selector `plans.selectors.reminders_ever_saved` reads this action name.
    audit(
        "patient_update_reminders" if actor is None else "admin_update_reminders",
        actor=actor or patient.user,
        obj=patient,
        patient=patient,
        weekday=weekday,
        hour=hour,
        timezone=timezone_name,
        enabled=bool(enabled),
    )
    return patient


@transaction.atomic
def patient_reassign(*, patient: PatientProfile, clinician: User, actor: User) -> PatientProfile:
    """Give the patient another assigned clinician (who then sees their record and alerts)."""
    if clinician.role != Role.CLINICIAN or not clinician.is_active:
        raise DomainError(_("Choose an active clinician."), field="clinician")
    patient = PatientProfile.objects.select_for_update().get(pk=patient.pk)
    before = patient.clinician_id
    if before == clinician.pk:
        return patient
    patient.clinician = clinician
    patient.save(update_fields=["clinician"])
    audit(
        "patient_reassign",
        actor=actor,
        obj=patient,
        patient=patient,
        from_clinician=before,
        to_clinician=clinician.pk,
    )
    return patient


@transaction.atomic
def patient_resend_invite(*, patient: PatientProfile, actor: User) -> None:
    """E-mail a fresh set-your-password link to a patient who has not chosen a password yet.

    The enrolment link expires after three days, and "Forgot your password?" ignores accounts
    that never had one (Django's reset form skips unusable passwords): without this, a patient
    who missed the first e-mail could never sign in.
    """
    require_assigned_clinician(
        patient, actor, action=gettext_lazy("send this patient a sign-in link")
    )
    user = patient.user
    if not user.is_active:
        raise DomainError(_("This account is disabled."))
    if user.has_usable_password():
        raise DomainError(
            _(
                "%(name)s has already chosen a password; they can use “Forgot your password?” "
                "on the sign-in page."
            )
            % {"name": user.display_name()}
        )
    audit("patient_invite_resent", actor=actor, obj=patient, patient=patient)
    set_password_email(user, kind=OutboxEmailKind.INVITE)


def account_language_set(*, user: User, language: str) -> User:
    """What every page and e-mail speaks to this person in, from now on (DESIGN section 10)."""
    if language not in Language.values:
        raise DomainError(_("Choose English or Español."), field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        audit("language_change", actor=user, obj=user, language=language)
    return user
