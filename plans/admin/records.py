"""The clinical records' admin: superusers only, read-only, written by the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from infra.queue import queue_after_commit
from plans.models import (
    Alert,
    PainFollowUp,
    Plan,
    PlanWeek,
    Reminder,
    SessionLog,
    SymptomReport,
)
from recovery.admin import (
    ClinicalReadOnlyAdmin,
    ClinicalReadOnlyInline,
)
from recovery.audit import audit


class PlanWeekInline(ClinicalReadOnlyInline):
    model = PlanWeek
    fields = ("week", "minutes", "sessions_per_week", "decision", "reason", "created_at")
    readonly_fields = fields


@admin.register(Plan)
class PlanAdmin(ClinicalReadOnlyAdmin):
    list_display = (
        "__str__",
        "status",
        "stage",
        "start_date",
        "start_minutes",
        "target_minutes",
        "sessions_per_week",
        "paused_at",
        "ended_at",
    )
    list_select_related = ("patient__user",)
    list_filter = ("status", "stage")
    search_fields = ("patient__user__username", "patient__user__last_name")
    date_hierarchy = "start_date"
    inlines = (PlanWeekInline,)


@admin.register(PlanWeek)
class PlanWeekAdmin(ClinicalReadOnlyAdmin):
    list_display = (
        "plan",
        "week",
        "minutes",
        "sessions_per_week",
        "decision",
        "review",
        "created_at",
    )
    list_select_related = ("plan__patient__user",)
    list_filter = ("decision", "review")
    search_fields = ("plan__patient__user__username",)


@admin.register(SessionLog)
class SessionLogAdmin(ClinicalReadOnlyAdmin):
    list_display = (
        "date",
        "patient",
        "activity",
        "minutes",
        "pain_before",
        "pain",
        "pain_duration",
        "pain_lasted_hours",
        "sharp_pain",
        "red_flag_list",
    )
    list_select_related = ("plan__patient__user",)
    list_filter = ("activity", "sharp_pain", "pain_duration", "date")
    search_fields = ("plan__patient__user__username", "plan__patient__user__last_name")
    date_hierarchy = "date"

    @admin.display(description="Patient", ordering="plan__patient")
    def patient(self, obj: SessionLog):
        return obj.plan.patient

    @admin.display(description="Red flags")
    def red_flag_list(self, obj: SessionLog) -> str:
        return ", ".join(obj.red_flag_labels()) or "—"


@admin.register(Alert)
class AlertAdmin(ClinicalReadOnlyAdmin):
    """Alerts and both of their deliveries: the assigned clinician's e-mail and the clinic's
    on-call inbox (DESIGN section 1 rule 7), each with its attempts and last error."""

    list_display = (
        "created_at",
        "patient",
        "kind",
        "tier",
        "source",
        "acknowledged_at",
        "acknowledged_by",
        "email_sent_at",
        "email_attempts",
        "email_last_error",
        "escalate_at",
        "escalated_at",
        "escalation_attempts",
        "escalation_last_error",
    )
    list_select_related = ("patient__user", "acknowledged_by", "session_log")
    list_filter = (
        "kind",
        "tier",
        ("acknowledged_at", admin.EmptyFieldListFilter),
        ("email_sent_at", admin.EmptyFieldListFilter),
        ("escalated_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("patient__user__username", "patient__user__last_name")
    date_hierarchy = "created_at"
    actions = ("send_email_now",)

    @admin.display(description="Raised by")
    def source(self, obj: Alert) -> str:
        if obj.session_log_id is not None:
            return f"Session on {obj.session_log.date:%Y-%m-%d}"
        if obj.symptom_report_id is not None:
            return "Symptom report" if obj.plan_id is not None else "Symptom report (no plan)"
        return "—"

    def has_deliver_permission(self, request: HttpRequest) -> bool:
        return self._superuser(request)

    @admin.action(permissions=["deliver"], description="Send the clinician e-mail now (unsent)")
    def send_email_now(self, request, queryset):
        """Queue the same delivery task the outbox pass uses; it skips alerts already sent."""
        ids = list(queryset.filter(email_sent_at__isnull=True).values_list("pk", flat=True))
        for alert_id in ids:
            queue_after_commit("plans.tasks.deliver_alert", (alert_id,), what=f"Alert {alert_id}")
        audit("admin_alert_send", request=request, ids=ids)
        self.message_user(request, f"{len(ids)} alert e-mail(s) queued.", messages.SUCCESS)


@admin.register(SymptomReport)
class SymptomReportAdmin(ClinicalReadOnlyAdmin):
    """Warning signs or pain reported without a session (written by the patient's form)."""

    list_display = ("created_at", "patient", "has_plan", "sign_list", "pain_now")
    list_select_related = ("patient__user",)
    list_filter = (("plan", admin.EmptyFieldListFilter),)
    search_fields = ("patient__user__username", "patient__user__last_name")
    date_hierarchy = "created_at"

    @admin.display(description="Plan", boolean=True)
    def has_plan(self, obj: SymptomReport) -> bool:
        return obj.plan_id is not None

    @admin.display(description="Warning signs")
    def sign_list(self, obj: SymptomReport) -> str:
        return ", ".join(obj.red_flag_labels()) or "None of these"


@admin.register(PainFollowUp)
class PainFollowUpAdmin(ClinicalReadOnlyAdmin):
    """The next day's answer to "has the pain settled?", append-only."""

    list_display = ("created_at", "patient", "session_log", "settled")
    list_select_related = ("session_log__plan__patient__user",)
    list_filter = ("settled",)
    search_fields = (
        "session_log__plan__patient__user__username",
        "session_log__plan__patient__user__last_name",
    )
    date_hierarchy = "created_at"

    @admin.display(description="Patient", ordering="session_log__plan__patient")
    def patient(self, obj: PainFollowUp):
        return obj.session_log.plan.patient


@admin.register(Reminder)
class ReminderAdmin(ClinicalReadOnlyAdmin):
    """Weekly reminder outbox rows; filter on status to find the failed ones."""

    list_display = (
        "created_at",
        "plan",
        "week",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_select_related = ("plan__patient__user",)
    list_filter = ("status",)
    search_fields = ("plan__patient__user__username",)
    date_hierarchy = "created_at"
