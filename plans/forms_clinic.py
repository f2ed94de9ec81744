"""Forms of the clinician's pages. They validate and normalise; services decide and save.

Every bound below comes from `plans.engine`, so a form cannot accept what the engine refuses.
The pages show several forms at once, so each has a prefix and its ids are unique on the page.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.validators import MaxValueValidator
from django.utils import timezone

from plans import engine
from plans.models import ALERT_NOTE_MAX, AlertOutcome
from plans.services import PLAN_START_DAYS_AHEAD, check_plan_start
from plans.services.clearance import OVERRIDE_MIN_LENGTH
from recovery.errors import DomainError
from recovery.models import (
    ACTIVITY_MIN_STAGE,
    BIRTH_FLOOR,
    WOUND_CATEGORIES,
    Activity,
    Clearance,
    TreatmentType,
    tidy_phone,
    timezone_choices_grouped,
)
from recovery.services import (
    PROCEDURE_DAYS_AHEAD,
    PROCEDURE_DAYS_BACK,
    check_procedure_date,
)

RULE_FIELDS = (
    "start_minutes",
    "min_increment",
    "max_increment",
    "target_minutes",
    "sessions_per_week",
)

STAGE_CHOICES = [(1, "Stage 1"), (2, "Stage 2"), (3, "Stage 3"), (4, "Stage 4 (sign-off)")]
STAGES_HELP = (
    "1: walking, cycling and water exercise as allowed, gentle core, gentle stretches. 2: adds "
    "core stability. 3: adds challenging core, light resistance, the elliptical. 4: running, "
    "heavy lifting, contact sport."
)


def _helper() -> FormHelper:
    # The templates write the <form> tag, the CSRF token, the `action` field and the button.
    helper = FormHelper()
    helper.form_tag = False
    return helper


def _rules_rows() -> list:
    """The five rules on two rows: where the plan starts and ends, then how fast it grows."""
    return [
        Row(
            Column("start_minutes", css_class="col-sm-4"),
            Column("target_minutes", css_class="col-sm-4"),
            Column("sessions_per_week", css_class="col-sm-4"),
        ),
        Row(
            Column("min_increment", css_class="col-sm-6"),
            Column("max_increment", css_class="col-sm-6"),
        ),
    ]


def _date_widget(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


def _stage_override_field() -> forms.CharField:
    return forms.CharField(
        label="Stage override reason (only before a stage's usual time)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def stage_gates_help(treatment, today: date) -> str:
    """When each stage is usually allowed after this patient's procedure (DESIGN §7)."""
    kind = treatment.treatment_type
    parts = []
    for stage in (2, 3, 4):
        gate = kind.stage_gate(stage, treatment.procedure_date)
        when = "reached" if today >= gate else "not before"
        parts.append(f"stage {stage}: {when} {gate:%-d %b %Y}")
    return (
        f"After {kind.name}: {'; '.join(parts)}. Allowing a stage earlier needs a reason of at "
        f"least {OVERRIDE_MIN_LENGTH} characters, kept on the record."
    )


def _reason_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text or "At least 10 characters. Kept in the audit trail.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _clean_phone(text: str) -> str:
    try:
        return tidy_phone(text)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None


def _clean_birth(born: date | None) -> date | None:
    if born is not None and not BIRTH_FLOOR <= born <= timezone.localdate():
        raise forms.ValidationError("Give a date of birth between 1 January 1900 and today.")
    return born


