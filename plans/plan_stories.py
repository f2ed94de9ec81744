"""Each plan as the patient's record tells it (DESIGN section 14): its number, how it ended and
who paused or resumed it, worked out from rows the record has loaded already (no query but the
plan changes' own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import dateformat
from django.utils.translation import gettext as _

from plans.history import plan_end_day
from plans.models import AlertKind, Plan, PlanStatus
from plans.patient_record import AlertRow
from recovery.models import AuditEvent, PatientProfile

# Audited plan changes the record shows (recovery.audit; plans.services writes them). Pauses and
# resumes are told with the plan they belong to; their audit rows say who.
CHANGE_ACTIONS = ("plan_pause", "plan_resume", "plan_set_stage", "plan_update_rules")
REDECIDED = "plan_week_redecided"
PLAN_OBJECT = Plan._meta.label


@dataclass
class PlanStory:
    """One plan as the record tells it: never "completed" when a pause ended it."""

    plan: Plan
    end_day: date | None
    warning_sign: bool  # a warning sign paused it
    paused_by: str  # who paused it ("" when the app did, on a warning sign)
    resumed_by: str  # who resumed it as the next plan
    restarted_as: Plan | None
    number: int  # 1 for the patient's first plan
    restarted_number: int | None = None  # the number of the plan it was resumed as

    @property
    def status_words(self) -> str:
        plan = self.plan
        if plan.status == PlanStatus.ACTIVE:
            return _("Active")
        if self.warning_sign:
            return (
                _("Paused by a warning sign")
                if plan.status == PlanStatus.PAUSED
                else _("Ended by a warning sign")
            )
        if plan.status == PlanStatus.PAUSED:
            return _("Paused")
        if self.restarted_as is not None:
            return _("Paused, then resumed as a new plan")
        return _("Closed")

    @property
    def badge(self) -> str:
        if self.plan.status == PlanStatus.ACTIVE:
            return "text-bg-success"
        if self.warning_sign:
            return "text-bg-danger"
        return "text-bg-warning" if self.plan.status == PlanStatus.PAUSED else "text-bg-secondary"

    @property
    def label(self) -> str:
        return _("Plan %(n)s, started %(day)s") % {
            "n": self.number,
            "day": dateformat.format(self.plan.start_date, "j M Y"),
        }


def person_name(user) -> str:
    return user.display_name() if user is not None else ""


def plan_stories(
    plans: list[Plan], alerts: list[AlertRow], changes: list[AuditEvent], tz
) -> list[PlanStory]:
    """Each plan's story, newest first, from rows already loaded (no query)."""
    warned = {
        row.alert.plan_id
        for row in alerts
        if row.alert.kind == AlertKind.WARNING_SIGN and row.alert.plan_id
    }
    paused_by: dict[str, str] = {}
    resumed_by: dict[str, str] = {}
    for event in changes:
        if event.action == "plan_pause" and event.actor is not None:
            paused_by.setdefault(event.object_id, person_name(event.actor))
        elif event.action == "plan_resume":
            resumed_by.setdefault(event.object_id, person_name(event.actor))
    successor = {p.restarted_from_id: p for p in plans if p.restarted_from_id}
    oldest_first = sorted(plans, key=lambda p: (p.start_date, p.pk))
    numbers = {p.pk: n for n, p in enumerate(oldest_first, start=1)}
    stories = []
    for plan in plans:
        after = successor.get(plan.pk)
        # A warning sign pauses the plan it is reported in; a later one (while paused) does not.
        by_sign = plan.pk in warned and not paused_by.get(str(plan.pk))
        stories.append(
            PlanStory(
                plan=plan,
                end_day=plan_end_day(plan, tz),
                warning_sign=by_sign and plan.status != PlanStatus.ACTIVE,
                paused_by=paused_by.get(str(plan.pk), ""),
                resumed_by=resumed_by.get(str(after.pk), "") if after else "",
                restarted_as=after,
                number=numbers[plan.pk],
                restarted_number=numbers[after.pk] if after else None,
            )
        )
    return stories


def plan_changes(patient: PatientProfile) -> list[AuditEvent]:
    """The audited plan changes of the patient, newest first (one query)."""
    return list(
        AuditEvent.objects.filter(patient=patient, action__in=(*CHANGE_ACTIONS, REDECIDED))
        .select_related("actor")
        .order_by("-at", "-id")
    )
