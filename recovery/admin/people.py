"""Accounts, profiles and second-factor devices (superusers)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery import services
from recovery.admin.base import AuditedAdminMixin, SuperuserOnlyMixin
from recovery.errors import DomainError
from recovery.models import (
    ClinicianProfile,
    PatientProfile,
    User,
)

STAGE_MIN, STAGE_MAX = 1, 4


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
