"""What the clinician's forms share: layout helper, date and reason fields, stage choices."""

from __future__ import annotations

from datetime import date

from crispy_forms.helper import FormHelper
from django import forms

from plans.services.clearance import OVERRIDE_MIN_LENGTH
from recovery.models import ACTIVITY_MIN_STAGE, Activity

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


ACTIVITY_CHOICES = [
    (str(activity), f"{activity.label} (stage {ACTIVITY_MIN_STAGE[activity]})")
    for activity in Activity
]
