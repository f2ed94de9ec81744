"""The patient's questionnaire form: one instrument, one short page. It validates and
normalises; `services.questionnaire_answer` checks again and stores."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from outcomes.models import (
    NAMED_ITEM_LENGTH,
    NAMED_ITEMS_MAX,
    RATING_MAX,
    Instrument,
    InstrumentKind,
    Questionnaire,
)

CHOOSE_ONE = gettext_lazy("Please choose one answer.")
RATING_WORDS = {
    0: gettext_lazy("cannot do it at all"),
    RATING_MAX: gettext_lazy("as well as before the problem"),
}


def _rating_label(n: int) -> str:
    return f"{n} – {RATING_WORDS[n]}" if n in RATING_WORDS else str(n)


RATING_CHOICES = [("", gettext_lazy("Choose a number"))] + [
    (str(n), lazy(_rating_label, str)(n)) for n in range(RATING_MAX + 1)
]


def shown(instrument: Instrument, text: str) -> str:
    """A text of `instrument` as the patient reads it: a shipped instrument's English text in the
    reader's language (outcomes.defaults marks them for the catalogue); a clinic-defined one as
    its clinic wrote it. A shipped text staff edited has no translation and stays as written."""
    if not text or instrument.kind != InstrumentKind.SHIPPED:
        return text
    return gettext(text)


class QuestionnaireForm(forms.Form):
    """Fields by instrument:

    - items with options: `item_<position>`, one radio group each;
    - PSFS the first time: `activity_<n>` (what the patient finds hard) and `rating_<n>` (0–10),
      up to five pairs, at least one;
    - PSFS at a follow-up: `rating_<n>` for each activity named the first time.
    """

    def __init__(self, *args, questionnaire: Questionnaire, names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = questionnaire.instrument
        self.names = names
        if not self.instrument.patient_named_items:
            for item in self.instrument.items.prefetch_related("options"):
                self.fields[f"item_{item.position}"] = forms.TypedChoiceField(
                    label=shown(self.instrument, item.text),
                    help_text=shown(self.instrument, item.help_text),
                    choices=[(o.pk, shown(self.instrument, o.label)) for o in item.options.all()],
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": CHOOSE_ONE, "invalid_choice": CHOOSE_ONE},
                )
        elif names:
            for n, name in enumerate(names, start=1):
                self.fields[f"rating_{n}"] = self._rating(
                    _("%(activity)s: how well can you do it now?") % {"activity": name}
                )
        else:
            for n in range(1, NAMED_ITEMS_MAX + 1):
                self.fields[f"activity_{n}"] = forms.CharField(
                    label=(_("Activity %(n)d") if n == 1 else _("Activity %(n)d (optional)"))
                    % {"n": n},
                    max_length=NAMED_ITEM_LENGTH,
                    required=False,
                    error_messages={
                        "max_length": _("Please keep it to %(n)d characters.")
                        % {"n": NAMED_ITEM_LENGTH}
                    },
                )
                self.fields[f"rating_{n}"] = self._rating(
                    _("Activity %(n)d: how well can you do it today?") % {"n": n},
                    required=False,
                )

    @staticmethod
    def _rating(label: str, required: bool = True) -> forms.TypedChoiceField:
        return forms.TypedChoiceField(
            label=label,
            choices=RATING_CHOICES,
            coerce=int,
            empty_value=None,
            required=required,
            error_messages={"required": _("Please choose a number from 0 to 10.")},
        )

    def clean(self):
        data = super().clean()
        if self.instrument.patient_named_items and not self.names:
            pairs = []
            for n in range(1, NAMED_ITEMS_MAX + 1):
                name = " ".join((data.get(f"activity_{n}") or "").split())
                rating = data.get(f"rating_{n}")
                if name and rating is None and f"rating_{n}" not in self.errors:
                    self.add_error(f"rating_{n}", _("Please say how well you can do it today."))
                elif rating is not None and not name and f"activity_{n}" not in self.errors:
                    self.add_error(f"activity_{n}", _("Please say what the activity is."))
                elif name:
                    pairs.append((name, rating))
            if not pairs and not self.errors:
                self.add_error("activity_1", _("Please name at least one activity and rate it."))
            data["named"] = pairs
        return data

    def answers(self) -> dict:
        """The service's keyword arguments for what was typed."""
        data = self.cleaned_data
        if not self.instrument.patient_named_items:
            return {
                "choices": {
                    int(name[5:]): value for name, value in data.items() if name.startswith("item_")
                }
            }
        if self.names:
            return {"ratings": [data[f"rating_{n}"] for n in range(1, len(self.names) + 1)]}
        return {"named": data["named"]}

    def groups(self) -> list[tuple[str, list]]:
        """The page's question groups, each a (legend, bound fields): one per item, one per
        activity the first time, one for all the ratings at a follow-up. Marks the fields with
        errors for assistive technology first (after validation, before they render)."""
        for name, field in self.fields.items():
            described = []
            if field.help_text:
                described.append(f"id_{name}_help")
            if name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-describedby"] = " ".join(described)
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["class"] = css + (" is-invalid" if name in self.errors else "")
        if not self.instrument.patient_named_items:
            return [(None, [field]) for field in self]
        if self.names:
            return [(_("Your activities"), list(self))]
        return [
            (_("Activity %(n)d") % {"n": n}, [self[f"activity_{n}"], self[f"rating_{n}"]])
            for n in range(1, NAMED_ITEMS_MAX + 1)
        ]

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(element id, label, message) for the summary linking to each field, in page order."""
        summary = [("", "", error) for error in self.non_field_errors()]
        for field in self:
            anchor = field.auto_id
            if isinstance(field.field.widget, forms.RadioSelect):
                anchor = f"{anchor}_0"  # the first option: the group itself has no id
            summary.extend((anchor, field.label, error) for error in field.errors)
        return summary
