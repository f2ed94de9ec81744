"""The patient's symptom report (`/me/symptoms/new/`): warning signs or pain now, without a
session. It shares the warning-sign list and the one-time token with the log form (plans.forms)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import engine
from plans.forms import WARNING_SIGN_FIELDS, WarningSigns, _pain_field, _ReportForm


class SymptomReportForm(_ReportForm):
    """Warning signs or pain now, without a session (`/me/symptoms/new/`), in any plan state."""

    pain_now = _pain_field(gettext_lazy("Your pain right now, 0–10 (optional)"), required=False)

    field_order = [*WARNING_SIGN_FIELDS, "pain_now", "submission_token"]
    warning_signs_legend = gettext_lazy("Do you have any of these now?")
    warning_signs_hint = gettext_lazy("Tick each one that is new or getting worse.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._take_token()
        self._prepare_to_show()
        self.fields["pain_now"].widget.attrs.update({"min": 0, "max": engine.PAIN_MAX})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_show_errors = True
        self.helper.layout = Layout(
            WarningSigns(),
            "pain_now",
            "submission_token",
            Submit("send", _("Send to my care team"), css_class="btn-lg"),
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        flags = cleaned["red_flags"] = self._clean_warning_signs(cleaned)
        listed = not any(name in self._errors for name in WARNING_SIGN_FIELDS[:2])
        if (
            listed
            and not flags
            and cleaned.get("pain_now") is None
            and "pain_now" not in self._errors
        ):
            self.add_error(
                "pain_now",
                _(
                    "Give your pain right now, from 0 to 10, or tick the signs you have: a report "
                    "needs one of them."
                ),
            )
        self._refuse_a_replaced_token()
        return cleaned
