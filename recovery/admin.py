"""The admin of the "who and whether" app, and the rules every StepWise admin page follows.

Two audiences (DESIGN.md §5, issue 6):

- **Staff** (`is_staff`, given the exercise and treatment-type permissions) keep the exercise
  library and the treatment types current. They see nothing of patients: every clinical model
  below answers "no permission" to anyone but a superuser, whatever permissions a staff account
  was given by mistake, so it is not even listed on their admin index.
- **Superusers** administer the clinical records. Records that services write (clearances and
  their events, treatments, plans, weeks, session logs, alerts, reminders, the audit log) are
  read-only here: a change to them must go through the service that checks and audits it
  (STYLE.md habit 2; an approved clearance is never edited in place, SECURITY-CHECKS.md 16).
  Accounts and profiles (who a patient's clinician is, reminder settings) can be edited.

Every add, change, delete and bulk action made in the admin also writes an `AuditEvent` (field
names only, never values or free text: SECURITY-CHECKS.md 15).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice
from import_export import fields as ie_fields
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from infra.ratelimit import RateLimitedExportMixin
from infra.spreadsheets import SpreadsheetSafeCSV, SpreadsheetSafeResource
from plans import engine
from recovery import services
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    ACTIVITY_MIN_STAGE,
    Activity,
    AuditEvent,
    Clearance,
    ClearanceEvent,
    ClinicianProfile,
    PatientProfile,
    Treatment,
    TreatmentType,
    User,
)

STAGE_MIN, STAGE_MAX = 1, 4


# --- shared behaviour ----------------------------------------------------------------------------


class AuditedAdminMixin:
    """Write an AuditEvent next to Django's own LogEntry for every admin edit."""

    def audit_patient(self, obj) -> PatientProfile | None:
        """The patient an edited row belongs to, when there is one."""
        return None

    def _audit(self, request: HttpRequest, action: str, obj, **detail: Any) -> None:
        audit(action, request=request, obj=obj, patient=self.audit_patient(obj), **detail)

    def log_addition(self, request, obj, message):
        self._audit(request, "admin_add", obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        # Only labels from Django's structured message, no values: the changed fields, and the
        # kind of any inline row added, changed or deleted.
        parts = [
            part
            for entry in (message if isinstance(message, list) else [])
            for part in entry.values()
            if isinstance(part, dict)
        ]
        fields = sorted(
            {str(label) for part in parts for label in part.get("fields", [])}
            | {str(part["name"]) for part in parts if "name" in part}
        )
        self._audit(request, "admin_change", obj, fields=fields)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, "admin_delete", obj)
        return super().log_deletions(request, queryset)


class SuperuserOnlyMixin:
    """Clinical data: superusers only, whatever permissions a staff account holds."""

    @staticmethod
    def _superuser(request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request, *args):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


