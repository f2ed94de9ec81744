"""Plan control by the clinician: pause, resume, rules, stage."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import engine
from plans.models import (
    PauseCause,
    Plan,
    PlanStatus,
    PlanWeek,
)
from plans.services.clearance import _plan_start
from plans.services.clearance_terms import check_stage_gate, check_wound_healed, require_reason
from plans.services.common import (
    STAGE_4_SIGN_OFF,
    _end,
    _lock_open_alerts,
    _lock_plan,
    _locked,
    _pause,
    _rules_or_error,
    patient_today,
)
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    Activity,
    Clearance,
    ClearanceStatus,
    User,
    activities_for_stage,
)
from recovery.services import require_assigned_clinician

logger = logging.getLogger(__name__)


# --- plan control ----------------------------------------------------------------------------


@transaction.atomic
def plan_pause(*, plan: Plan, actor: User, reason: str) -> Plan:
    plan = _lock_plan(plan)
    require_assigned_clinician(plan.patient, actor, action=gettext_lazy("change this plan"))
    if plan.status != PlanStatus.ACTIVE:
        raise DomainError(_("Only an active plan can be paused."))
    _pause(plan, cause=PauseCause.CLINICIAN, reason=require_reason(reason), actor=actor)
    return plan


def resume_ceiling(plan: Plan, weeks: Iterable | None = None) -> int:
    """The most minutes a paused plan may resume at: its last prescription (a STOP week has
    none), never below the floor (DESIGN section 7, "resume at a level"). `weeks`, the plan's
    weeks already read (anything with `week` and `minutes`), saves the query."""
    if weeks is None:
        weeks = PlanWeek.objects.filter(plan=plan).only("week", "minutes")
    prescribed = [(w.week, w.minutes) for w in weeks if w.minutes > 0]
    last = max(prescribed)[1] if prescribed else plan.start_minutes
    return max(last, engine.FLOOR_MINUTES)


@transaction.atomic
def plan_resume(*, plan: Plan, actor: User, start_minutes: int, today: date) -> Plan:
    """Resume a paused plan as a new history from week 1, at any minutes from the floor up to
    the paused plan's last prescription (engine `start_at`)."""
    # The clearance before the plan (the lock order): its id, read unlocked, never changes.
    clearance_id = Plan.objects.filter(pk=plan.pk).values_list("clearance_id", flat=True).get()
    clearance = _locked(Clearance).get(pk=clearance_id)
    plan = _lock_plan(plan)
    require_assigned_clinician(plan.patient, actor, action=gettext_lazy("change this plan"))
    if plan.status != PlanStatus.PAUSED:
        raise DomainError(_("Only a paused plan can be resumed."))
    if clearance.status != ClearanceStatus.APPROVED:
        raise DomainError(
            _("Clearance was withdrawn; approve a new clearance to restart exercise.")
        )
    ceiling = resume_ceiling(plan)
    if not engine.FLOOR_MINUTES <= start_minutes <= ceiling:
        raise DomainError(
            _("Restart between %(floor)s and %(ceiling)s minutes (the last prescription).")
            % {"floor": engine.FLOOR_MINUTES, "ceiling": ceiling},
            field="start_minutes",
        )
    try:
        rules = engine.Rules(
            # The plan's own start stays within the engine's 10-15; week 1 is `start_minutes`.
            start_minutes=min(max(start_minutes, engine.START_MINUTES_MIN), plan.start_minutes),
            min_increment=plan.min_increment,
            max_increment=plan.max_increment,
            target_minutes=max(plan.target_minutes, start_minutes),
            sessions_per_week=plan.sessions_per_week,
        )
    except ValueError as error:
        raise DomainError(str(error), field="start_minutes") from None
    _end(plan, actor=actor, why="resume", alerts=_lock_open_alerts([plan]))
    new_plan = _plan_start(
        patient=plan.patient,
        clearance=clearance,
        rules=rules,
        stage=plan.stage,
        activities=list(plan.allowed_activities),
        start_date=today,
        restarted_from=plan,
        start_at=start_minutes,
        stage_override_reason=plan.stage_override_reason,
    )
    audit(
        "plan_resume",
        actor=actor,
        obj=new_plan,
        patient=plan.patient,
        start_minutes=start_minutes,
        last_prescription=ceiling,
    )
    return new_plan


