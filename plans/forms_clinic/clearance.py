"""Deciding a clearance: approve with rules and precautions, the wound, decline or revoke."""

from __future__ import annotations

from datetime import date, timedelta

from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.forms_clinic.base import (
    ACTIVITY_CHOICES,
    STAGE_CHOICES,
    STAGES_HELP,
    _date_widget,
    _helper,
    _reason_field,
    _stage_override_field,
    lazy_text,
    stage_gates_help,
)
from plans.forms_clinic.rules import RulesForm, _rules_rows
from plans.services import PLAN_START_DAYS_AHEAD, check_plan_start
from plans.services.clearance_terms import OVERRIDE_MIN_LENGTH
from recovery.errors import DomainError
from recovery.models import WOUND_CATEGORIES, Clearance


class ApproveForm(RulesForm):
    """Approve a pending clearance: the plan's rules, stage, activities and first day.

    The override reason field is there only while the treatment type's minimum wait is not over
    (the service requires it then and has no use for it after).
    """

    draws_itself = False  # drawn by crispy: its layout holds more than RulesForm's rows

    start_date = forms.DateField(label=gettext_lazy("First day of the plan"), widget=_date_widget())
    max_stage = forms.TypedChoiceField(
        label=gettext_lazy("Highest stage allowed"),
        coerce=int,
        choices=STAGE_CHOICES[:3],
        help_text=lazy_text(
            lambda: (
                f"{STAGES_HELP} " + _("Stage 4 needs its own sign-off on the patient page later.")
            )
        ),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Override reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    stage_override_reason = _stage_override_field()
    wound_healed_on = forms.DateField(
        label=gettext_lazy("Wound seen healed on (optional)"),
        required=False,
        widget=_date_widget(),
        help_text=gettext_lazy("Water exercise can be allowed only once this date is recorded."),
        error_messages={"invalid": gettext_lazy("Enter the date as a date, e.g. 2026-11-20.")},
    )
    allowed_activities = forms.MultipleChoiceField(
        label=gettext_lazy("Activities allowed"),
        choices=ACTIVITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Only activities of the highest stage or below. Water exercise after surgery needs "
            "the date the wound was seen healed."
        ),
    )
    restrictions = forms.CharField(
        label=gettext_lazy("Restrictions (shown to the patient)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Plain words, e.g. “No lifting over 5 kg until your next visit.”"),
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
        self.fields["start_date"].help_text = _(
            "Today (%(today)s) or up to %(weeks)s weeks later (%(latest)s), on the patient's own "
            "calendar."
        ) % {
            "today": dateformat.format(today, "j F Y"),
            "weeks": PLAN_START_DAYS_AHEAD // 7,
            "latest": dateformat.format(latest, "j F Y"),
        }
        earliest = clearance.treatment.earliest_clearance
        self.needs_override = today < earliest
        if self.needs_override:
            values = {
                "treatment": kind.name,
                "day": dateformat.format(earliest, "j F Y"),
                "days": kind.min_days_to_clearance,
                "n": OVERRIDE_MIN_LENGTH,
            }
            self.fields["override_reason"].error_messages["required"] = (
                _(
                    "Please write an override reason: the usual minimum for %(treatment)s is "
                    "reached on %(day)s."
                )
                % values
            )
            self.fields["override_reason"].help_text = (
                _(
                    "Required before %(day)s: the usual minimum for %(treatment)s is %(days)s "
                    "days after the procedure. Say why it is safe to start earlier (at least "
                    "%(n)s characters)."
                )
                % values
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
            Fieldset(_("Progression rules"), *_rules_rows(), css_class="clinic-fieldset"),
            Fieldset(
                _("Precautions (shown to the patient until they end)"),
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
            label=gettext_lazy("No bending, lifting or twisting until"),
            required=False,
            widget=_date_widget(),
            help_text=gettext_lazy("Shown to the patient until then. Empty for none."),
            error_messages={"invalid": gettext_lazy("Enter the date as a date, e.g. 2026-12-20.")},
        ),
        "lifting_limit_kg": forms.DecimalField(
            label=gettext_lazy("Lifting limit (kg)"),
            required=False,
            max_digits=4,
            decimal_places=1,
            help_text=gettext_lazy("The patient sees it in kg and lb. Empty for none."),
        ),
        "lifting_limit_until": forms.DateField(
            label=gettext_lazy("Lifting limit until"),
            required=False,
            widget=_date_widget(),
            error_messages={"invalid": gettext_lazy("Enter the date as a date, e.g. 2026-12-20.")},
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
        label=gettext_lazy("Wound seen healed on"),
        widget=_date_widget(),
        help_text=gettext_lazy(
            "Between the procedure and today. Water exercise can be allowed from then."
        ),
        error_messages={
            "required": gettext_lazy("Enter the day the wound was seen healed."),
            "invalid": gettext_lazy("Enter the date as a date, e.g. 2026-11-20."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DecisionReasonForm(forms.Form):
    """Decline or revoke a clearance: a reason the audit trail keeps."""

    reason = _reason_field(gettext_lazy("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()
