"""The patient's reminder settings: the weekly e-mail, its day and hour, and their time zone."""

from __future__ import annotations

import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.models import Weekday, timezone_choices_grouped


def hour_label(hour: int) -> str:
    """The hour as the reader says it, with the 24-hour clock beside it."""
    twelve = hour % 12 or 12
    if hour == 0:
        return _("12 midnight (00:00)")
    if hour == 12:
        return _("12 noon (12:00)")
    if hour < 12:
        return _("%(hour)d am (%(clock)s)") % {"hour": twelve, "clock": f"{hour:02d}:00"}
    return _("%(hour)d pm (%(clock)s)") % {"hour": twelve, "clock": f"{hour:02d}:00"}


lazy_hour_label = lazy(hour_label, str)


class ReminderSettingsForm(forms.Form):
    reminders_enabled = forms.BooleanField(
        label=gettext_lazy("Send me a weekly reminder e-mail"), required=False
    )
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Day of the week"), choices=Weekday.choices, coerce=int
    )
    hour = forms.TypedChoiceField(
        label=gettext_lazy("Time of day"),
        choices=[(h, lazy_hour_label(h)) for h in range(24)],
        coerce=int,
        help_text=gettext_lazy("On your own clock, in the time zone below."),
    )
    timezone = forms.ChoiceField(
        label=gettext_lazy("Your time zone"),
        help_text=gettext_lazy("Your weeks and reminders follow this clock."),
        error_messages={"invalid_choice": gettext_lazy("Pick a time zone from the list.")},
    )

    def __init__(self, *args, suggest_browser_timezone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        groups = timezone_choices_grouped()
        current = self.initial.get("timezone")
        listed = {name for _, options in groups for name, _ in options}
        if current and current not in listed and current in zoneinfo.available_timezones():
            # An older alias (e.g. "US/Eastern") set at enrolment stays selectable.
            other = dict(groups).setdefault(_("Other"), [])
            other.append((current, current))
            if (_("Other"), other) not in groups:
                groups.append((_("Other"), other))
        self.fields["timezone"].choices = groups
        if suggest_browser_timezone and not self.is_bound:
            # static/js/timezone-default.js picks the browser's zone until the patient saves one.
            self.fields["timezone"].widget.attrs["data-browser-default"] = "true"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "reminders_enabled",
            Fieldset(_("When to remind you"), "weekday", "hour", "timezone"),
            Submit("save", _("Save reminder settings"), css_class="btn-lg"),
        )