@transaction.atomic
def plan_update_rules(*, plan: Plan, actor: User, rules: engine.Rules | dict) -> Plan:
    """Change the limits of a running plan. Weeks already prescribed keep their numbers."""
    plan = _lock_plan(plan)
    require_assigned_clinician(plan.patient, actor, action=gettext_lazy("change this plan"))
    if plan.status == PlanStatus.COMPLETED:
        raise DomainError(_("This plan has ended; its rules can no longer change."))
    rules = _rules_or_error(rules)
    before = plan.rules()
    for name in (
        "start_minutes",
        "min_increment",
        "max_increment",
        "target_minutes",
        "sessions_per_week",
    ):
        setattr(plan, name, getattr(rules, name))
    plan.save()
    audit(
        "plan_update_rules",
        actor=actor,
        obj=plan,
        patient=plan.patient,
        before=before.__dict__,
        after=rules.__dict__,
    )
    return plan


@transaction.atomic
def plan_set_stage(
    *,
    plan: Plan,
    actor: User,
    stage: int,
    signed_off: bool = False,
    allowed_activities: Iterable[str] | None = None,
    override_reason: str = "",
) -> Plan:
    """Raise or lower the patient's allowed stage, and with it the activities they may log.

    Stage 4 needs an explicit clinician sign-off. Raising the stage before its gate (days since
    the procedure, DESIGN §7) needs an override reason, audited and kept on the plan. Without
    `allowed_activities`, lowering the stage drops the activities above it and raising it adds
    none (swimming waits for a healed wound).
    """
    plan = _lock_plan(plan)
    require_assigned_clinician(plan.patient, actor, action=gettext_lazy("change this plan"))
    if plan.status == PlanStatus.COMPLETED:
        raise DomainError(_("This plan has ended; its stage can no longer change."))
    if not 1 <= stage <= 4:
        raise DomainError(_("The stage must be between 1 and 4."), field="stage")
    if stage == 4 and not signed_off:
        raise DomainError(str(STAGE_4_SIGN_OFF), field="signed_off")
    allowed = activities_for_stage(stage)
    if allowed_activities is None:
        activities = [a for a in plan.allowed_activities if a in allowed] or [
            Activity.WALKING.value
        ]
    else:
        activities = list(dict.fromkeys(allowed_activities))
        beyond = [a for a in activities if a not in allowed]
        if beyond:
            raise DomainError(
                _("Stage %(stage)s does not include: %(activities)s.")
                % {
                    "stage": stage,
                    "activities": ", ".join(
                        str(Activity(a).label) if a in Activity.values else a for a in beyond
                    ),
                },
                field="allowed_activities",
            )
        if not activities:
            raise DomainError(_("Allow at least one activity."), field="allowed_activities")
    before = (plan.stage, list(plan.allowed_activities))
    clearance = Clearance.objects.select_related("treatment__treatment_type").get(
        pk=plan.clearance_id
    )
    treatment = clearance.treatment
    today = patient_today(plan.patient)
    check_wound_healed(clearance, activities, today=today)
    if stage > plan.stage:
        stage_reason = check_stage_gate(
            treatment, stage, today=today, override_reason=override_reason
        )
    elif today >= treatment.treatment_type.stage_gate(stage, treatment.procedure_date):
        stage_reason = ""  # lowered to a stage whose time has come: no override stands
    else:
        stage_reason = plan.stage_override_reason
    plan.stage = stage
    plan.allowed_activities = activities
    plan.stage_override_reason = stage_reason
    plan.save(update_fields=["stage", "allowed_activities", "stage_override_reason"])
    if stage > before[0] and stage_reason:
        audit(
            "stage_override",
            actor=actor,
            obj=plan,
            patient=plan.patient,
            stage=stage,
        )
    audit(
        "plan_set_stage",
        actor=actor,
        obj=plan,
        patient=plan.patient,
        before=before[0],
        after=stage,
        activities_before=before[1],
        activities_after=activities,
    )
    return plan
