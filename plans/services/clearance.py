"""Clearance on the plan side: enrolling a patient with a pending clearance, declining,
approving (which starts a plan) and revoking. The terms these check (override reasons, stage
gates, the wound, precautions) are in plans.services.clearance_terms."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from plans import engine
from plans.models import (
    PauseCause,
    Plan,
    PlanStatus,
)
from plans.services.clearance_terms import (
    OVERRIDE_MIN_LENGTH,
    check_precautions,
    check_stage_gate,
    check_wound_date,
    check_wound_healed,
    require_reason,
)
from plans.services.common import (
    STAGE_4_SIGN_OFF,
    _end,
    _lock_open_alerts,
    _locked,
    _pause,
    _rules_or_error,
    check_plan_start,
)
from plans.services.weeks import _week_create
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    Activity,
    Clearance,
    ClearanceEvent,
    ClearanceStatus,
    Language,
    OutboxEmailKind,
    PatientProfile,
    Role,
    Treatment,
    TreatmentType,
    User,
    activities_for_stage,
)
from recovery.services import (
    check_contact,
    check_procedure_date,
    require_assigned_clinician,
    set_password_email,
    username_from_email,
)

logger = logging.getLogger(__name__)


def clearance_record_event(
    *, clearance: Clearance, actor: User | None, from_status: str, reason: str = ""
) -> ClearanceEvent:
    event = ClearanceEvent.objects.create(
        clearance=clearance,
        actor=actor,
        from_status=from_status,
        to_status=clearance.status,
        reason=reason,
    )
    audit(
        f"clearance_{clearance.status}",
        actor=actor,
        obj=clearance,
        patient=clearance.patient,
        from_status=from_status,
    )
    return event


@transaction.atomic
def clearance_request(
    *, patient: PatientProfile, treatment: Treatment, actor: User | None
) -> Clearance:
    """Open a pending clearance. A patient has at most one open clearance at a time."""
    if treatment.patient_id != patient.pk:
        raise DomainError(_("That treatment belongs to another patient."))
    if Clearance.objects.filter(
        patient=patient, status__in=[ClearanceStatus.PENDING, ClearanceStatus.APPROVED]
    ).exists():
        raise DomainError(_("This patient already has an open clearance."))
    try:
        with transaction.atomic():
            clearance = Clearance.objects.create(patient=patient, treatment=treatment)
    except IntegrityError:
        raise DomainError(_("This patient already has an open clearance.")) from None
    clearance_record_event(clearance=clearance, actor=actor, from_status="", reason="")
    return clearance


@transaction.atomic
def clearance_decline(*, clearance: Clearance, actor: User, reason: str) -> Clearance:
    # The clearance row only, FOR NO KEY UPDATE: the lock order of `plans.services`.
    clearance = (
        Clearance.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(clearance.patient, actor)
    if clearance.status != ClearanceStatus.PENDING:
        status = clearance.get_status_display().lower()
        raise DomainError(
            _("Only a pending clearance can be declined; this one is %(status)s.")
            % {"status": status}
        )
    _decide(clearance, ClearanceStatus.DECLINED, actor=actor, reason=require_reason(reason))
    return clearance


def _decide(clearance: Clearance, status: str, *, actor: User, reason: str) -> None:
    """Decline or revoke a locked clearance: who, when and why, and its audited event."""
    from_status = clearance.status
    clearance.status = status
    clearance.decided_by = actor
    clearance.decided_at = timezone.now()
    clearance.decision_reason = reason
    clearance.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    clearance_record_event(clearance=clearance, actor=actor, from_status=from_status, reason=reason)


@transaction.atomic
def patient_enrol(
    *,
    clinician: User,
    first_name: str,
    last_name: str,
    email: str,
    treatment_type: TreatmentType,
    procedure_date: date,
    planned: bool = False,
    timezone_name: str = "America/New_York",
    phone: str = "",
    date_of_birth: date | None = None,
    record_number: str = "",
    language: str = Language.ENGLISH,
    today: date,
) -> PatientProfile:
    """Create a patient account without a usable password, with a treatment and a pending clearance.

    The patient chooses a password through a one-time link: its e-mail is an outbox row of this
    transaction, sent once it commits.
    """
    if clinician.role != Role.CLINICIAN:
        raise DomainError(_("Only a clinician can enrol a patient."))
    email = email.strip()
    if not email:
        raise DomainError(_("Please give the patient's e-mail address."), field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    check_procedure_date(procedure_date, today=today, planned=planned)
    contact = check_contact(
        phone=phone, date_of_birth=date_of_birth, record_number=record_number, today=today
    )
    if not treatment_type.active:
        raise DomainError(_("That treatment type is no longer offered."), field="treatment_type")
    if language not in Language.values:
        raise DomainError(_("Choose English or Español."), field="language")
    try:
        with transaction.atomic():
            user = User(
                language=language,
                username=username_from_email(email),
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                role=Role.PATIENT,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        raise DomainError(
            _("An account with this e-mail address already exists."), field="email"
        ) from None
    try:
        with transaction.atomic():
            patient = PatientProfile.objects.create(
                user=user, clinician=clinician, timezone=timezone_name, **contact
            )
    except IntegrityError:  # the same record number enrolled by someone else meanwhile
        raise DomainError(
            _("Another patient has this record number already."), field="record_number"
        ) from None
    treatment = Treatment.objects.create(
        patient=patient, treatment_type=treatment_type, procedure_date=procedure_date
    )
    clearance_request(patient=patient, treatment=treatment, actor=clinician)
    audit("patient_enrol", actor=clinician, obj=patient, patient=patient)
    set_password_email(user, kind=OutboxEmailKind.ENROLMENT)
    return patient


# --- clearance ---------------------------------------------------------------------------------


@transaction.atomic
def clearance_approve(
    *,
    clearance: Clearance,
    actor: User,
    rules: engine.Rules | dict,
    max_stage: int,
    allowed_activities: Iterable[str],
    restrictions: str = "",
    start_date: date,
    today: date,
    override_reason: str = "",
    stage_override_reason: str = "",
    signed_off: bool = False,
    wound_healed_on: date | None = None,
    precautions: dict | None = None,
    now: datetime | None = None,
) -> Plan:
    """Approve exercise clearance and start the plan with week 1 prescribed.

    Before procedure date + the treatment type's minimum days, approval needs a written override;
    so does a highest stage before its gate (days since the procedure, DESIGN §7). Each override
    is at least OVERRIDE_MIN_LENGTH characters, audited and shown on the record.
    """
    clearance = (
        _locked(Clearance)
        .select_related("patient", "treatment__treatment_type")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(clearance.patient, actor)
    if clearance.status != ClearanceStatus.PENDING:
        raise DomainError(
            _("Only a pending clearance can be approved; this one is %(status)s.")
            % {"status": clearance.get_status_display().lower()}
        )
    rules = _rules_or_error(rules)
    if not 1 <= int(max_stage) <= 4:
        raise DomainError(_("The highest stage must be between 1 and 4."), field="max_stage")
    if int(max_stage) == 4 and not signed_off:
        raise DomainError(str(STAGE_4_SIGN_OFF), field="max_stage")
    activities = list(dict.fromkeys(allowed_activities))
    unknown = [a for a in activities if a not in Activity.values]
    if unknown:
        raise DomainError(
            _("Unknown activity: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="allowed_activities",
        )
    beyond = [a for a in activities if a not in activities_for_stage(int(max_stage))]
    if beyond:
        raise DomainError(
            _("These activities belong to a higher stage than the one allowed: %(activities)s.")
            % {"activities": ", ".join(str(Activity(a).label) for a in beyond)},
            field="allowed_activities",
        )
    if not activities:
        raise DomainError(_("Allow at least one activity."), field="allowed_activities")
    check_plan_start(start_date, today=today)
    earliest = clearance.treatment.earliest_clearance
    override_reason = (override_reason or "").strip()
    if today < earliest:
        override_reason = require_reason(
            override_reason,
            field="override_reason",
            what=(
                _("an override reason (the usual minimum for %(treatment)s is reached on %(day)s)")
                % {
                    "treatment": clearance.treatment.treatment_type.name,
                    "day": dateformat.format(earliest, "j F Y"),
                }
            ),
            min_length=OVERRIDE_MIN_LENGTH,
        )
    stage_reason = check_stage_gate(
        clearance.treatment, int(max_stage), today=today, override_reason=stage_override_reason
    )
    if wound_healed_on is not None:
        check_wound_date(clearance, wound_healed_on, today=today)
        clearance.wound_healed_on = wound_healed_on
    check_wound_healed(clearance, activities, today=today)
    if precautions is None:  # the treatment type's defaults (DESIGN §7)
        kind = clearance.treatment.treatment_type
        precautions = kind.default_precautions(clearance.treatment.procedure_date)
    for name, value in check_precautions(clearance, precautions).items():
        setattr(clearance, name, value)
    # A paused plan from an earlier clearance ends here: the patient has one open plan at a time.
    # Every lock (the plans, then their alerts) is taken before the first write.
    open_plans = list(
        _locked(Plan)
        .filter(patient=clearance.patient, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
        .order_by("pk")
    )
    if any(plan.status == PlanStatus.ACTIVE for plan in open_plans):
        raise DomainError(_("This patient already has an active plan."))
    open_alerts = _lock_open_alerts(open_plans)
    for old in open_plans:
        old.patient = clearance.patient
        _end(old, actor=actor, why="new_clearance", alerts=open_alerts)

    clearance.status = ClearanceStatus.APPROVED
    clearance.decided_by = actor
    clearance.decided_at = now or timezone.now()
    clearance.override_reason = override_reason
    clearance.allowed_activities = activities
    clearance.max_stage = int(max_stage)
    clearance.restrictions = restrictions.strip()
    clearance.start_date = start_date
    for name in (
        "start_minutes",
        "min_increment",
        "max_increment",
        "target_minutes",
        "sessions_per_week",
    ):
        setattr(clearance, name, getattr(rules, name))
    clearance.save()
    clearance_record_event(
        clearance=clearance,
        actor=actor,
        from_status=ClearanceStatus.PENDING,
        reason=override_reason and f"{ClearanceEvent.OVERRIDE_PREFIX}{override_reason}",
    )
    plan = _plan_start(
        patient=clearance.patient,
        clearance=clearance,
        rules=rules,
        stage=clearance.max_stage,
        activities=activities,
        start_date=start_date,
        stage_override_reason=stage_reason,
    )
    if stage_reason:
        audit(
            "stage_override",
            actor=actor,
            obj=plan,
            patient=plan.patient,
            stage=plan.stage,
        )
    return plan


def _plan_start(
    *,
    patient: PatientProfile,
    clearance: Clearance,
    rules: engine.Rules,
    stage: int,
    activities: list[str],
    start_date: date,
    restarted_from: Plan | None = None,
    start_at: int | None = None,
    stage_override_reason: str = "",
) -> Plan:
    plan = Plan.objects.create(
        patient=patient,
        clearance=clearance,
        restarted_from=restarted_from,
        start_date=start_date,
        stage=stage,
        stage_override_reason=stage_override_reason,
        allowed_activities=activities,
        start_minutes=rules.start_minutes,
        min_increment=rules.min_increment,
        max_increment=rules.max_increment,
        target_minutes=rules.target_minutes,
        sessions_per_week=rules.sessions_per_week,
    )
    # A resume starts at the level the clinician chose, and week 1 says so (Cause.RESUME).
    if restarted_from is not None and start_at is None:
        start_at = rules.start_minutes
    _week_create(plan, engine.next_week(rules, [], start_at=start_at))
    return plan


@transaction.atomic
def clearance_revoke(*, clearance: Clearance, actor: User, reason: str) -> Clearance:
    """Withdraw an approval: the plan pauses at once and no reminders go out."""
    clearance = _locked(Clearance).select_related("patient").get(pk=clearance.pk)
    require_assigned_clinician(clearance.patient, actor)
    if clearance.status != ClearanceStatus.APPROVED:
        raise DomainError(_("Only an approved clearance can be revoked."))
    reason = require_reason(reason)
    # The plans before the first write (the lock order).
    plans = list(_locked(Plan).filter(clearance=clearance, status=PlanStatus.ACTIVE).order_by("pk"))
    _decide(clearance, ClearanceStatus.REVOKED, actor=actor, reason=reason)
    for plan in plans:
        plan.patient = clearance.patient
        _pause(plan, cause=PauseCause.CLEARANCE_WITHDRAWN, reason=reason, actor=actor)
    return clearance
