"""CSV import and export of the exercise library (django-import-export).

The file a member of staff edits in a spreadsheet has one row per exercise, keyed by `name`:

    name, category, stage, active, instructions, cautions,
    default_sets, default_reps, default_hold_seconds, default_times_per_day, contraindicated_for

`contraindicated_for` names treatment types separated by ";", each for good or followed by "until
stage N" ("Lumbar fusion; Cervical fusion (ACDF) until stage 3").

An import is all or nothing. The admin first runs the whole file as a dry run inside a
transaction that is rolled back; if any row is invalid it lists every bad row with the field and
the reason and offers no "confirm" button. The confirmed import runs in one transaction again and
is rolled back if any row fails after all (`ExerciseAdmin.get_import_data_kwargs`).

Every value is checked here with a message a person can act on, instead of letting the library
turn "yes" into False or "abc" into a decimal error: an unknown category, a stage outside 1–4, a
yes/no that is neither, a dose outside its range (`plans.models.DOSE_LIMITS`), a treatment type
that does not exist, or a name used twice in the file.

The rules every StepWise import and export follows (SECURITY.md, "Exports and imports") live in
`infra.spreadsheets`.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import translation
from import_export import fields, widgets

from infra.spreadsheets import (
    SpreadsheetSafeResource,
    SpreadsheetSafeText,
    neutralise,
    unneutralise,
)
from plans.library import EXERCISE_FIELDS
from plans.models import DOSE_LIMITS, Contraindication, Exercise, ExerciseCategory
from recovery.models import TreatmentType

STAGE_MIN = 1
STAGE_MAX = 4
# Separates treatment type names in one cell (the names themselves contain "/" and ",").
NAME_SEPARATOR = ";"


class CategoryWidget(widgets.Widget):
    """A category by its code ("core") or its label ("Core"), in any case."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().casefold()
        for code, label in ExerciseCategory.choices:
            # The label in English (as exported) or in the reader's language.
            with translation.override("en"):
                english = str(label).casefold()
            if text in (code, english, str(label).casefold()):
                return code
        allowed = ", ".join(ExerciseCategory.values)
        if not text:
            raise ValueError(f"A category is required: one of {allowed}.")
        raise ValueError(f"“{value}” is not a category: use one of {allowed}.")

    def render(self, value, obj=None, **kwargs):
        return value or ""


class StageWidget(widgets.Widget):
    """A whole number from 1 to 4."""

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text.endswith(".0"):  # spreadsheets like to write 1 as 1.0
            text = text[:-2]
        if not text.isdigit() or not STAGE_MIN <= int(text) <= STAGE_MAX:
            raise ValueError(
                f"The stage must be a whole number from {STAGE_MIN} to {STAGE_MAX}"
                f"{f', not “{value}”' if text else ''}."
            )
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YesNoWidget(widgets.Widget):
    """yes/no, true/false or 1/0; an empty cell means yes (a new exercise is offered)."""

    TRUE = {"yes", "y", "true", "1"}
    FALSE = {"no", "n", "false", "0"}

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().casefold()
        if text == "" or text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"Write yes or no, not “{value}”.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


DOSE_WORDS = {
    "sets": "Sets",
    "reps": "Repetitions",
    "hold_seconds": "Hold seconds",
    "times_per_day": "Times a day",
}


