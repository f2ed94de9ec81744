"""The log form's "Which of your programme exercises did you do?" (DESIGN §9), kept apart from
the rest of the log form (plans.forms): the field and the fieldset that draws it."""

from __future__ import annotations

from crispy_forms.layout import LayoutObject
from django import forms
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from plans.models import Plan
from plans.programme import programme_exercises
from plans.services.sessions import PROGRAMME_TICKS_ONLY


class ProgrammeDone(LayoutObject):
    """ "Which of your programme exercises did you do?": one fieldset of checkboxes, drawn only
    when the patient has a programme (plans/patient/_programme_done.html)."""

    template = "plans/patient/_programme_done.html"

    def __init__(self):
        self.fields = []

    def render(self, form, context, template_pack=None, **kwargs) -> str:
        return render_to_string(self.template, {"form": form})


def _once(load):
    """`load()` the first time it is called, its answer after: choices read only when a form is
    drawn or a tick is checked, and read once."""
    kept = []

    def choices():
        if not kept:
            kept.append(load())
        return kept[0]

    return choices


def programme_done_field(plan: Plan) -> forms.TypedMultipleChoiceField:
    """Optional ticks, one per exercise of the patient's programme today. The service checks
    them again under the plan's lock."""
    return forms.TypedMultipleChoiceField(
        label=gettext_lazy("Which of your programme exercises did you do? (optional)"),
        coerce=int,
        required=False,
        # Read only when the form is drawn or a tick is sent: nothing ticked, no query.
        choices=_once(lambda: programme_exercises(plan)),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={
            "invalid_choice": PROGRAMME_TICKS_ONLY,
            "invalid_list": PROGRAMME_TICKS_ONLY,
        },
    )
