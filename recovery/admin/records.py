"""Clinical records and the audit log (superusers, read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from import_export import fields as ie_fields
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from infra.ratelimit import RateLimitedExportMixin
from infra.spreadsheets import SpreadsheetSafeCSV, SpreadsheetSafeResource
from recovery.admin.base import ClinicalReadOnlyAdmin, ClinicalReadOnlyInline
from recovery.models import (
    AuditEvent,
    Clearance,
    ClearanceEvent,
    Treatment,
)

STAGE_MIN, STAGE_MAX = 1, 4


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
