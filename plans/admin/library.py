"""The exercise library's admin (staff): stages, contraindications, use, CSV import and export."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm, ImportForm

from infra.ratelimit import RateLimitedExportMixin
from infra.spreadsheets import SpreadsheetSafeCSV
from plans.admin.permissions import ExerciseEditorPermissions
from plans.admin.pictures import ExerciseImageInline, save_pictures
from plans.library import EXERCISE_FIELDS
from plans.models import (
    DOSE_LIMITS,
    Contraindication,
    Exercise,
    ExerciseCategory,
    ExerciseImage,
    Plan,
    PlanStatus,
)
from plans.programme import dose_words
from plans.resources import (
    NAME_SEPARATOR,
    STAGE_MAX,
    STAGE_MIN,
    ExerciseResource,
)
from plans.services.pictures import exercise_pictures_delete_files
from recovery.admin import (
    AuditedAdminMixin,
    KeepUsedRowsMixin,
)
from recovery.audit import audit

# DESIGN.md §1 rule 9, as a staff member choosing a stage needs to read it.
STAGE_CHOICES = [
    (1, "1 · gentle core, gentle stretches (with walking, cycling, water exercise)"),
    (2, "2 · adds core stability"),
    (3, "3 · challenging core, light resistance, elliptical"),
    (4, "4 · running, heavy lifting, contact sport (clinician sign-off)"),
]
OPEN_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.PAUSED)
IMPORT_MAX_BYTES = 1024 * 1024
# The rows of the import template (columns as EXERCISE_FIELDS): one new exercise, one retired.
IMPORT_TEMPLATE_ROWS = (
    (
        "Supine marching",
        "core",
        "1",
        "yes",
        "Lie on your back with knees bent. Lift one foot a few centimetres, then the other.",
        "Stop if your back pain sharpens.",
        "1",
        "10",
        "",
        "2",
        "",
    ),
    (
        "Old sit-up drill",
        "core",
        "3",
        "no",
        "Retired: no longer offered.",
        "",
        "",
        "",
        "",
        "",
        "Lumbar fusion; Cervical fusion (ACDF)",
    ),
)


def plan_reach() -> tuple[dict[int, int], int]:
    """How far plans reach into the stages, in one grouped query.

    Returns the number of open (active or paused) plans at each stage or higher, and the highest
    stage any plan, open or ended, has been at (0 when there is no plan). The patient dashboard
    shows a plan every active exercise up to the plan's stage, so these two numbers say how many
    patients an exercise is offered to now, and whether any patient may have been shown it.
    """
    open_at: dict[int, int] = {}
    highest = 0
    for row in (
        Plan.objects.order_by()
        .values("stage")
        .annotate(open=Count("pk", filter=Q(status__in=OPEN_PLAN_STATUSES)))
    ):
        open_at[row["stage"]] = row["open"]
        highest = max(highest, row["stage"])
    at_or_above = {
        stage: sum(n for s, n in open_at.items() if s >= stage)
        for stage in range(STAGE_MIN, STAGE_MAX + 1)
    }
    return at_or_above, highest


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in STAGE_CHOICES]

    def queryset(self, request, queryset):
        if self.value() in {str(value) for value, _ in STAGE_CHOICES}:
            return queryset.filter(stage=int(self.value()))
        return queryset


def _dose_field(part: str, label: str, help_text: str, *, required: bool = False):
    low, high = DOSE_LIMITS[part]
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=low,
        max_value=high,
        help_text=f"{help_text} From {low} to {high}.",
        error_messages={
            "min_value": f"{label}: at least {low}.",
            "max_value": f"{label}: at most {high}.",
        },
    )


class ExerciseForm(forms.ModelForm):
    stage = forms.TypedChoiceField(
        label="Stage",
        choices=STAGE_CHOICES,
        coerce=int,
        help_text="The lowest stage that shows this exercise; patients at this stage or higher "
        "see it.",
    )
    # The dose a patient gets unless their clinician tailors it (DESIGN §9).
    default_sets = _dose_field("sets", "Sets", "Blank for an exercise dosed by time (walking).")
    default_reps = _dose_field("reps", "Repetitions", "In each set; blank when not counted.")
    default_hold_seconds = _dose_field(
        "hold_seconds", "Hold (seconds)", "Each repetition's hold; blank for none."
    )
    default_times_per_day = _dose_field(
        "times_per_day", "Times a day", "How often a day the patient does it; blank is once."
    )

    class Meta:
        model = Exercise
        # Contraindications are rows of their own (with a stage): the inline below edits them.
        fields = [f for f in EXERCISE_FIELDS if f != "contraindicated_for"]

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_default_times_per_day(self) -> int:
        # Blank means once a day, as in the CSV import.
        return self.cleaned_data["default_times_per_day"] or 1


UNTIL_STAGE_CHOICES = [("", "For good"), *((n, f"Until stage {n}") for n in (2, 3, 4))]


class ContraindicationInline(ExerciseEditorPermissions, admin.StackedInline):
    """Which treatments hide the exercise, for good or until a stage. Whoever may change the
    exercise may change these rows (they are part of it)."""

    model = Contraindication
    fields = ("treatment_type", "until_stage")
    extra = 1
    verbose_name = "treatment"
    verbose_name_plural = "Not for patients after"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "until_stage":
            return forms.TypedChoiceField(
                label="How long",
                choices=UNTIL_STAGE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                help_text="Patients after this treatment are not shown the exercise, for good or "
                "until their plan reaches the stage.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class LimitedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into parts.")
        return upload


@admin.register(Exercise)
class ExerciseAdmin(
    KeepUsedRowsMixin,
    AuditedAdminMixin,
    RateLimitedExportMixin,
    ImportExportMixin,
    admin.ModelAdmin,
):
    """The exercise library.

    "Used" is defined by plans, because session logs record the cardio activity, not an
    exercise: the dashboard shows a patient the active core and stretching exercises up to their
    plan's stage, so an exercise is *in use* once any plan (open or ended) has been at its stage
    or higher. Such an exercise may have been shown to a patient; it can be deactivated but not
    deleted. The "open plans" column counts open plans at its stage or higher: an upper bound of
    who sees it now (an inactive or cardio exercise, or one contraindicated for a patient's
    treatment, is not shown to them).
    """

    form = ExerciseForm
    resource_classes = [ExerciseResource]
    formats = [SpreadsheetSafeCSV]  # every cell neutralised (SECURITY.md)
    import_form_class = LimitedImportForm
    import_template_name = "admin/plans/exercise/import.html"
    export_form_class = ExportForm
    list_display = ("name", "category", "stage", "active", "open_plan_count")
    list_filter = ("category", StageFilter, "active")
    search_fields = ("name", "instructions")
    ordering = ("stage", "category", "name")
    list_per_page = 100
    actions = ("activate", "deactivate", "delete_selected")
    inlines = [ContraindicationInline, ExerciseImageInline]
    readonly_fields = ("patient_preview", "usage", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "category", "stage", "active")}),
        ("What the patient reads", {"fields": ("instructions", "cautions")}),
        (
            "Default dose",
            {
                "fields": (
                    "default_sets",
                    "default_reps",
                    "default_hold_seconds",
                    "default_times_per_day",
                ),
                "description": "What a patient's home programme shows unless their clinician "
                "tailors it. Write the counts here, not in the instructions.",
            },
        ),
        (
            "Preview",
            {
                "fields": ("patient_preview",),
                "description": "How the patient's dashboard shows the saved exercise. Save and "
                "continue editing to see a change.",
            },
        ),
        ("Use", {"fields": ("usage", "updated_at")}),
    )
    used_reason = "plans have reached their stage, so patients may have seen them"

    def get_queryset(self, request):
        at_or_above, highest = plan_reach()
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_plans=Case(
                    *(When(stage=s, then=Value(n)) for s, n in at_or_above.items()),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                ever_used=ExpressionWrapper(Q(stage__lte=highest), output_field=BooleanField()),
            )
        )

    @admin.display(description="Open plans ≥ its stage", ordering="open_plans")
    def open_plan_count(self, obj: Exercise) -> int:
        return obj.open_plans

    @admin.display(description="What the patient sees")
    def patient_preview(self, obj: Exercise | None) -> str:
        if obj is None or obj.pk is None:
            return "Save the exercise to see how the patient will read it."
        # The template escapes every value; its output is safe HTML, user text never is.
        dose = dose_words(
            obj.default_sets, obj.default_reps, obj.default_hold_seconds, obj.default_times_per_day
        )
        return render_to_string(
            "admin/plans/exercise/patient_preview.html", {"exercise": obj, "dose": dose}
        )

    @admin.display(description="In use")
    def usage(self, obj: Exercise | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        open_plans = getattr(obj, "open_plans", None)
        if open_plans is None:
            open_plans = Plan.objects.filter(
                stage__gte=obj.stage, status__in=OPEN_PLAN_STATUSES
            ).count()
        if self.is_used(obj):
            return (
                f"{open_plans} open plan(s) are at stage {obj.stage} or higher. Plans have "
                "reached this stage, so it cannot be deleted: deactivate it to stop showing it."
            )
        return "No plan has reached its stage yet, so it can still be deleted."

    def is_used(self, obj: Exercise) -> bool:
        used = getattr(obj, "ever_used", None)
        if used is None:
            used = Plan.objects.filter(stage__gte=obj.stage).exists()
        return bool(used)

    def used_rows(self, queryset):
        _, highest = plan_reach()
        return queryset.filter(stage__lte=highest).order_by("name")

    def delete_model(self, request, obj):
        # The pictures' rows go by CASCADE; their files once the deletion has committed.
        with transaction.atomic():
            exercise_pictures_delete_files(exercise_ids=[obj.pk])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            exercise_pictures_delete_files(exercise_ids=list(queryset.values_list("pk", flat=True)))
            super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        if formset.model is ExerciseImage:
            save_pictures(request, formset)  # files and rows through the service
        else:
            super().save_formset(request, form, formset, change)

    def active_update(self, active: bool):
        return {"active": active, "updated_at": timezone.now()}

    # --- import and export ------------------------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        template = path(
            "import/template.csv",
            self.admin_site.admin_view(self.import_template),
            name="plans_exercise_import_template",
        )
        return [template, *super().get_urls()]

    def import_template(self, request: HttpRequest) -> HttpResponse:
        """A CSV to fill in: the header the import expects and two example rows."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="exercise-library-template.csv"'
        writer = csv.writer(response)
        writer.writerow(EXERCISE_FIELDS)
        writer.writerows(IMPORT_TEMPLATE_ROWS)
        return response

    def get_import_context_data(self, **kwargs):
        """What the import page says of the file's format (templates/admin/plans/exercise)."""
        context = super().get_import_context_data(**kwargs)
        context.update(
            {
                "category_codes": ExerciseCategory.values,
                "stage_min": STAGE_MIN,
                "stage_max": STAGE_MAX,
                "name_separator": NAME_SEPARATOR,
                "import_max_mb": IMPORT_MAX_BYTES // (1024 * 1024),
            }
        )
        return context

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def process_import(self, request, **kwargs):
        """The confirmation step; its file must be one this server saved and has not used yet
        (infra.spreadsheets.ImportTempStorage): anything else is refused before a file is opened."""
        try:
            return super().process_import(request, **kwargs)
        except (SuspiciousFileOperation, FileNotFoundError):
            self.message_user(
                request,
                "That import is no longer waiting for confirmation (it was confirmed already, or "
                "is more than a day old). Nothing was imported: upload the file again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:plans_exercise_import"))

    def get_import_data_kwargs(self, **kwargs):
        """The confirmed import is all or nothing too.

        The dry run offers "confirm" only for a file without errors, but the library may change
        between preview and confirmation (or a confirmation may be forged): roll back then.
        """
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            problems = [
                f"row {row.number}: {field} – {' '.join(errors)}"
                for row in result.invalid_rows
                for field, errors in row.error_dict.items()
            ]
            problems += [str(error.error) for error in result.base_errors]
            problems += [
                f"row {number}: {error.error}"
                for number, errs in result.row_errors()
                for error in errs
            ]
            self.message_user(
                request,
                "Nothing was imported, because the file no longer passes the checks: "
                + "; ".join(problems[:10]),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:plans_exercise_import"))
        totals = result.totals
        audit(
            "admin_import",
            request=request,
            model=Exercise._meta.label,
            new=totals["new"],
            updated=totals["update"],
            skipped=totals["skip"],
        )
        return super().process_result(result, request)

    def get_export_filename(self, request, queryset, file_format):
        return f"stepwise-exercises-{timezone.now():%Y%m%d}.{file_format.get_extension()}"
