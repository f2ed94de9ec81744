"""What every StepWise admin page shares: auditing, superuser-only and read-only rules, rows
that are kept once used, accessible widgets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from recovery.audit import audit
from recovery.models import (
    PatientProfile,
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
