"""Controlling a running plan: pause, resume at a level, change its stage and activities."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import engine
from plans.forms_clinic.base import (
    ACTIVITY_CHOICES,
    STAGE_CHOICES,
    STAGES_HELP,
    _helper,
    _reason_field,
    _stage_override_field,
    stage_gates_help,
)
from plans.forms_clinic.clearance import DecisionReasonForm
from plans.forms_clinic.draw import DrawnForm


class PauseForm(DrawnForm, DecisionReasonForm):
    reason = _reason_field(gettext_lazy("Why pause the plan?"))


class ResumeForm(DrawnForm, forms.Form):
    """Resume a paused plan at a level: from 10 minutes up to its last prescription (DESIGN
    section 7), so a patient who was at 40 minutes need not start again at 10."""

    start_minutes = forms.IntegerField(
        label=gettext_lazy("Restart at (minutes per session)"), min_value=engine.FLOOR_MINUTES
    )

    def __init__(self, *args, ceiling: int = engine.START_MINUTES_MAX, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["start_minutes"]
        field.validators.append(MaxValueValidator(ceiling))
        field.widget.attrs.update(min=engine.FLOOR_MINUTES, max=ceiling)
        field.error_messages["max_value"] = _(
            "Restart at %(ceiling)s minutes at most: the plan's last prescription."
        ) % {"ceiling": ceiling}
        field.help_text = _(
            "From %(floor)s up to %(ceiling)s minutes, the last prescription. The plan restarts "
            "at week 1 today and builds up from there."
        ) % {"floor": engine.FLOOR_MINUTES, "ceiling": ceiling}
        self.helper = _helper()


class StageForm(DrawnForm, forms.Form):
    stage = forms.TypedChoiceField(
        label=gettext_lazy("Allowed stage"),
        coerce=int,
        choices=STAGE_CHOICES,
        help_text=STAGES_HELP,
    )
    stage_override_reason = _stage_override_field()
    signed_off = forms.BooleanField(
        label=gettext_lazy(
            "I sign off stage 4 (running, heavy lifting, contact sport) for this patient."
        ),
        required=False,
        help_text=gettext_lazy("Needed only for stage 4."),
    )
    allowed_activities = forms.MultipleChoiceField(
        label=gettext_lazy("Activities allowed"),
        choices=ACTIVITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Only activities of the chosen stage or below, e.g. add swimming once the wound has "
            "healed."
        ),
    )

    def __init__(self, *args, treatment=None, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if treatment is not None and today is not None:
            self.fields["stage_override_reason"].help_text = stage_gates_help(treatment, today)
        self.helper = _helper()
