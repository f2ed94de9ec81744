"""Outcome measures in the admin.

Staff define the clinic's licensed instruments (items, options with scores, scoring, direction,
minimal important change) and the schedule per treatment type: definitions, no person in them
(STAFF_MODELS). What patients answered is clinical: superusers only, read-only (the rows are
append-only anyway), and Answer rows only inside their Response.
"""

from __future__ import annotations

from django.contrib import admin

from outcomes.models import (
    Answer,
    Instrument,
    InstrumentKind,
    Item,
    Option,
    Questionnaire,
    Response,
    ScheduledInstrument,
)
from recovery.admin.base import AuditedAdminMixin, ClinicalReadOnlyAdmin, ClinicalReadOnlyInline


class ItemInline(admin.TabularInline):
    model = Item
    fields = ("position", "text", "help_text")
    extra = 1
    show_change_link = True  # the item's own page holds its options


class OptionInline(admin.TabularInline):
    model = Option
    fields = ("position", "label", "score")
    extra = 3


@admin.register(Instrument)
class InstrumentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """An instrument is asked only once it is active, and a clinic instrument can be made
    active only with the licence ticked (the form says so beside the tick; a CHECK holds it).
    Shipped instruments keep their wording: staff may only switch them on or off."""

    list_display = (
        "name",
        "code",
        "kind",
        "scoring",
        "direction",
        "minimal_important_change",
        "licence_held",
        "active",
    )
    list_filter = ("kind", "active", "licence_held")
    search_fields = ("name", "code")
    inlines = [ItemInline]
    fields = (
        "code",
        "name",
        "kind",
        "intro",
        "scoring",
        "direction",
        "minimal_important_change",
        "asked_at_baseline",
        "licence_held",
        "active",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.kind == InstrumentKind.SHIPPED:
            return tuple(f for f in self.fields if f != "active")
        return ("kind",)

    def get_inlines(self, request, obj):
        return [] if obj is not None and obj.kind == InstrumentKind.SHIPPED else self.inlines


@admin.register(Item)
class ItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("instrument", "position", "text")
    list_select_related = ("instrument",)
    list_filter = ("instrument",)
    search_fields = ("text", "instrument__name")
    inlines = [OptionInline]


@admin.register(ScheduledInstrument)
class ScheduledInstrumentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """When each instrument is asked after each treatment type (DESIGN section 8)."""

    list_display = ("treatment_type", "visit", "instrument")
    list_select_related = ("treatment_type", "instrument")
    list_filter = ("treatment_type", "visit", "instrument")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "instrument":
            kwargs["queryset"] = Instrument.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Questionnaire)
class QuestionnaireAdmin(ClinicalReadOnlyAdmin):
    list_display = ("patient", "instrument", "visit", "opens_on", "closes_on", "status")
    list_select_related = ("patient__user", "instrument")
    list_filter = ("status", "visit", "instrument")
    search_fields = ("patient__user__username", "patient__user__last_name")


class AnswerInline(ClinicalReadOnlyInline):
    model = Answer
    fields = ("position", "item", "label", "option", "value")


@admin.register(Response)
class ResponseAdmin(ClinicalReadOnlyAdmin):
    """What a patient answered: superusers only, read-only (append-only all the way down)."""

    list_display = ("submitted_at", "patient", "instrument", "score")
    list_select_related = ("patient__user", "instrument")
    list_filter = ("instrument",)
    search_fields = ("patient__user__username", "patient__user__last_name")
    inlines = [AnswerInline]