class ReadOnlyMixin:
    """Rows written by services: viewed here, changed only through the service that audits it."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClinicalReadOnlyAdmin(ReadOnlyMixin, SuperuserOnlyMixin, admin.ModelAdmin):
    list_per_page = 50


class ClinicalReadOnlyInline(ReadOnlyMixin, SuperuserOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class KeepUsedRowsMixin:
    """Rows that history refers to can be deactivated but never deleted.

    Subclasses say which rows are "used"; the single delete page then answers 403 for them and
    the bulk "delete selected" action deletes the others and says which it kept and why.
    """

    used_reason = "they are in use"

    def is_used(self, obj) -> bool:
        raise NotImplementedError

    def used_rows(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.is_used(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request, queryset):
        used = list(self.used_rows(queryset).values_list("pk", "name"))
        if used:
            names = ", ".join(name for _, name in used[:20])
            more = f" and {len(used) - 20} more" if len(used) > 20 else ""
            self.message_user(
                request,
                f"Not deleted, because {self.used_reason}: {names}{more}. Deactivate them instead.",
                messages.WARNING,
            )
        deletable = queryset.exclude(pk__in=[pk for pk, _ in used])
        if not deletable.exists():
            return None
        return django_delete_selected(self, request, deletable)

    def _set_active(self, request, queryset, active: bool) -> None:
        rows = list(queryset.exclude(active=active))
        if rows:
            self.model.objects.filter(pk__in=[row.pk for row in rows]).update(
                **self.active_update(active)
            )
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=rows,
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": ["Active"]}}],
            )
            audit(
                "admin_activate" if active else "admin_deactivate",
                request=request,
                model=self.model._meta.label,
                ids=[row.pk for row in rows],
            )
        verb = "activated" if active else "deactivated"
        noun = self.model._meta.verbose_name if len(rows) == 1 else self.opts.verbose_name_plural
        self.message_user(request, f"{len(rows)} {noun} {verb}.", messages.SUCCESS)

    def active_update(self, active: bool) -> dict[str, Any]:
        return {"active": active}

    @admin.action(permissions=["change"], description="Activate selected %(verbose_name_plural)s")
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(permissions=["change"], description="Deactivate selected %(verbose_name_plural)s")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)


# --- treatment types (staff) -------------------------------------------------------------------


def _between(low: int, high: int, unit: str = "") -> str:
    return f"{low}–{high}{f' {unit}' if unit else ''}"


class AccessibleFilteredSelectMultiple(FilteredSelectMultiple):
    """The admin's two-box selector without its one ARIA fault (static/js/admin-select-filter.js
    hides the search icon's prohibited aria-label)."""

    @property
    def media(self):
        # Named after SelectFilter2.js so the merge keeps this script after it.
        return super().media + forms.Media(
            js=["admin/js/SelectFilter2.js", "js/admin-select-filter.js"]
        )


