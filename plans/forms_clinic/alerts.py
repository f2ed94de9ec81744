"""Closing an alert: what was done about it, and a note."""

from __future__ import annotations

from django import forms

from plans.forms_clinic.base import _helper
from plans.models import ALERT_NOTE_MAX, AlertOutcome


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
