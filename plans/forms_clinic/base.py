"""What the clinician's forms share: layout helper, date and reason fields, stage choices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import dateformat
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.services.clearance_terms import OVERRIDE_MIN_LENGTH
from recovery.models import ACTIVITY_MIN_STAGE, Activity


def lazy_text(build: Callable[[], str]):
    """A text built when it is read, in the reader's language: a label or help text declared at
    import time that carries a number (`gettext_lazy(...) % values` would build it at once)."""
    return lazy(build, str)()


STAGE_CHOICES = [
    (1, gettext_lazy("Stage 1")),
    (2, gettext_lazy("Stage 2")),
    (3, gettext_lazy("Stage 3")),
    (4, gettext_lazy("Stage 4 (sign-off)")),
]
STAGES_HELP = gettext_lazy(
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
        label=gettext_lazy("Stage override reason (only before a stage's usual time)"),
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
        values = {"stage": stage, "day": dateformat.format(gate, "j M Y")}
        if today >= gate:
            parts.append(_("stage %(stage)s: reached %(day)s") % values)
        else:
            parts.append(_("stage %(stage)s: not before %(day)s") % values)
    return _(
        "After %(treatment)s: %(gates)s. Allowing a stage earlier needs a reason of at least "
        "%(n)s characters, kept on the record."
    ) % {"treatment": kind.name, "gates": "; ".join(parts), "n": OVERRIDE_MIN_LENGTH}


def _reason_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text or gettext_lazy("At least 10 characters. Kept in the audit trail."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _activity_choice(activity: Activity):
    return lazy_text(
        lambda: (
            _("%(activity)s (stage %(stage)s)")
            % {"activity": activity.label, "stage": ACTIVITY_MIN_STAGE[activity]}
        )
    )


ACTIVITY_CHOICES = [(str(activity), _activity_choice(activity)) for activity in Activity]