class WrappedFilteredSelectMultiple(AccessibleFilteredSelectMultiple):
    """The admin's two-box selector for a plain form field: its script moves the boxes to the
    front of the widget's parent, so give it a parent of its own (as admin's related fields
    have) or the boxes land before the field's label."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '<div class="related-widget-wrapper">{}</div>',
            super().render(name, value, attrs, renderer),
        )


class TreatmentTypeForm(forms.ModelForm):
    """A treatment type's defaults, checked against the plan engine's bounds.

    The numbers come from `plans.engine`, the one source of them; the database refuses the same
    values with CheckConstraints, this form says why beside the field.
    """

    contraindicated_activities = forms.MultipleChoiceField(
        choices=Activity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Activities not offered",
        help_text="Not offered by default after this treatment until a clinician allows them "
        "(e.g. swimming before a surgical wound has healed).",
    )
    contraindicated_exercises = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=WrappedFilteredSelectMultiple("exercises", is_stacked=False),
        label="Exercises not offered",
        help_text="Library exercises that patients with this treatment must not be shown.",
    )

    class Meta:
        model = TreatmentType
        fields = [
            "name",
            "category",
            "active",
            "min_days_to_clearance",
            "default_start_minutes",
            "default_min_increment",
            "default_max_increment",
            "default_target_minutes",
            "default_sessions_per_week",
            "default_max_stage",
            "days_before_stage_2",
            "days_before_stage_3",
            "days_before_stage_4",
            "precaution_weeks",
            "default_lifting_limit_kg",
            "contraindicated_activities",
        ]
        labels = {
            "min_days_to_clearance": "Minimum days before clearance",
            "default_start_minutes": "Start (minutes per session)",
            "default_min_increment": "Smallest weekly step (minutes)",
            "default_max_increment": "Largest weekly step (minutes)",
            "default_target_minutes": "Target (minutes per session)",
            "default_sessions_per_week": "Sessions per week",
            "default_max_stage": "Highest stage allowed by default",
        }
        help_texts = {
            "min_days_to_clearance": "Days after the procedure before clearance may be approved "
            "without an override (0 or more).",
            "default_start_minutes": _between(
                engine.START_MINUTES_MIN, engine.START_MINUTES_MAX, "minutes"
            ),
            "default_min_increment": f"{_between(engine.INCREMENT_MIN, engine.INCREMENT_MAX)}, "
            "no larger than the largest step.",
            "default_max_increment": _between(engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_target_minutes": f"From the start minutes up to {engine.TARGET_MINUTES_MAX}.",
            "default_sessions_per_week": _between(engine.SESSIONS_MIN, engine.SESSIONS_MAX),
            "default_max_stage": f"{_between(STAGE_MIN, STAGE_MAX)}. Stage 4 (running, heavy "
            "lifting, contact sport) always needs a clinician's explicit sign-off.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The reverse side of Exercise.contraindicated_for, reached through the ORM so that this
        # app does not import the plans app.
        exercise_model = TreatmentType._meta.get_field("contraindicated_exercises").related_model
        field = self.fields["contraindicated_exercises"]
        field.queryset = exercise_model.objects.order_by("name")
        if self.instance.pk is not None:
            field.initial = list(
                self.instance.contraindicated_exercises.values_list("pk", flat=True)
            )
        bounds = {
            "min_days_to_clearance": (0, None),
            "default_start_minutes": (engine.START_MINUTES_MIN, engine.START_MINUTES_MAX),
            "default_min_increment": (engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_max_increment": (engine.INCREMENT_MIN, engine.INCREMENT_MAX),
            "default_target_minutes": (engine.START_MINUTES_MIN, engine.TARGET_MINUTES_MAX),
            "default_sessions_per_week": (engine.SESSIONS_MIN, engine.SESSIONS_MAX),
            "default_max_stage": (STAGE_MIN, STAGE_MAX),
        }
        for name, (low, high) in bounds.items():
            # Hints for the browser's number input; the checks that count are the model's.
            attrs = self.fields[name].widget.attrs
            attrs["min"] = low
            if high is not None:
                attrs["max"] = high

    def clean_contraindicated_activities(self) -> list[str]:
        chosen = set(self.cleaned_data.get("contraindicated_activities") or [])
        return [value for value in Activity.values if value in chosen]

    def clean(self):
        """Bounds are the model's (validators beside each field, constraints for what relates
        two fields); what is left is the offer itself: a patient must be able to do something."""
        data = super().clean()
        stage = data.get("default_max_stage")
        blocked = set(data.get("contraindicated_activities") or [])
        if stage in range(STAGE_MIN, STAGE_MAX + 1) and "contraindicated_activities" in data:
            offered = [a for a, lowest in ACTIVITY_MIN_STAGE.items() if lowest <= stage]
            if offered and all(a in blocked for a in offered):
                self.add_error(
                    "contraindicated_activities",
                    f"Leave at least one activity a patient can do at stage {stage} "
                    f"({', '.join(str(Activity(a).label) for a in offered)}).",
                )
        return data


@admin.register(TreatmentType)
class TreatmentTypeAdmin(KeepUsedRowsMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = TreatmentTypeForm
    list_display = (
        "name",
        "category",
        "min_days",
        "start",
        "weekly_step",
        "target",
        "sessions",
        "max_stage",
        "activities_not_offered",
        "exercises_not_offered",
        "active",
    )
    list_display_links = ("name",)
    list_filter = ("category", "active", "default_max_stage")
    search_fields = ("name",)
    ordering = ("name",)
    actions = ("delete_selected", "activate", "deactivate")
    fieldsets = (
        (None, {"fields": ("name", "category", "active", "min_days_to_clearance")}),
        (
            "Default plan rules (a clinician can change each one per patient)",
            {
                "fields": (
                    "default_start_minutes",
                    ("default_min_increment", "default_max_increment"),
                    "default_target_minutes",
                    "default_sessions_per_week",
                    "default_max_stage",
                )
            },
        ),
        (
            "Stage gates: days after the procedure before each stage (earlier needs a "
            "clinician's written override)",
            {"fields": (("days_before_stage_2", "days_before_stage_3", "days_before_stage_4"),)},
        ),
        (
            "Default precautions (shown to the patient; a clinician can change them)",
            {"fields": (("precaution_weeks", "default_lifting_limit_kg"),)},
        ),
        (
            "Not offered after this treatment",
            {"fields": ("contraindicated_activities", "contraindicated_exercises")},
        ),
    )
    used_reason = "patients have had these treatments (deactivate a type to stop offering it)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                exercise_count=Count("contraindicated_exercises", distinct=True),
                used=Exists(Treatment.objects.filter(treatment_type=OuterRef("pk"))),
            )
        )

    # Short column titles: the full labels and their bounds are on the form.
    @admin.display(description="Min. days", ordering="min_days_to_clearance")
    def min_days(self, obj: TreatmentType) -> int:
        return obj.min_days_to_clearance

    @admin.display(description="Start min.", ordering="default_start_minutes")
    def start(self, obj: TreatmentType) -> int:
        return obj.default_start_minutes

    @admin.display(description="Weekly step", ordering="default_max_increment")
    def weekly_step(self, obj: TreatmentType) -> str:
        return _between(obj.default_min_increment, obj.default_max_increment)

    @admin.display(description="Target min.", ordering="default_target_minutes")
    def target(self, obj: TreatmentType) -> int:
        return obj.default_target_minutes

    @admin.display(description="Sessions / week", ordering="default_sessions_per_week")
    def sessions(self, obj: TreatmentType) -> int:
        return obj.default_sessions_per_week

    @admin.display(description="Max. stage", ordering="default_max_stage")
    def max_stage(self, obj: TreatmentType) -> int:
        return obj.default_max_stage

    @admin.display(description="Activities not offered")
    def activities_not_offered(self, obj: TreatmentType) -> str:
        labels = [
            str(Activity(a).label) for a in obj.contraindicated_activities if a in Activity.values
        ]
        return ", ".join(labels) or "—"

    @admin.display(description="Exercises not offered", ordering="exercise_count")
    def exercises_not_offered(self, obj: TreatmentType) -> int:
        return obj.exercise_count

    def is_used(self, obj: TreatmentType) -> bool:
        used = getattr(obj, "used", None)
        if used is None:
            used = Treatment.objects.filter(treatment_type=obj).exists()
        return used

    def used_rows(self, queryset):
        return queryset.filter(
            Exists(Treatment.objects.filter(treatment_type=OuterRef("pk")))
        ).order_by("name")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.contraindicated_exercises.set(form.cleaned_data["contraindicated_exercises"])


# --- accounts and profiles (superusers) ----------------------------------------------------------


@admin.register(User)
class StepWiseUserAdmin(SuperuserOnlyMixin, AuditedAdminMixin, UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("StepWise", {"fields": ("role",)}))
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("StepWise", {"fields": ("role", "first_name", "last_name", "email")}),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff", "is_superuser")

    def audit_patient(self, obj):
        return PatientProfile.objects.filter(user=obj).first()


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(SuperuserOnlyMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "title", "user")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)


REMINDER_FIELDS = {"timezone", "reminders_enabled", "reminder_weekday", "reminder_hour"}
REMINDER_FIELD_NAMES = {"weekday": "reminder_weekday", "hour": "reminder_hour"}


class PatientProfileForm(forms.ModelForm):
    """The reminder settings checked by the service that saves them, beside the field."""

    class Meta:
        model = PatientProfile
        fields = ["clinician", *sorted(REMINDER_FIELDS)]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.check_reminder_settings(
                    weekday=data["reminder_weekday"],
                    hour=data["reminder_hour"],
                    timezone_name=data["timezone"],
                )
            except DomainError as error:
                self.add_error(REMINDER_FIELD_NAMES.get(error.field, error.field), error.message)
        return data


@admin.register(PatientProfile)
class PatientProfileAdmin(SuperuserOnlyMixin, AuditedAdminMixin, admin.ModelAdmin):
    """Patients are enrolled by their clinician (a service sends the enrolment link); here a
    superuser can reassign the clinician or correct reminder settings, through the services
    that do the same elsewhere (checked and audited)."""

    form = PatientProfileForm

    list_display = (
        "__str__",
        "user",
        "clinician",
        "timezone",
        "reminders_enabled",
        "reminder_weekday",
        "reminder_hour",
        "created_at",
    )
    list_select_related = ("user", "clinician")
    list_filter = ("reminders_enabled", "reminder_weekday")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    readonly_fields = ("user", "created_at")
    fields = (
        "user",
        "clinician",
        "timezone",
        "reminders_enabled",
        "reminder_weekday",
        "reminder_hour",
        "created_at",
    )

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def audit_patient(self, obj):
        return obj

    def save_model(self, request, obj, form, change):
        changed = set(form.changed_data)
        if "clinician" in changed:
            services.patient_reassign(patient=obj, clinician=obj.clinician, actor=request.user)
        if changed & REMINDER_FIELDS:
            services.patient_update_reminders(
                patient=obj,
                weekday=obj.reminder_weekday,
                hour=obj.reminder_hour,
                timezone_name=obj.timezone,
                enabled=obj.reminders_enabled,
                actor=request.user,
            )


# --- clinical records (superusers, read-only) ----------------------------------------------------


@admin.register(Treatment)
class TreatmentAdmin(ClinicalReadOnlyAdmin):
    list_display = ("patient", "treatment_type", "procedure_date", "created_at")
    list_select_related = ("patient__user", "treatment_type")
    list_filter = ("treatment_type",)
    search_fields = ("patient__user__username", "patient__user__last_name")
    date_hierarchy = "procedure_date"


class ClearanceEventInline(ClinicalReadOnlyInline):
    model = ClearanceEvent
    fields = ("at", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Clearance)
class ClearanceAdmin(ClinicalReadOnlyAdmin):
    list_display = (
        "patient",
        "status",
        "treatment",
        "max_stage",
        "start_date",
        "decided_by",
        "decided_at",
        "requested_at",
    )
    list_select_related = ("patient__user", "treatment__treatment_type", "decided_by")
    list_filter = ("status", "max_stage")
    search_fields = ("patient__user__username", "patient__user__last_name")
    date_hierarchy = "requested_at"
    inlines = (ClearanceEventInline,)


@admin.register(ClearanceEvent)
class ClearanceEventAdmin(ClinicalReadOnlyAdmin):
    """The append-only clearance trail: read-only for everyone, superusers included."""

    list_display = ("at", "clearance", "from_status", "to_status", "actor")
    list_select_related = ("clearance__patient__user", "actor")
    list_filter = ("to_status",)
    search_fields = ("clearance__patient__user__username",)
    date_hierarchy = "at"


class AuditEventResource(SpreadsheetSafeResource):
    """The audit log as CSV: who, what, which object, outcome, when, from where.

    `detail` is left out: the export is for reviewing access, and a cell of free-form JSON is
    the one place something unexpected could hide.
    """

    actor = ie_fields.Field(column_name="actor")
    patient = ie_fields.Field(attribute="patient_id", column_name="patient_id")

    class Meta:
        model = AuditEvent
        fields = ("at", "actor", "action", "object_type", "object_id", "patient", "outcome", "ip")
        export_order = fields

    def dehydrate_actor(self, event: AuditEvent) -> str:
        # A username may start with "+" or "-": SpreadsheetSafeResource neutralises every cell.
        return event.actor.username if event.actor_id else ""

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("actor")


@admin.register(AuditEvent)
class AuditEventAdmin(RateLimitedExportMixin, ExportMixin, ClinicalReadOnlyAdmin):
    """Append-only: read-only for everyone; superusers filter it and export it as CSV."""

    resource_classes = [AuditEventResource]
    formats = [SpreadsheetSafeCSV]  # every cell neutralised (SECURITY.md)
    export_form_class = ExportForm  # always the same columns, no per-field picking
    list_display = ("at", "actor", "action", "object_type", "object_id", "patient", "outcome", "ip")
    list_select_related = ("actor", "patient__user")
    list_filter = ("action", "outcome", ("at", admin.DateFieldListFilter))
    search_fields = ("action", "object_id", "actor__username")
    date_hierarchy = "at"
    list_per_page = 100

    def has_export_permission(self, request):
        return self._superuser(request)

    def get_export_filename(self, request, queryset, file_format):
        return f"stepwise-audit-{timezone.now():%Y%m%d-%H%M%S}.{file_format.get_extension()}"


# django-otp's own device admin shows each secret key and its QR code to any superuser. Here a
# superuser may only see who has a device and delete one (a lost phone): the owner then sets up
# a new one at their next sign-in. The secret never leaves the set-up page.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(SuperuserOnlyMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
