"""The clinician tailors a patient's home programme on the record (DESIGN §9).

One block per exercise the open plan allows: include it or not, its place in the order, its dose
and a note. The form checks each number's range and that the programme is not empty; the service
(`plans.services.programme_set`) decides the rest and names its fields with `programme_field`, so
a refusal appears beside the input it is about.
"""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.library import exercise_text
from plans.models import DOSE_LIMITS, Exercise
from plans.programme import Programme, ProgrammeLine, default_line
from plans.services import ItemDose, programme_field
from plans.services.programme import NOTE_MAX

PARTS = (
    ("sets", gettext_lazy("Sets")),
    ("reps", gettext_lazy("Repetitions")),
    ("hold_seconds", gettext_lazy("Hold (seconds)")),
    ("times_per_day", gettext_lazy("Times a day")),
)


class ProgrammeForm(forms.Form):
    """`exercises`: what the open plan allows now (`plans.selectors.exercises_for_plan`);
    `programme`: the patient's programme as it stands, for the starting values."""

    def __init__(self, *args, exercises: list[Exercise], programme: Programme, **kwargs):
        kwargs.setdefault("prefix", "programme")
        super().__init__(*args, **kwargs)
        current: dict[int, tuple[int, ProgrammeLine]] = {
            line.exercise.pk: (place, line) for place, line in enumerate(programme.lines, 1)
        }
        # The programme's exercises first, in its order; then the others the stage allows.
        self.exercises = sorted(
            exercises, key=lambda e: current.get(e.pk, (len(current) + 1, None))[0]
        )
        exercises = self.exercises
        # Words every exercise repeats, translated once for the form (~80 fields).
        order, first, note_label = _("Order"), _("1 comes first."), _("Note for the patient")
        error_messages = {
            part: {
                "min_value": _("%(label)s: at least %(n)d.")
                % {"label": label, "n": DOSE_LIMITS[part][0]},
                "max_value": _("%(label)s: at most %(n)d.")
                % {"label": label, "n": DOSE_LIMITS[part][1]},
            }
            for part, label in PARTS
        }
        for index, exercise in enumerate(exercises, 1):
            place, line = current.get(exercise.pk, (None, default_line(exercise)))
            name = exercise_text(exercise.name)
            self.fields[programme_field(exercise.pk, "include")] = forms.BooleanField(
                label=_("Include %(exercise)s") % {"exercise": name},
                required=False,
                initial=place is not None,
            )
            self.fields[programme_field(exercise.pk, "position")] = forms.IntegerField(
                label=order,
                required=False,
                min_value=1,
                max_value=99,
                initial=place or len(current) + index,
                help_text=first,
            )
            for part, label in PARTS:
                low, high = DOSE_LIMITS[part]
                self.fields[programme_field(exercise.pk, part)] = forms.IntegerField(
                    label=label,
                    required=False,
                    min_value=low,
                    max_value=high,
                    initial=getattr(line, part),
                    error_messages=error_messages[part],
                    widget=forms.NumberInput(attrs={"min": low, "max": high}),
                )
            self.fields[programme_field(exercise.pk, "note")] = forms.CharField(
                label=note_label,
                required=False,
                max_length=NOTE_MAX,
                initial=line.note,
                widget=forms.TextInput(),
            )

    def rows(self):
        """For the template: each exercise with its bound fields, and its number inputs (dose,
        then order) and note input already drawn (`input_html`: ~80 inputs on the record, one
        template include each cost ~15 ms a page)."""
        for exercise in self.exercises:
            position = self[programme_field(exercise.pk, "position")]
            dose = [self[programme_field(exercise.pk, part)] for part, _ in PARTS]
            note = self[programme_field(exercise.pk, "note")]
            yield {
                "exercise": exercise,
                "include": self[programme_field(exercise.pk, "include")],
                "position": position,
                "dose": dose,
                "note": note,
                "number_inputs": format_html_join(
                    "", "{}", ((input_html(f),) for f in (*dose, position))
                ),
                "note_input": input_html(note),
            }

    def clean(self):
        data = super().clean()
        chosen = []
        for index, exercise in enumerate(self.exercises):
            if not data.get(programme_field(exercise.pk, "include")):
                continue
            if any(programme_field(exercise.pk, p) in self.errors for p, _ in PARTS):
                continue  # already said beside the field
            times = programme_field(exercise.pk, "times_per_day")
            if data.get(times) is None:
                self.add_error(times, _("Times a day: give a number from 1 to 6."))
                continue
            position = data.get(programme_field(exercise.pk, "position")) or 99
            chosen.append(
                (
                    (position, index),
                    ItemDose(
                        exercise_id=exercise.pk,
                        sets=data.get(programme_field(exercise.pk, "sets")),
                        reps=data.get(programme_field(exercise.pk, "reps")),
                        hold_seconds=data.get(programme_field(exercise.pk, "hold_seconds")),
                        times_per_day=data.get(programme_field(exercise.pk, "times_per_day")),
                        note=data.get(programme_field(exercise.pk, "note")) or "",
                    ),
                )
            )
        if not chosen and not self.errors:  # a row's own error says more than "empty"
            raise forms.ValidationError(
                _("Include at least one exercise, or reset the programme to the stage's exercises.")
            )
        self.items = [item for _, item in sorted(chosen, key=lambda pair: pair[0])]
        return data


def input_html(field) -> SafeString:
    """One labelled input of the tailoring form, with its errors beside it (what the template
    plans/clinic/_programme_input.html drew, built here once per input)."""
    auto_id = field.auto_id
    errors = field.errors
    value = field.value()
    attrs = format_html_join("", ' {}="{}"', field.field.widget.attrs.items())
    return format_html(
        '<div class="mb-2">\n'
        '  <label class="form-label small mb-0" for="{}">{}</label>\n'
        '  <input type="{}" class="form-control form-control-sm{}" name="{}" id="{}" value="{}"'
        "{}{}>\n"
        "  {}\n"
        "</div>\n",
        auto_id,
        field.label,
        "text" if field.name.endswith("note") else "number",
        " is-invalid" if errors else "",
        field.html_name,
        auto_id,
        "" if value is None else value,
        attrs,
        format_html(' aria-invalid="true" aria-describedby="{}-error"', auto_id) if errors else "",
        format_html_join(
            "",
            '<div class="invalid-feedback" id="{}-error">{}</div>',
            ((auto_id, error) for error in errors),
        ),
    )
