"""Enrolling a patient and correcting their contact details."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.forms_clinic.base import _date_widget, _helper
from recovery.errors import DomainError
from recovery.models import (
    BIRTH_FLOOR,
    Language,
    TreatmentType,
    tidy_phone,
    timezone_choices_grouped,
)
from recovery.services import (
    PROCEDURE_DAYS_AHEAD,
    PROCEDURE_DAYS_BACK,
    check_procedure_date,
)


def _clean_phone(text: str) -> str:
    try:
        return tidy_phone(text)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None


def _clean_birth(born: date | None) -> date | None:
    if born is not None and not BIRTH_FLOOR <= born <= timezone.localdate():
        raise forms.ValidationError(_("Give a date of birth between 1 January 1900 and today."))
    return born


class ContactForm(forms.Form):
    """The clinician corrects a patient's phone, date of birth and record number."""

    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Where the care team calls the patient back, e.g. (555) 010-2030."),
        widget=forms.TextInput({"type": "tel", "inputmode": "tel"}),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        required=False,
        widget=_date_widget(),
        error_messages={
            "invalid": gettext_lazy("Enter the date of birth as a date, e.g. 1961-04-23.")
        },
    )
    record_number = forms.CharField(
        label=gettext_lazy("Clinic record number (optional)"), max_length=32, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].widget.attrs.update(
            min=BIRTH_FLOOR.isoformat(), max=timezone.localdate().isoformat()
        )
        self.helper = _helper()

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])

    def clean_date_of_birth(self) -> date | None:
        return _clean_birth(self.cleaned_data["date_of_birth"])

    def clean_record_number(self) -> str:
        return " ".join(self.cleaned_data["record_number"].split())


def _required(message) -> dict:
    return {"required": message}


class EnrolForm(forms.Form):
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off"}),
        error_messages=_required(gettext_lazy("Enter the patient's first name.")),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Last name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off"}),
        error_messages=_required(gettext_lazy("Enter the patient's last name.")),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        help_text=gettext_lazy("The patient receives a link here to choose their password."),
        widget=forms.EmailInput({"autocomplete": "off"}),
        error_messages={
            **_required(gettext_lazy("Enter the patient's e-mail address.")),
            "invalid": gettext_lazy("Enter an e-mail address like name@example.org."),
        },
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        widget=_date_widget(),
        error_messages={
            **_required(gettext_lazy("Enter the patient's date of birth.")),
            "invalid": gettext_lazy("Enter the date of birth as a date, e.g. 1961-04-23."),
        },
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=32,
        help_text=gettext_lazy("Where the care team calls the patient back, e.g. (555) 010-2030."),
        widget=forms.TextInput({"autocomplete": "off", "type": "tel", "inputmode": "tel"}),
        error_messages=_required(
            gettext_lazy("Enter a phone number the care team can call the patient on.")
        ),
    )
    record_number = forms.CharField(
        label=gettext_lazy("Clinic record number (optional)"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("Your clinic's own number for this patient, if it has one."),
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    treatment_type = forms.ModelChoiceField(
        label=gettext_lazy("Treatment type"),
        queryset=TreatmentType.objects.none(),
        empty_label=gettext_lazy("Choose a treatment"),
        error_messages=_required(
            gettext_lazy("Choose the treatment the patient had or will have.")
        ),
    )
    procedure_date = forms.DateField(
        label=gettext_lazy("Procedure date"),
        widget=_date_widget(),
        error_messages={
            **_required(
                gettext_lazy("Enter the date of the procedure or of the start of treatment.")
            ),
            "invalid": gettext_lazy("Enter the procedure date as a date, e.g. 2026-11-03."),
        },
    )
    planned = forms.BooleanField(
        label=gettext_lazy("Planned procedure (still to come)"),
        required=False,
        help_text=gettext_lazy("Tick this when the date above is in the future."),
    )
    timezone = forms.ChoiceField(
        label=gettext_lazy("Patient's time zone"),
        initial="America/New_York",
        help_text=gettext_lazy("Weeks and reminders follow the patient's own clock."),
        error_messages=_required(gettext_lazy("Choose the patient's time zone.")),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Patient's language"),
        choices=Language.choices,
        initial=Language.ENGLISH,
        # The radios always send one; a form posted without it (a script) means English.
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Their pages and e-mails, from the first one; they can change it in settings."
        ),
        error_messages={"invalid_choice": gettext_lazy("Choose English or Español.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treatment_type"].queryset = TreatmentType.objects.filter(active=True)
        self.fields["timezone"].choices = timezone_choices_grouped()
        today = timezone.localdate()
        self.fields["date_of_birth"].widget.attrs.update(
            min=BIRTH_FLOOR.isoformat(), max=today.isoformat()
        )
        self.fields["procedure_date"].widget.attrs.update(
            min=(today - timedelta(days=PROCEDURE_DAYS_BACK)).isoformat(),
            max=(today + timedelta(days=PROCEDURE_DAYS_AHEAD)).isoformat(),
        )
        self.fields["procedure_date"].help_text = _(
            "Within the last five years, or within the next year for a planned procedure."
        )
        self.helper = _helper()

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or Language.ENGLISH

    def clean(self):
        data = super().clean()
        day = data.get("procedure_date")
        if day is not None and data.get("timezone"):
            # The same bounds as the service, on the patient's own calendar.
            today = timezone.now().astimezone(self.tz).date()
            try:
                check_procedure_date(day, today=today, planned=bool(data.get("planned")))
            except DomainError as error:
                self.add_error("procedure_date", error.message)
        return data

    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])

    def clean_date_of_birth(self) -> date:
        return _clean_birth(self.cleaned_data["date_of_birth"])

    def clean_record_number(self) -> str:
        return " ".join(self.cleaned_data["record_number"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_email(self) -> str:
        return BaseUserManager.normalize_email(self.cleaned_data["email"].strip())

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.cleaned_data["timezone"])