class DoseWidget(widgets.Widget):
    """A part of the default dose: a whole number in its range (`DOSE_LIMITS`). An empty cell
    leaves sets, repetitions or hold blank (an exercise dosed by time), and means once a day."""

    def __init__(self, part: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.part = part

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text.endswith(".0"):  # spreadsheets like to write 10 as 10.0
            text = text[:-2]
        low, high = DOSE_LIMITS[self.part]
        if not text:
            return 1 if self.part == "times_per_day" else None
        if not text.isdigit() or not low <= int(text) <= high:
            blank = "" if self.part == "times_per_day" else ", or empty for none"
            raise ValueError(
                f"{DOSE_WORDS[self.part]} must be a whole number from {low} to {high}{blank}, "
                f"not “{value}”."
            )
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


UNTIL_STAGE = re.compile(r"^(?P<name>.+?)\s+until stage (?P<stage>\d+)$", re.IGNORECASE)

# A contraindication as the CSV carries it: the treatment type's name and the stage it lasts
# until (None: for good).
Pair = tuple[str, int | None]


class ContraindicationsWidget(widgets.Widget):
    """Treatment types by their exact names, separated by ";", each optionally followed by
    "until stage N" (2–4). An unknown name or stage is an error."""

    def clean(self, value, row=None, **kwargs) -> frozenset[Pair]:
        text = unneutralise(str(value or "").strip())
        pairs: set[Pair] = set()
        for item in (i.strip() for i in text.split(NAME_SEPARATOR)):
            if not item:
                continue
            match = UNTIL_STAGE.match(item)
            if match is None:
                pairs.add((item, None))
                continue
            stage = int(match["stage"])
            if stage not in (2, 3, 4):
                raise ValueError(f"“{item}”: a contraindication lasts until stage 2, 3 or 4.")
            pairs.add((match["name"].strip(), stage))
        names = {name for name, _ in pairs}
        missing = sorted(
            names - set(TreatmentType.objects.filter(name__in=names).values_list("name", flat=True))
        )
        if missing:
            raise ValueError(
                "No treatment type is called "
                + ", ".join(f"“{n}”" for n in missing)
                + f". Use the names from the treatment type list, separated by “{NAME_SEPARATOR}”."
            )
        if len(names) < len(pairs):
            raise ValueError("Name each treatment type once.")
        return frozenset(pairs)

    def render(self, value, obj=None, **kwargs) -> str:
        return neutralise(
            f"{NAME_SEPARATOR} ".join(
                name if until is None else f"{name} until stage {until}"
                for name, until in sorted(value or (), key=lambda pair: pair[0])
            )
        )


class ContraindicationsField(fields.Field):
    """An exercise's contraindications as a set of pairs. An imported row's pairs wait on the
    instance until it is saved (`ExerciseResource.after_save_instance` writes them), so that
    "unchanged" compares like with like."""

    def get_value(self, obj) -> frozenset[Pair]:
        pending = getattr(obj, "_imported_contraindications", None)
        if pending is not None:
            return pending
        if obj.pk is None:
            return frozenset()
        return frozenset(
            (c.treatment_type.name, c.until_stage) for c in obj.contraindication_set.all()
        )

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        instance._imported_contraindications = self.clean(row, **kwargs)


class ExerciseResource(SpreadsheetSafeResource):
    name = fields.Field(attribute="name", column_name="name", widget=SpreadsheetSafeText())
    category = fields.Field(attribute="category", column_name="category", widget=CategoryWidget())
    stage = fields.Field(attribute="stage", column_name="stage", widget=StageWidget())
    active = fields.Field(attribute="active", column_name="active", widget=YesNoWidget())
    instructions = fields.Field(
        attribute="instructions", column_name="instructions", widget=SpreadsheetSafeText()
    )
    cautions = fields.Field(
        attribute="cautions", column_name="cautions", widget=SpreadsheetSafeText()
    )
    default_sets = fields.Field(
        attribute="default_sets", column_name="default_sets", widget=DoseWidget("sets")
    )
    default_reps = fields.Field(
        attribute="default_reps", column_name="default_reps", widget=DoseWidget("reps")
    )
    default_hold_seconds = fields.Field(
        attribute="default_hold_seconds",
        column_name="default_hold_seconds",
        widget=DoseWidget("hold_seconds"),
    )
    default_times_per_day = fields.Field(
        attribute="default_times_per_day",
        column_name="default_times_per_day",
        widget=DoseWidget("times_per_day"),
    )
    contraindicated_for = ContraindicationsField(
        attribute="contraindicated_for",
        column_name="contraindicated_for",
        widget=ContraindicationsWidget(),
    )

    class Meta:
        model = Exercise
        fields = EXERCISE_FIELDS
        import_id_fields = ("name",)
        # The model's full_clean() (required fields, lengths, choices) runs on every row, so
        # its errors are reported per field as well.
        clean_model_instances = True
        # All or nothing, whatever IMPORT_EXPORT_USE_TRANSACTIONS says.
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows_by_name: dict[str, int] = {}

    def before_import(self, dataset, **kwargs):
        self._rows_by_name = {}

    def before_import_row(self, row, **kwargs):
        """A name may appear once per file (a second row would silently overwrite the first), and
        differs from an existing exercise by more than upper and lower case."""
        name = SpreadsheetSafeText().clean(row.get("name")).casefold()
        if not name:
            raise ValidationError({"name": "A name is required."})
        number = kwargs.get("row_number", 0)
        first = self._rows_by_name.setdefault(name, number)
        if first != number:
            raise ValidationError({"name": f"This name is already used by row {first}."})
        existing = (
            Exercise.objects.filter(name__iexact=name)
            .exclude(name=SpreadsheetSafeText().clean(row.get("name")))
            .values_list("name", flat=True)
            .first()
        )
        if existing is not None:
            raise ValidationError(
                {"name": f"The library already has “{existing}”: spell it the same to update it."}
            )

    def after_save_instance(self, instance, row, **kwargs):
        """The row's contraindications replace the exercise's (rolled back with the rest on a
        dry run or an error: the import is one transaction)."""
        wanted = getattr(instance, "_imported_contraindications", None)
        if wanted is None:
            return
        kinds = dict(
            TreatmentType.objects.filter(name__in={n for n, _ in wanted}).values_list("name", "pk")
        )
        instance.contraindication_set.all().delete()
        Contraindication.objects.bulk_create(
            Contraindication(exercise=instance, treatment_type_id=kinds[name], until_stage=until)
            for name, until in wanted
        )

    def filter_export(self, queryset, **kwargs):
        """One query for all the contraindications and their names, not one per exercise."""
        return queryset.prefetch_related(
            Prefetch(
                "contraindication_set",
                queryset=Contraindication.objects.select_related("treatment_type"),
            )
        )
