"""Closing an alert: what was done about it, and a note."""

from __future__ import annotations

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.forms_clinic.base import _helper, lazy_text
from plans.models import ALERT_NOTE_MAX, AlertOutcome


class AlertCloseForm(forms.Form):
    """What was done about an alert: one of a short list, and a note (needed for "something
    else"). The note goes in the patient's record."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("What was done?"),
        choices=AlertOutcome.chosen,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what was done about this alert.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=ALERT_NOTE_MAX,
        # No maxlength attribute: a browser would cut a longer paste silently; the form says so.
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=lazy_text(
            lambda: (
                _(
                    "Up to %(limit)s characters. Shown in the patient's record; needed when you "
                    "choose “something else”."
                )
                % {"limit": number_format(ALERT_NOTE_MAX, force_grouping=True)}
            )
        ),
        error_messages={
            "max_length": gettext_lazy(
                "The note can be at most %(limit_value)d characters (it has %(show_value)d)."
            )
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
            self.add_error("note", _("Say in the note what was done."))
        return cleaned