class ContactForm(forms.Form):
    """The clinician corrects a patient's phone, date of birth and record number."""

    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        required=False,
        help_text="Where the care team calls the patient back, e.g. (555) 010-2030.",
        widget=forms.TextInput({"type": "tel", "inputmode": "tel"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": "Enter the date of birth as a date, e.g. 1961-04-23."},
    )
    record_number = forms.CharField(
        label="Clinic record number (optional)", max_length=32, required=False
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


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class EnrolForm(forms.Form):
    first_name = forms.CharField(
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off"}),
        error_messages=_required("Enter the patient's first name."),
    )
    last_name = forms.CharField(
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off"}),
        error_messages=_required("Enter the patient's last name."),
    )
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        help_text="The patient receives a link here to choose their password.",
        widget=forms.EmailInput({"autocomplete": "off"}),
        error_messages={
            **_required("Enter the patient's e-mail address."),
            "invalid": "Enter an e-mail address like name@example.org.",
        },
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=_date_widget(),
        error_messages={
            **_required("Enter the patient's date of birth."),
            "invalid": "Enter the date of birth as a date, e.g. 1961-04-23.",
        },
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=32,
        help_text="Where the care team calls the patient back, e.g. (555) 010-2030.",
        widget=forms.TextInput({"autocomplete": "off", "type": "tel", "inputmode": "tel"}),
        error_messages=_required("Enter a phone number the care team can call the patient on."),
    )
    record_number = forms.CharField(
        label="Clinic record number (optional)",
        required=False,
        max_length=32,
        help_text="Your clinic's own number for this patient, if it has one.",
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    treatment_type = forms.ModelChoiceField(
        queryset=TreatmentType.objects.none(),
        empty_label="Choose a treatment",
        error_messages=_required("Choose the treatment the patient had or will have."),
    )
    procedure_date = forms.DateField(
        widget=_date_widget(),
        error_messages={
            **_required("Enter the date of the procedure or of the start of treatment."),
            "invalid": "Enter the procedure date as a date, e.g. 2026-11-03.",
        },
    )
    planned = forms.BooleanField(
        label="Planned procedure (still to come)",
        required=False,
        help_text="Tick this when the date above is in the future.",
    )
    timezone = forms.ChoiceField(
        label="Patient's time zone",
        initial="America/New_York",
        help_text="Weeks and reminders follow the patient's own clock.",
        error_messages=_required("Choose the patient's time zone."),
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
        self.fields[
            "procedure_date"
        ].help_text = "Within the last five years, or within the next year for a planned procedure."
        self.helper = _helper()

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


class RulesForm(forms.Form):
    """The engine's five numbers, each inside the engine's bounds."""

    start_minutes = forms.IntegerField(
        label="Start (minutes per session)",
        min_value=engine.START_MINUTES_MIN,
        max_value=engine.START_MINUTES_MAX,
        help_text=f"{engine.START_MINUTES_MIN}–{engine.START_MINUTES_MAX} minutes.",
    )
    min_increment = forms.IntegerField(
        label="Smallest weekly step (minutes)",
        min_value=engine.INCREMENT_MIN,
        max_value=engine.INCREMENT_MAX,
        help_text=f"{engine.INCREMENT_MIN}–{engine.INCREMENT_MAX}; also the size of a reduction.",
    )
    max_increment = forms.IntegerField(
        label="Largest weekly step (minutes)",
        min_value=engine.INCREMENT_MIN,
        max_value=engine.INCREMENT_MAX,
        help_text="Given after a full week with little pain.",
    )
    target_minutes = forms.IntegerField(
        label="Target (minutes per session)",
        min_value=engine.START_MINUTES_MIN,
        max_value=engine.TARGET_MINUTES_MAX,
        help_text=f"From the start minutes up to {engine.TARGET_MINUTES_MAX}.",
    )
    sessions_per_week = forms.IntegerField(
        label="Sessions per week",
        min_value=engine.SESSIONS_MIN,
        max_value=engine.SESSIONS_MAX,
        help_text=f"{engine.SESSIONS_MIN}–{engine.SESSIONS_MAX}.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.helper.layout = Layout(*_rules_rows())

    def clean(self):
        data = super().clean()
        values = {name: data.get(name) for name in RULE_FIELDS}
        if any(value is None for value in values.values()):
            return data  # a field already carries its own error
        # Every broken rule is said at once, each beside its field (not only the first).
        refused = False
        if values["max_increment"] < values["min_increment"]:
            self.add_error(
                "max_increment",
                f"Must be at least the smallest step ({values['min_increment']} minutes).",
            )
            refused = True
        if values["target_minutes"] < values["start_minutes"]:
            self.add_error(
                "target_minutes",
                f"Must be at least the start ({values['start_minutes']} minutes).",
            )
            refused = True
        if not refused:
            try:
                self.rules = engine.Rules(**values)
            except ValueError as error:  # the engine is the last word on bounds
                name = next((n for n in RULE_FIELDS if str(error).startswith(n)), None)
                self.add_error(name, str(error))
        return data

    @classmethod
    def initial_from(cls, rules: engine.Rules) -> dict:
        return {name: getattr(rules, name) for name in RULE_FIELDS}


ACTIVITY_CHOICES = [
    (str(activity), f"{activity.label} (stage {ACTIVITY_MIN_STAGE[activity]})")
    for activity in Activity
]


class ApproveForm(RulesForm):
    """Approve a pending clearance: the plan's rules, stage, activities and first day.

    The override reason field is there only while the treatment type's minimum wait is not over
    (the service requires it then and has no use for it after).
    """

    start_date = forms.DateField(label="First day of the plan", widget=_date_widget())
    max_stage = forms.TypedChoiceField(
        label="Highest stage allowed",
        coerce=int,
        choices=STAGE_CHOICES[:3],
        help_text=f"{STAGES_HELP} Stage 4 needs its own sign-off on the patient page later.",
    )
    override_reason = forms.CharField(
        label="Override reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stage_override_reason = _stage_override_field()
    wound_healed_on = forms.DateField(
        label="Wound seen healed on (optional)",
        required=False,
        widget=_date_widget(),
        help_text="Water exercise can be allowed only once this date is recorded.",
        error_messages={"invalid": "Enter the date as a date, e.g. 2026-11-20."},
    )
    allowed_activities = forms.MultipleChoiceField(
        label="Activities allowed",
        choices=ACTIVITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only activities of the highest stage or below. Water exercise after surgery "
        "needs the date the wound was seen healed.",
    )
    restrictions = forms.CharField(
        label="Restrictions (shown to the patient)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Plain words, e.g. “No lifting over 5 kg until your next visit.”",
    )

    def __init__(self, *args, clearance: Clearance, today: date, **kwargs):
        kind = clearance.treatment.treatment_type
        initial = {
            **self.initial_from(kind.default_rules()),
            "max_stage": min(kind.default_max_stage, 3),
            "allowed_activities": kind.default_activities(),
            "start_date": today,
        }
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.today = today
        latest = today + timedelta(days=PLAN_START_DAYS_AHEAD)
        self.fields["start_date"].widget.attrs.update(min=today.isoformat(), max=latest.isoformat())
        self.fields["start_date"].help_text = (
            f"Today ({today:%-d %B %Y}) or up to {PLAN_START_DAYS_AHEAD // 7} weeks later "
            f"({latest:%-d %B %Y}), on the patient's own calendar."
        )
        earliest = clearance.treatment.earliest_clearance
        self.needs_override = today < earliest
        if self.needs_override:
            self.fields["override_reason"].error_messages["required"] = (
                f"Please write an override reason: the usual minimum for {kind.name} is "
                f"reached on {earliest:%-d %B %Y}."
            )
            self.fields["override_reason"].help_text = (
                f"Required before {earliest:%-d %B %Y}: the usual minimum for {kind.name} is "
                f"{kind.min_days_to_clearance} days after the procedure. Say why it is safe to "
                f"start earlier (at least {OVERRIDE_MIN_LENGTH} characters)."
            )
        else:
            del self.fields["override_reason"]
        self.fields["stage_override_reason"].help_text = stage_gates_help(
            clearance.treatment, today
        )
        for name, field in _precaution_fields().items():
            self.fields[name] = field
        for name, value in kind.default_precautions(clearance.treatment.procedure_date).items():
            self.initial.setdefault(name, value)
        self.has_wound = kind.category in WOUND_CATEGORIES
        if self.has_wound:
            self.initial.setdefault("wound_healed_on", clearance.wound_healed_on)
        else:
            del self.fields["wound_healed_on"]
        self.helper.layout = Layout(
            *(["override_reason"] if self.needs_override else []),
            Row(
                Column("start_date", css_class="col-sm-6"),
                Column("max_stage", css_class="col-sm-6"),
            ),
            "stage_override_reason",
            *(["wound_healed_on"] if self.has_wound else []),
            "allowed_activities",
            Fieldset("Progression rules", *_rules_rows(), css_class="clinic-fieldset"),
            Fieldset(
                "Precautions (shown to the patient until they end)",
                "no_bending_until",
                Row(
                    Column("lifting_limit_kg", css_class="col-sm-6"),
                    Column("lifting_limit_until", css_class="col-sm-6"),
                ),
                css_class="clinic-fieldset",
            ),
            "restrictions",
        )

    def clean_start_date(self) -> date:
        start = self.cleaned_data["start_date"]
        try:
            check_plan_start(start, today=self.today)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return start

    def clean_restrictions(self) -> str:
        return self.cleaned_data["restrictions"].strip()

    def clean_override_reason(self) -> str:
        return self.cleaned_data["override_reason"].strip()

    def clean_stage_override_reason(self) -> str:
        return self.cleaned_data["stage_override_reason"].strip()


def _precaution_fields() -> dict[str, forms.Field]:
    return {
        "no_bending_until": forms.DateField(
            label="No bending, lifting or twisting until",
            required=False,
            widget=_date_widget(),
            help_text="Shown to the patient until then. Empty for none.",
            error_messages={"invalid": "Enter the date as a date, e.g. 2026-12-20."},
        ),
        "lifting_limit_kg": forms.DecimalField(
            label="Lifting limit (kg)",
            required=False,
            max_digits=4,
            decimal_places=1,
            help_text="The patient sees it in kg and lb. Empty for none.",
        ),
        "lifting_limit_until": forms.DateField(
            label="Lifting limit until",
            required=False,
            widget=_date_widget(),
            error_messages={"invalid": "Enter the date as a date, e.g. 2026-12-20."},
        ),
    }


class PrecautionsForm(forms.Form):
    """Structured precautions of an approved clearance (DESIGN §7)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_precaution_fields())
        self.helper = _helper()


class WoundForm(forms.Form):
    """The day a clinician saw the surgical wound healed."""

    wound_healed_on = forms.DateField(
        label="Wound seen healed on",
        widget=_date_widget(),
        help_text="Between the procedure and today. Water exercise can be allowed from then.",
        error_messages={
            "required": "Enter the day the wound was seen healed.",
            "invalid": "Enter the date as a date, e.g. 2026-11-20.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DecisionReasonForm(forms.Form):
    """Decline or revoke a clearance: a reason the audit trail keeps."""

    reason = _reason_field("Reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()


class AlertCloseForm(forms.Form):
    """What was done about an alert: one of a short list, and a note (needed for "something
    else"). The note goes in the patient's record."""

    outcome = forms.ChoiceField(
        label="What was done?",
        choices=AlertOutcome.chosen,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what was done about this alert."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=ALERT_NOTE_MAX,
        # No maxlength attribute: a browser would cut a longer paste silently; the form says so.
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Up to {ALERT_NOTE_MAX:,} characters. Shown in the patient's record; needed "
        "when you choose “something else”.",
        error_messages={
            "max_length": "The note can be at most %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].widget.attrs.pop("maxlength", None)
        self.helper = _helper()

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == AlertOutcome.OTHER and not cleaned.get("note"):
            self.add_error("note", "Say in the note what was done.")
        return cleaned


class PauseForm(DecisionReasonForm):
    reason = _reason_field("Why pause the plan?")


class ResumeForm(forms.Form):
    """Resume a paused plan at a level: from 10 minutes up to its last prescription (DESIGN
    section 7), so a patient who was at 40 minutes need not start again at 10."""

    start_minutes = forms.IntegerField(
        label="Restart at (minutes per session)", min_value=engine.FLOOR_MINUTES
    )

    def __init__(self, *args, ceiling: int = engine.START_MINUTES_MAX, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["start_minutes"]
        field.validators.append(MaxValueValidator(ceiling))
        field.widget.attrs.update(min=engine.FLOOR_MINUTES, max=ceiling)
        field.error_messages["max_value"] = (
            f"Restart at {ceiling} minutes at most: the plan's last prescription."
        )
        field.help_text = (
            f"From {engine.FLOOR_MINUTES} up to {ceiling} minutes, the last prescription. The "
            "plan restarts at week 1 today and builds up from there."
        )
        self.helper = _helper()


class StageForm(forms.Form):
    stage = forms.TypedChoiceField(
        label="Allowed stage", coerce=int, choices=STAGE_CHOICES, help_text=STAGES_HELP
    )
    stage_override_reason = _stage_override_field()
    signed_off = forms.BooleanField(
        label="I sign off stage 4 (running, heavy lifting, contact sport) for this patient.",
        required=False,
        help_text="Needed only for stage 4.",
    )
    allowed_activities = forms.MultipleChoiceField(
        label="Activities allowed",
        choices=ACTIVITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only activities of the chosen stage or below, e.g. add swimming once the "
        "wound has healed.",
    )

    def __init__(self, *args, treatment=None, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if treatment is not None and today is not None:
            self.fields["stage_override_reason"].help_text = stage_gates_help(treatment, today)
        self.helper = _helper()
