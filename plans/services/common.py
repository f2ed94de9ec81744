"""What the plan-side services share: the patient's day, the rules, the locks."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import engine
from plans.models import (
    Alert,
    AlertOutcome,
    PauseCause,
    Plan,
    PlanStatus,
    PlanWeek,
)
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    DATE_CEILING,
    DATE_FLOOR,
    PatientProfile,
    User,
)

logger = logging.getLogger(__name__)


STAGE_4_SIGN_OFF = gettext_lazy(
    "Stage 4 (running, heavy lifting, contact sport) needs your explicit sign-off."
)

# A plan starts on the day of approval or within four weeks of it: a later start is a slip of the
# keys (9999-12-25) or a decision to take again nearer the time. The approval form and
# `clearance_approve` refuse it; the database bounds every date absolutely.
PLAN_START_DAYS_AHEAD = 28


def check_plan_start(start_date: date, *, today: date) -> None:
    """Refuse a plan start before `today` or more than PLAN_START_DAYS_AHEAD days after it.
    Subtraction only: no arithmetic here can overflow, whatever the date."""
    if not isinstance(start_date, date):
        raise DomainError(_("Please give the plan's first day."), field="start_date")
    days = (start_date - today).days
    if days < 0:
        raise DomainError(_("The plan cannot start in the past."), field="start_date")
    if days > PLAN_START_DAYS_AHEAD or not DATE_FLOOR <= start_date <= DATE_CEILING:
        raise DomainError(
            _(
                "The plan must start within %(weeks)s weeks of today; approve nearer the time "
                "for a later start."
            )
            % {"weeks": PLAN_START_DAYS_AHEAD // 7},
            field="start_date",
        )


def patient_today(patient: PatientProfile, now: datetime | None = None) -> date:
    """Today's date on the patient's own clock: weeks and 'not in the future' follow it."""
    return patient.local_date(now or timezone.now())


def _rules_or_error(rules: engine.Rules | dict) -> engine.Rules:
    if isinstance(rules, engine.Rules):
        return rules
    expected = {
        "start_minutes",
        "min_increment",
        "max_increment",
        "target_minutes",
        "sessions_per_week",
    }
    missing = expected - set(rules)
    if missing:
        raise DomainError(f"Please give {', '.join(sorted(missing))}.", field=min(missing))
    try:
        return engine.Rules(**{name: rules[name] for name in expected})
    except ValueError as error:
        field = next((name for name in rules if str(error).startswith(name)), None)
        raise DomainError(str(error), field=field) from None


def _locked(model):
    """`model`'s rows, locked FOR NO KEY UPDATE when read, and only those (see the lock order)."""
    return model.objects.select_for_update(of=("self",), no_key=True)


def _lock_plan(plan: Plan | int) -> Plan:
    pk = plan.pk if isinstance(plan, Plan) else plan
    return _locked(Plan).select_related("patient").get(pk=pk)


# --- a plan's state, shared by clearance, sessions and plan control -----------------------


def _pause(
    plan: Plan,
    *,
    cause: PauseCause,
    actor: User | None,
    day: date | None = None,
    week: PlanWeek | None = None,
    reason: str = "",
) -> None:
    """Pause `plan` for `cause`, with what its sentence needs (see PauseCause): the sentence is
    built when shown, in the reader's language; `reason` is a clinician's words only."""
    plan.status = PlanStatus.PAUSED
    plan.pause_cause = cause
    plan.pause_day = day
    plan.pause_week = week
    plan.pause_reason = reason
    plan.paused_at = timezone.now()
    plan.save(
        update_fields=[
            "status",
            "pause_cause",
            "pause_day",
            "pause_week",
            "pause_reason",
            "paused_at",
        ]
    )
    audit("plan_pause", actor=actor, obj=plan, patient=plan.patient)


def _end(plan: Plan, *, actor: User, why: str, alerts: list[Alert]) -> None:
    """End a paused plan (resumed as a new one, or replaced by a new clearance), audited.

    Ending is the clinician's answer to the plan's open alerts: they are acknowledged by them.
    `alerts` are those open alerts (of this plan and maybe others), locked by the caller before
    its first write (`_lock_open_alerts`).
    """
    plan.status = PlanStatus.COMPLETED
    plan.ended_at = timezone.now()
    plan.save(update_fields=["status", "ended_at"])
    audit("plan_end", actor=actor, obj=plan, patient=plan.patient, via=why)
    for alert in (alert for alert in alerts if alert.plan_id == plan.pk):
        alert.acknowledged_by = actor
        alert.acknowledged_at = plan.ended_at
        alert.outcome = AlertOutcome.PLAN_ENDED
        alert.save(update_fields=["acknowledged_by", "acknowledged_at", "outcome"])
        audit("alert_acknowledge", actor=actor, obj=alert, patient=plan.patient, via=why)


def _lock_open_alerts(plans: list[Plan]) -> list[Alert]:
    """The unacknowledged alerts of `plans`, locked by id ascending (step 4 of the lock order)."""
    return list(_locked(Alert).filter(plan__in=plans, acknowledged_at__isnull=True).order_by("pk"))
