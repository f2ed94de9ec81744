"""The plan engine's five rules as a form, each inside the engine's bounds."""

from __future__ import annotations

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import engine
from plans.forms_clinic.base import _helper, lazy_text
from plans.forms_clinic.draw import DrawnForm

RULE_FIELDS = (
    "start_minutes",
    "min_increment",
    "max_increment",
    "target_minutes",
    "sessions_per_week",
)


# The five rules on two rows: where the plan starts and ends, then how fast it grows.
RULE_ROWS = (
    (
        ("start_minutes", "col-sm-4"),
        ("target_minutes", "col-sm-4"),
        ("sessions_per_week", "col-sm-4"),
    ),
    (("min_increment", "col-sm-6"), ("max_increment", "col-sm-6")),
)


def _rules_rows() -> list:
    """RULE_ROWS as a crispy layout (the clearance page draws the rules with crispy)."""
    return [Row(*(Column(name, css_class=css) for name, css in row)) for row in RULE_ROWS]


class RulesForm(DrawnForm, forms.Form):
    """The engine's five numbers, each inside the engine's bounds."""

    rows = RULE_ROWS

    start_minutes = forms.IntegerField(
        label=gettext_lazy("Start (minutes per session)"),
        min_value=engine.START_MINUTES_MIN,
        max_value=engine.START_MINUTES_MAX,
        help_text=lazy_text(
            lambda: (
                _("%(low)s–%(high)s minutes.")
                % {"low": engine.START_MINUTES_MIN, "high": engine.START_MINUTES_MAX}
            )
        ),
    )
    min_increment = forms.IntegerField(
        label=gettext_lazy("Smallest weekly step (minutes)"),
        min_value=engine.INCREMENT_MIN,
        max_value=engine.INCREMENT_MAX,
        help_text=lazy_text(
            lambda: (
                _("%(low)s–%(high)s; also the size of a reduction.")
                % {"low": engine.INCREMENT_MIN, "high": engine.INCREMENT_MAX}
            )
        ),
    )
    max_increment = forms.IntegerField(
        label=gettext_lazy("Largest weekly step (minutes)"),
        min_value=engine.INCREMENT_MIN,
        max_value=engine.INCREMENT_MAX,
        help_text=gettext_lazy("Given after a full week with little pain."),
    )
    target_minutes = forms.IntegerField(
        label=gettext_lazy("Target (minutes per session)"),
        min_value=engine.START_MINUTES_MIN,
        max_value=engine.TARGET_MINUTES_MAX,
        help_text=lazy_text(
            lambda: (
                _("From the start minutes up to %(high)s.") % {"high": engine.TARGET_MINUTES_MAX}
            )
        ),
    )
    sessions_per_week = forms.IntegerField(
        label=gettext_lazy("Sessions per week"),
        min_value=engine.SESSIONS_MIN,
        max_value=engine.SESSIONS_MAX,
        help_text=f"{engine.SESSIONS_MIN}–{engine.SESSIONS_MAX}.",  # numbers only
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
                _("Must be at least the smallest step (%(minutes)s minutes).")
                % {"minutes": values["min_increment"]},
            )
            refused = True
        if values["target_minutes"] < values["start_minutes"]:
            self.add_error(
                "target_minutes",
                _("Must be at least the start (%(minutes)s minutes).")
                % {"minutes": values["start_minutes"]},
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
