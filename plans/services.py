"""Writes on the plan side. Views, admin, tasks and commands all call these; nothing else writes.

Each function is atomic and refuses an illegal change with one `DomainError`. Prescriptions come
only from `plans.engine`; this module turns its answers into rows.

Lock order (the one place it is written down; `recovery.services` follows it too). A service that
locks rows takes them in this order, and within one kind by id ascending:

    1. clearance  (Clearance)
    2. plan       (Plan: the patient's open plan, or the plans of the clearance locked in 1)
    3. session    (SessionLog)
    4. alert      (Alert)
    5. users      (User: taken by the database at COMMIT, in id order, by the page-revision
                   triggers of plans migration 0003; never by a service)

and follows three rules:

- It locks only the row it names: `select_for_update(of=("self",), no_key=True)` (`_locked`), so
  a `select_related` join locks nothing more. The patient profile is never locked: a service
  reads it and takes turns on the patient's plan instead.
- The lock is FOR NO KEY UPDATE, the lock an UPDATE of the row takes anyway: it makes callers of
  one row take turns, and never waits for (nor makes wait) the FOR KEY SHARE lock PostgreSQL
  takes on a row that a new row points at (an alert's patient, a session's plan).
- It takes every lock before its first write. A write that points at a user (an audit row's
  actor, a clearance's decider) holds that user row FOR KEY SHARE until COMMIT, and at COMMIT
  another transaction's page-revision trigger locks the same user row: a lock taken after such a
  write could close a cycle (revoke waiting for a plan that a pause holds, the pause's COMMIT
  waiting for the clinician row that the revoke's audit row points at).

Going back in the order is a deadlock waiting to happen: to lock a clearance after its plan
(`plan_resume`), read the clearance's id unlocked first (a plan's clearance never changes).
tests/test_lock_order.py runs each pair of multi-row services at once on PostgreSQL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.utils import timezone

from infra.queue import queue_after_commit
from plans import engine
from plans.models import (
    ALERT_NOTE_MAX,
    CORRECTION_HOURS,
    PAIN_DURATION_HOURS,
    Alert,
    AlertKind,
    AlertOutcome,
    AlertTier,
    PainDuration,
    PainFollowUp,
    PainSettled,
    Plan,
    PlanStatus,
    PlanWeek,
    RedFlag,
    RevisionKind,
    SessionLog,
    SessionLogRevision,
    SymptomReport,
    session_summary,
)
from recovery.access import own_patients
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    DATE_CEILING,
    DATE_FLOOR,
    LIFTING_LIMIT_MAX_KG,
    LIFTING_LIMIT_MIN_KG,
    WOUND_CATEGORIES,
    Activity,
    Clearance,
    ClearanceStatus,
    PatientProfile,
    User,
    activities_for_stage,
)
from recovery.services import (
    OVERRIDE_MIN_LENGTH,
    clearance_record_event,
    require_assigned_clinician,
    require_reason,
)

logger = logging.getLogger(__name__)

STAGE_4_SIGN_OFF = "Stage 4 (running, heavy lifting, contact sport) needs your explicit sign-off."

# A plan starts on the day of approval or within four weeks of it: a later start is a slip of the
# keys (9999-12-25) or a decision to take again nearer the time. The approval form and
# `clearance_approve` refuse it; the database bounds every date absolutely.
PLAN_START_DAYS_AHEAD = 28


def check_plan_start(start_date: date, *, today: date) -> None:
    """Refuse a plan start before `today` or more than PLAN_START_DAYS_AHEAD days after it.
    Subtraction only: no arithmetic here can overflow, whatever the date."""
    if not isinstance(start_date, date):
        raise DomainError("Please give the plan's first day.", field="start_date")
    days = (start_date - today).days
    if days < 0:
        raise DomainError("The plan cannot start in the past.", field="start_date")
    if days > PLAN_START_DAYS_AHEAD or not DATE_FLOOR <= start_date <= DATE_CEILING:
        raise DomainError(
            f"The plan must start within {PLAN_START_DAYS_AHEAD // 7} weeks of today; "
            "approve nearer the time for a later start.",
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
            "Only a pending clearance can be approved; this one is "
            f"{clearance.get_status_display().lower()}."
        )
    rules = _rules_or_error(rules)
    if not 1 <= int(max_stage) <= 4:
        raise DomainError("The highest stage must be between 1 and 4.", field="max_stage")
    if int(max_stage) == 4 and not signed_off:
        raise DomainError(STAGE_4_SIGN_OFF, field="max_stage")
    activities = list(dict.fromkeys(allowed_activities))
    unknown = [a for a in activities if a not in Activity.values]
    if unknown:
        raise DomainError(f"Unknown activity: {', '.join(unknown)}.", field="allowed_activities")
    beyond = [a for a in activities if a not in activities_for_stage(int(max_stage))]
    if beyond:
        raise DomainError(
            "These activities belong to a higher stage than the one allowed: "
            + ", ".join(Activity(a).label for a in beyond)
            + ".",
            field="allowed_activities",
        )
    if not activities:
        raise DomainError("Allow at least one activity.", field="allowed_activities")
    check_plan_start(start_date, today=today)
    earliest = clearance.treatment.earliest_clearance
    override_reason = (override_reason or "").strip()
    if today < earliest:
        override_reason = require_reason(
            override_reason,
            field="override_reason",
            what=(
                f"an override reason (the usual minimum for "
                f"{clearance.treatment.treatment_type.name} is reached on {earliest:%-d %B %Y})"
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
        raise DomainError("This patient already has an active plan.")
    open_alerts = _lock_open_alerts(open_plans)
    for old in open_plans:
        old.patient = clearance.patient
        _end(old, actor=actor, why="new_clearance", alerts=open_alerts)

    clearance.status = ClearanceStatus.APPROVED
    clearance.decided_by = actor
    clearance.decided_at = timezone.now()
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
        reason=override_reason and f"Override: {override_reason}",
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


WATER_NEEDS_WOUND = (
    "Water exercise needs the date the wound was seen healed. Record it first, or leave water "
    "exercise out for now."
)


def check_wound_healed(clearance: Clearance, activities: Iterable[str], *, today: date) -> None:
    """After surgery or a minimally invasive procedure, water exercise only once a clinician has
    recorded the day the wound was seen healed, on or before today (DESIGN §1 rule 2)."""
    if Activity.WATER.value not in activities:
        return
    if clearance.treatment.treatment_type.category not in WOUND_CATEGORIES:
        return
    healed = clearance.wound_healed_on
    if healed is None or healed > today:
        raise DomainError(WATER_NEEDS_WOUND, field="allowed_activities")


PRECAUTION_FIELDS = ("no_bending_until", "lifting_limit_kg", "lifting_limit_until")
PRECAUTION_YEARS_MAX = 2


def check_precautions(clearance: Clearance, values: dict) -> dict:
    """The precaution fields tidied, or a DomainError beside the field at fault: dates from the
    procedure to two years after it; a lifting limit of 0.5 to 50 kg with an end date."""
    procedure = clearance.treatment.procedure_date
    latest = procedure.replace(year=procedure.year + PRECAUTION_YEARS_MAX)
    for name in ("no_bending_until", "lifting_limit_until"):
        day = values.get(name)
        if day is not None and not procedure <= day <= latest:
            raise DomainError(
                f"Give a date between the procedure ({procedure:%-d %B %Y}) and "
                f"{latest:%-d %B %Y}.",
                field=name,
            )
    kg = values.get("lifting_limit_kg")
    if kg is not None:
        kg = Decimal(str(kg)).quantize(Decimal("0.1"))
        if not Decimal(str(LIFTING_LIMIT_MIN_KG)) <= kg <= Decimal(str(LIFTING_LIMIT_MAX_KG)):
            raise DomainError(
                f"A lifting limit is {LIFTING_LIMIT_MIN_KG} to {LIFTING_LIMIT_MAX_KG} kg.",
                field="lifting_limit_kg",
            )
    until = values.get("lifting_limit_until")
    if (kg is None) != (until is None):
        raise DomainError(
            "Give the lifting limit and the date it ends, or neither.",
            field="lifting_limit_kg" if kg is None else "lifting_limit_until",
        )
    return {
        "no_bending_until": values.get("no_bending_until"),
        "lifting_limit_kg": kg,
        "lifting_limit_until": until,
    }


@transaction.atomic
def clearance_set_precautions(*, clearance: Clearance, actor: User, **values) -> Clearance:
    """The clinician changes the structured precautions of an approved clearance (audited)."""
    clearance = (
        _locked(Clearance)
        .select_related("patient", "treatment__treatment_type")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(clearance.patient, actor, action="change these precautions")
    if clearance.status != ClearanceStatus.APPROVED:
        raise DomainError("Precautions go with an approved clearance.")
    tidy = check_precautions(clearance, values)
    changed = [name for name in PRECAUTION_FIELDS if getattr(clearance, name) != tidy[name]]
    for name in changed:
        setattr(clearance, name, tidy[name])
    if changed:
        clearance.save(update_fields=changed)
        audit("precautions", actor=actor, obj=clearance, patient=clearance.patient, fields=changed)
    return clearance


def check_wound_date(clearance: Clearance, day: date, *, today: date) -> None:
    procedure = clearance.treatment.procedure_date
    if not procedure <= day <= today:
        raise DomainError(
            f"The wound is seen healed between the procedure ({procedure:%-d %B %Y}) and today.",
            field="wound_healed_on",
        )


@transaction.atomic
def clearance_set_wound_healed(*, clearance: Clearance, actor: User, day: date, today: date):
    """Record the day the wound was seen healed: water exercise may be allowed from then."""
    clearance = (
        _locked(Clearance)
        .select_related("patient", "treatment__treatment_type")
        .get(pk=clearance.pk)
    )
    require_assigned_clinician(clearance.patient, actor, action="record this")
    if clearance.treatment.treatment_type.category not in WOUND_CATEGORIES:
        raise DomainError("This treatment leaves no wound to record.")
    if clearance.status not in (ClearanceStatus.PENDING, ClearanceStatus.APPROVED):
        raise DomainError(
            f"This clearance is {clearance.get_status_display().lower()}: nothing to record."
        )
    check_wound_date(clearance, day, today=today)
    clearance.wound_healed_on = day
    clearance.save(update_fields=["wound_healed_on"])
    audit("wound_healed", actor=actor, obj=clearance, patient=clearance.patient, on=day.isoformat())
    return clearance


def check_stage_gate(treatment, stage: int, *, today: date, override_reason: str) -> str:
    """ "" when `stage` is allowed `today` by the treatment type's gate; else the override
    reason, which must say why at OVERRIDE_MIN_LENGTH characters (a DomainError beside the
    `stage_override_reason` field otherwise)."""
    kind = treatment.treatment_type
    gate = kind.stage_gate(stage, treatment.procedure_date)
    if stage < 2 or today >= gate:
        return ""
    return require_reason(
        override_reason,
        field="stage_override_reason",
        what=(
            f"a stage override reason (after {kind.name}, stage {stage} is usually allowed "
            f"from {gate:%-d %B %Y}, {kind.days_before_stage(stage)} days after the procedure)"
        ),
        min_length=OVERRIDE_MIN_LENGTH,
    )


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
        raise DomainError("Only an approved clearance can be revoked.")
    reason = require_reason(reason)
    # The plans before the first write (the lock order).
    plans = list(_locked(Plan).filter(clearance=clearance, status=PlanStatus.ACTIVE).order_by("pk"))
    clearance.status = ClearanceStatus.REVOKED
    clearance.decided_by = actor
    clearance.decided_at = timezone.now()
    clearance.decision_reason = reason
    clearance.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    clearance_record_event(
        clearance=clearance, actor=actor, from_status=ClearanceStatus.APPROVED, reason=reason
    )
    for plan in plans:
        plan.patient = clearance.patient
        _pause(plan, reason=f"Clearance withdrawn by your care team: {reason}", actor=actor)
    return clearance


# --- weeks ---------------------------------------------------------------------------------------


def _week_create(plan: Plan, prescription: engine.Prescription) -> PlanWeek:
    return PlanWeek.objects.create(
        plan=plan,
        week=prescription.week,
        minutes=prescription.minutes,
        sessions_per_week=prescription.sessions_per_week,
        decision=prescription.decision.value,
        reason=prescription.reason,
        review=prescription.review.value,
        **week_cause(prescription),
    )


def week_cause(prescription: engine.Prescription) -> dict:
    """The PlanWeek fields that keep what decided a prescription, as data (plans.wording)."""
    return {
        "cause": prescription.cause.value,
        "cause_numbers": dict(prescription.cause_numbers),
    }


def _summaries_by_week(plan: Plan, first_week: int, last_week: int) -> dict[int, list]:
    logs = SessionLog.objects.filter(
        plan=plan, week__gte=first_week, week__lte=last_week
    ).values_list("week", *SessionLog.SUMMARY_FIELDS)
    by_week: dict[int, list] = defaultdict(list)
    for week, *fields in logs:
        by_week[week].append(session_summary(*fields))
    return by_week


def _history(
    prescribed: dict[int, int], sessions: dict[int, list], through: int
) -> list[engine.WeekLog]:
    """Week logs 1..through, from each week's prescribed minutes and the sessions loaded for it.

    The engine decides the week after `w` from `w` and the week before it, `v` (and the number
    of weeks before them), so callers load sessions only for the weeks still to be decided and
    the one before the first of them (`_first_loaded`): a three-year plan costs the same to close
    as a new one.
    """
    return [
        engine.WeekLog(prescribed_minutes=prescribed[k], sessions=tuple(sessions.get(k, ())))
        for k in range(1, through + 1)
    ]


def _first_loaded(week: int) -> int:
    """The first week whose sessions deciding the week after `week` reads: `v`, the one before."""
    return max(1, week - 1)


def closed_week_count(plan: Plan, today: date) -> int:
    """A week is closed once its last day has passed: week k closes when today >= start + 7k."""
    return max(0, engine.week_number(plan.start_date, today) - 1)


def plan_close_weeks(*, plan: Plan | int, today: date) -> list[PlanWeek]:
    """Turn every closed week of an active plan into the next week's PlanWeek. Idempotent.

    The plan row is locked, so two callers at once (the dashboard and the reminder job) produce
    one PlanWeek per week; the unique (plan, week) constraint backs that up. A STOP pauses the plan.

    Most calls find nothing to close (every dashboard view calls this): given a loaded plan, one
    unlocked read of its last prescribed week answers that, without a transaction or a row lock.
    Weeks are never removed (a late log may re-decide the current one in place), so "nothing
    due" cannot turn false before the lock would be taken.
    """
    if isinstance(plan, Plan) and not weeks_due(plan, today):
        return []
    with transaction.atomic():
        return _close_weeks(_lock_plan(plan), today)


def weeks_due(plan: Plan, today: date, *, last_week: int | object | None = ...) -> bool:
    """Whether a finished week still lacks the next week's PlanWeek.

    Pass `last_week` (the highest prescribed week, None for none) when a page has loaded it
    already; otherwise it costs one query.
    """
    if last_week is ...:
        last = PlanWeek.objects.filter(plan=plan).order_by("-week").values_list("week", flat=True)
        last_week = last.first()
    return last_week is None or closed_week_count(plan, today) >= last_week


def _close_weeks(plan: Plan, today: date) -> list[PlanWeek]:
    """plan_close_weeks for a plan row the caller has already locked in its transaction."""
    if plan.status != PlanStatus.ACTIVE:
        return []
    closed = closed_week_count(plan, today)
    rules = plan.rules()
    prescribed = dict(PlanWeek.objects.filter(plan=plan).values_list("week", "minutes"))
    if not prescribed:
        first = _week_create(plan, engine.next_week(rules, []))
        prescribed[first.week] = first.minutes
    decided = max(prescribed)
    created: list[PlanWeek] = []
    sessions = _summaries_by_week(plan, _first_loaded(decided), closed) if closed >= decided else {}
    for k in range(decided, closed + 1):
        prescription = engine.next_week(rules, _history(prescribed, sessions, through=k))
        week = _week_create(plan, prescription)
        prescribed[week.week] = week.minutes
        created.append(week)
        if prescription.decision == engine.Decision.STOP:
            _pause(plan, reason=prescription.reason, actor=None)
            break
    return created


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedSession:
    log: SessionLog
    created: bool
    alert: Alert | None


def _validate_session(
    plan: Plan,
    *,
    day: date,
    today: date,
    activity: str,
    minutes: int,
    pain,
    pain_before=None,
    lasted,
    exertion,
    flags,
) -> None:
    if day > today:
        raise DomainError("The date cannot be in the future.", field="date")
    if day < plan.start_date:
        raise DomainError(
            f"Your plan started on {plan.start_date:%-d %B %Y}; pick that day or later.",
            field="date",
        )
    if activity not in plan.allowed_activities:
        raise DomainError("That activity is not part of your plan yet.", field="activity")
    if not 1 <= minutes <= 300:
        raise DomainError("Minutes must be between 1 and 300.", field="minutes")
    if pain is not None and not 0 <= pain <= 10:
        raise DomainError("Pain must be between 0 and 10.", field="pain")
    if pain_before is not None and not 0 <= pain_before <= 10:
        raise DomainError("Pain must be between 0 and 10.", field="pain_before")
    if not Decimal(0) <= lasted <= Decimal(72):
        raise DomainError("Hours of pain must be between 0 and 72.", field="pain_lasted_hours")
    if exertion is not None and not 6 <= exertion <= 20:
        raise DomainError("Effort must be between 6 and 20.", field="exertion")
    unknown = set(flags) - set(RedFlag.values)
    if unknown:
        raise DomainError("Unknown warning sign.", field="red_flags")


def _lasted_hours(pain_duration: str, pain_lasted_hours: Decimal | float = 0) -> Decimal:
    """The hours raised pain lasted, as the engine reads them: the patient's answer mapped to
    hours, or the hours a caller knows (imports, demo data) when there is no answer."""
    if pain_duration:
        if pain_duration not in PainDuration.values:
            raise DomainError("Choose how long the pain lasted.", field="pain_duration")
        pain_lasted_hours = PAIN_DURATION_HOURS[PainDuration(pain_duration)]
    return Decimal(str(pain_lasted_hours or 0)).quantize(Decimal("0.1"))


PLAN_PAUSED = "Your plan is paused, so sessions cannot be logged. Please talk to your care team."


def session_log_create(
    *,
    patient: PatientProfile | None = None,
    user: User | None = None,
    day: date,
    activity: str,
    minutes: int,
    pain: int | None = None,
    pain_before: int | None = None,
    pain_duration: str = "",
    pain_lasted_hours: Decimal | float = 0,
    sharp_pain: bool = False,
    red_flags: Iterable[str] = (),
    exertion: int | None = None,
    notes: str = "",
    submission_token: UUID | None = None,
    now: datetime | None = None,
) -> LoggedSession:
    """Save one session of the patient's active plan.

    Give the `patient`, or the signed-in `user` whose patient it is (the log form: the plan and its
    patient are then read in the one locked query, and `today` is the patient's own).

    How long raised pain lasted is the patient's answer (`pain_duration`, mapped to hours for the
    engine); `pain_lasted_hours` is for callers that know the hours (imports, demo data).

    A red flag pauses the plan, prescribes STOP for the coming week and creates an Alert, all in
    the same transaction; severe pain (DESIGN section 1 rule 5) creates a same-day Alert and
    leaves the plan running. The clinician's e-mail is queued only after it commits. The same
    `submission_token` twice (a double click, a resubmitted form) returns the first session.
    """
    if (patient is None) == (user is None):
        raise TypeError("Give either the patient or their user.")
    now = now or timezone.now()
    flags = sorted(set(red_flags))
    lasted = _lasted_hours(pain_duration, pain_lasted_hours)
    with transaction.atomic():
        plan = _lock_open_plan(patient=patient, user=user)
        if plan is None:
            raise DomainError("You do not have an exercise plan yet.")
        # The same form again (a double click, a resubmission, or Back then Save: the same
        # answers under a new token) is answered with the session already saved, before the
        # paused check: a warning sign's repeat gets the warning sign's page again. Forms only:
        # callers without a token (imports, demo data) may store what they are given.
        earlier = submission_token and _earlier_submission(
            plan,
            submission_token,
            now=now,
            date=day,
            activity=activity,
            minutes=minutes,
            pain_before=pain_before,
            pain=pain,
            pain_duration=pain_duration,
            pain_lasted_hours=lasted,
            sharp_pain=bool(sharp_pain),
            red_flags=flags,
            exertion=exertion,
            notes=notes.strip(),
        )
        if earlier:
            return _resubmitted(plan, earlier)
        today = patient_today(plan.patient, now)
        if plan.status != PlanStatus.ACTIVE:
            raise DomainError(PLAN_PAUSED)
        _validate_session(
            plan,
            day=day,
            today=today,
            activity=activity,
            minutes=minutes,
            pain=pain,
            pain_before=pain_before,
            lasted=lasted,
            exertion=exertion,
            flags=flags,
        )
        # The plan is locked already: close its finished weeks without a second lock. Most logs
        # find none to close.
        if weeks_due(plan, today, last_week=plan.last_week):
            _close_weeks(plan, today)
            if plan.status != PlanStatus.ACTIVE:  # the week that just closed stopped the plan
                raise DomainError(PLAN_PAUSED)
        log = SessionLog(
            plan=plan,
            date=day,
            week=plan.week_of(day),
            activity=activity,
            minutes=minutes,
            pain_before=pain_before,
            pain=pain,
            pain_duration=pain_duration,
            pain_lasted_hours=lasted,
            sharp_pain=sharp_pain,
            red_flags=flags,
            exertion=exertion,
            notes=notes.strip(),
            **({"submission_token": submission_token} if submission_token else {}),
        )
        log.save()
        alert = _what_it_sets_off(plan, log, today=today)
    if alert is not None:
        _queue_alert(alert.pk)
    return LoggedSession(log, created=True, alert=alert)


def _what_it_sets_off(plan: Plan, log: SessionLog, *, today: date) -> Alert | None:
    """What a session saved or corrected sets off: a warning sign pauses the plan and alerts; any
    other session counts for a closed week decided without it, and severe pain alerts."""
    if log.red_flags:
        return _red_flag(plan, log, today=today)
    _redecide_after_late_log(plan, log, today=today)
    if log.is_severe:
        return _severe_pain_alert(plan, log)
    return None


# --- corrections (DESIGN section 14) ------------------------------------------------------------

CORRECTION_CLOSED = (
    "This session can no longer be changed: a session can be corrected or deleted for "
    f"{CORRECTION_HOURS} hours after saving. If something in it is wrong, tell your care team."
)
CORRECTION_ALERTED = (
    "This session told your care team about a warning sign or severe pain, so only they can "
    "change its record. If something in it is wrong, please call them."
)
# What a revision keeps of a session, by the names the clinician's record shows.
_REVISED = {
    "activity": "activity",
    "minutes": "minutes",
    "pain_before": "pain before",
    "pain": "pain after",
    "pain_duration": "pain lasted",
    "sharp_pain": "sharp pain",
    "red_flags": "warning signs",
    "exertion": "effort",
    "notes": "notes",
}


def _revision_snapshot(log: SessionLog) -> dict:
    before = {label: getattr(log, name) for name, label in _REVISED.items()}
    before["activity"] = log.get_activity_display()
    before["pain lasted"] = log.get_pain_duration_display() or None
    before["sharp pain"] = "yes" if log.sharp_pain else "no"
    before["warning signs"] = "; ".join(log.red_flag_labels()) or "none"
    return before


def _lock_own_session(user: User, log_id: int, now: datetime) -> tuple[Plan, SessionLog]:
    """The patient's own session, its plan then itself locked (steps 2 and 3 of the lock order),
    if it may still be changed; else a DomainError that says why."""
    found = (
        SessionLog.objects.filter(pk=log_id, plan__patient__in=own_patients(user))
        .values_list("plan_id", flat=True)
        .first()
    )
    if found is None:
        raise DomainError("No such session.")
    plan = _lock_plan(found)
    log = _locked(SessionLog).get(pk=log_id)  # deleted meanwhile: DoesNotExist, a 404
    if Alert.objects.filter(session_log=log).exists():
        raise DomainError(CORRECTION_ALERTED)
    if now >= log.correctable_until():
        raise DomainError(CORRECTION_CLOSED)
    return plan, log


def session_correct(
    *,
    user: User,
    log_id: int,
    activity: str,
    minutes: int,
    pain_before: int | None,
    pain: int | None,
    pain_duration: str,
    sharp_pain: bool = False,
    red_flags: Iterable[str] = (),
    exertion: int | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> LoggedSession:
    """The patient corrects their own session within CORRECTION_HOURS (its day stays).

    The session as it was is kept (SessionLogRevision) and shown to the clinician with the
    correction. A closed week it belonged to is decided again as a late log would have it. A
    correction that adds a warning sign or severe pain raises the alert a new log would: the
    care team hears of it exactly as if it had been logged so (a correction never removes one:
    a session with an alert cannot be corrected).
    """
    now = now or timezone.now()
    flags = sorted(set(red_flags))
    if not pain_duration:
        raise DomainError("Choose how long the pain lasted.", field="pain_duration")
    lasted = _lasted_hours(pain_duration)
    with transaction.atomic():
        plan, log = _lock_own_session(user, log_id, now)
        if plan.status != PlanStatus.ACTIVE:
            raise DomainError(PLAN_PAUSED)
        today = patient_today(plan.patient, now)
        _validate_session(
            plan,
            day=log.date,
            today=today,
            activity=activity,
            minutes=minutes,
            pain=pain,
            pain_before=pain_before,
            lasted=lasted,
            exertion=exertion,
            flags=flags,
        )
        after = {
            "activity": activity,
            "minutes": minutes,
            "pain_before": pain_before,
            "pain": pain,
            "pain_duration": pain_duration,
            "pain_lasted_hours": lasted,
            "sharp_pain": bool(sharp_pain),
            "red_flags": flags,
            "exertion": exertion,
            "notes": notes.strip(),
        }
        changed = [name for name, value in after.items() if getattr(log, name) != value]
        if not changed:
            return LoggedSession(log, created=False, alert=None)
        SessionLogRevision.objects.create(
            session_log=log, kind=RevisionKind.CORRECTED, before=_revision_snapshot(log), actor=user
        )
        for name in changed:
            setattr(log, name, after[name])
        log.edited_at = now
        log.save(update_fields=[*changed, "edited_at"])
        audit("session_correct", actor=user, obj=log, patient=plan.patient, fields=changed)
        alert = _what_it_sets_off(plan, log, today=today)
    if alert is not None:
        _queue_alert(alert.pk)
    return LoggedSession(log, created=False, alert=alert)


def session_delete(*, user: User, log_id: int, now: datetime | None = None) -> SessionLog:
    """The patient deletes their own session within CORRECTION_HOURS. It leaves their pages, the
    engine and triage, and stays in the clinician's record marked deleted, with what it said."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, log = _lock_own_session(user, log_id, now)
        SessionLogRevision.objects.create(
            session_log=log, kind=RevisionKind.DELETED, before=_revision_snapshot(log), actor=user
        )
        log.deleted_at = now
        log.save(update_fields=["deleted_at"])
        audit("session_delete", actor=user, obj=log, patient=plan.patient)
        if plan.status == PlanStatus.ACTIVE:
            _redecide_after_late_log(plan, log, today=patient_today(plan.patient, now))
    return log


def _lock_open_plan(*, patient: PatientProfile | None, user: User | None) -> Plan | None:
    """The patient's open plan with its patient, the plan's row locked, and its last prescribed
    week as `last_week`; None without an open plan. One query.

    Two submissions of one plan take turns at the lock. `last_week` is read by the same
    statement, so a week the other closed meanwhile may be missing from it: that only makes
    weeks look due, and closing them reads them again. At most one plan per patient is open
    (plan_one_open_per_patient).
    """
    owner = {"patient": patient} if patient is not None else {"patient__in": own_patients(user)}
    last_week = PlanWeek.objects.filter(plan=OuterRef("pk")).order_by("-week").values("week")
    plan = (
        _locked(Plan)
        .select_related("patient")
        .filter(status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED], **owner)
        .annotate(last_week=Subquery(last_week[:1]))
        .first()
    )
    if plan is not None and user is not None:
        plan.patient.user = user
    return plan


REPEAT_MINUTES = 10


def _earlier_submission(plan: Plan, token: UUID, *, now: datetime, **answers) -> int | None:
    """The id of the session this form stored already: the one saved with its token, or else
    one saved in the last REPEAT_MINUTES with exactly these answers (the form sent again after
    Back). One query, after the plan's lock: it sees what another submission committed."""
    since = now - timedelta(minutes=REPEAT_MINUTES)
    return (
        SessionLog.objects.filter(plan=plan)
        .filter(Q(submission_token=token) | Q(created_at__gte=since, **answers))
        .order_by(Case(When(submission_token=token, then=0), default=1), "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _resubmitted(plan: Plan, log_id: int) -> LoggedSession:
    """The answer to a resubmitted form: the session it stored the first time, not a new one."""
    log = SessionLog.objects.select_related("alert").get(pk=log_id)
    log.plan = plan
    return LoggedSession(log, created=False, alert=getattr(log, "alert", None))


def _redecide_after_late_log(plan: Plan, log: SessionLog, *, today: date) -> None:
    """A session logged (or its pain's follow-up answered) for last week after that week closed
    still counts.

    Sunday's walk (or Sunday's sharp pain) logged on Monday morning arrives after the week
    closed and this week was prescribed without it. The engine decides this week again with the
    complete last week; if the answer differs, this week's prescription is replaced, audited.
    Older weeks are history: a session logged two weeks late changes no prescription.
    """
    current = plan.week_of(today)
    if log.week != current - 1:
        return
    prescribed = dict(
        PlanWeek.objects.filter(plan=plan, week__lte=current).values_list("week", "minutes")
    )
    if current not in prescribed:
        return
    sessions = _summaries_by_week(plan, _first_loaded(log.week), log.week)
    history = _history(prescribed, sessions, through=log.week)
    decision = engine.next_week(plan.rules(), history)
    week = PlanWeek.objects.get(plan=plan, week=current)
    cause = week_cause(decision)
    if (week.minutes, week.decision, week.review) == (
        decision.minutes,
        decision.decision.value,
        decision.review.value,
    ):
        # The same prescription, but its explanation may name other numbers now ("completed 1
        # of 3" rather than "0 of 3"): keep it true to the week it explains, unaudited.
        if (week.cause, week.cause_numbers) != (cause["cause"], cause["cause_numbers"]):
            week.reason = decision.reason
            week.cause, week.cause_numbers = cause["cause"], cause["cause_numbers"]
            week.save(update_fields=["reason", "cause", "cause_numbers"])
        return
    before = (week.minutes, week.decision)
    week.minutes = decision.minutes
    week.sessions_per_week = decision.sessions_per_week
    week.decision = decision.decision.value
    week.reason = decision.reason
    week.review = decision.review.value
    week.cause, week.cause_numbers = cause["cause"], cause["cause_numbers"]
    week.save(
        update_fields=[
            *("minutes", "sessions_per_week", "decision", "reason", "review"),
            *("cause", "cause_numbers"),
        ]
    )
    audit(
        "plan_week_redecided",
        obj=plan,
        patient=plan.patient,
        week=current,
        before=list(before),
        after=[week.minutes, week.decision],
    )


def _alert_create(
    *,
    patient: PatientProfile,
    plan: Plan | None,
    kind: str,
    tier: str,
    flags: list[str] = (),
    session_log: SessionLog | None = None,
    symptom_report: SymptomReport | None = None,
) -> Alert:
    """One alert row, with when the clinic's on-call inbox is due it (DESIGN section 1 rule 7):
    an emergency at once, a same-day alert once ALERT_ESCALATE_HOURS pass unacknowledged."""
    now = timezone.now()
    wait = (
        timedelta(0)
        if tier == AlertTier.EMERGENCY
        else timedelta(hours=settings.ALERT_ESCALATE_HOURS)
    )
    alert = Alert.objects.create(
        plan=plan,
        patient=patient,
        session_log=session_log,
        symptom_report=symptom_report,
        kind=kind,
        tier=tier,
        flags=list(flags),
        escalate_at=now + wait,
    )
    audit("alert_created", obj=alert, patient=patient, tier=tier, kind=kind)
    return alert


def _severe_pain_alert(plan: Plan, log: SessionLog) -> Alert:
    """Severe pain reaches a clinician the same day; the plan keeps running (rule 5)."""
    return _alert_create(
        patient=plan.patient,
        plan=plan,
        kind=AlertKind.SEVERE_PAIN,
        tier=AlertTier.SAME_DAY,
        session_log=log,
    )


def _red_flag(plan: Plan, log: SessionLog, *, today: date) -> Alert:
    tier = engine.red_flag_tier(log.red_flags)
    alert = _alert_create(
        patient=plan.patient,
        plan=plan,
        kind=AlertKind.WARNING_SIGN,
        tier=tier,
        flags=log.red_flags,
        session_log=log,
    )
    # The engine stops at any red flag whatever else the week holds: prescribe STOP for the week
    # after the current one now, instead of waiting for the week to close.
    prescribed = dict(PlanWeek.objects.filter(plan=plan).values_list("week", "minutes"))
    current = max(prescribed)
    sessions = _summaries_by_week(plan, _first_loaded(current), current)
    if log.week != current:
        # A sign reported late, for a week that has already closed (Sunday's numbness logged on
        # Monday), still stops the coming week: the engine must see it in the week it decides from.
        sessions[current].append(log.summary())
    history = _history(prescribed, sessions, through=current)
    _week_create(plan, engine.next_week(plan.rules(), history))
    _pause(plan, reason=f"Warning sign reported on {log.date:%-d %B %Y}.", actor=None)
    return alert


def _queue_alert(alert_id: int) -> None:
    """Hand the alert e-mail to Celery once the log has committed, with a bounded wait: the
    Alert row is already saved, and if the broker is down or hangs the outbox pass sends it."""
    queue_after_commit("plans.tasks.deliver_alert", (alert_id,), what=f"Alert {alert_id}")


# --- pain follow-ups and symptom reports ------------------------------------------------------


@dataclass(frozen=True)
class FollowedUp:
    follow_up: PainFollowUp
    alert: Alert | None


def session_pain_follow_up(
    *, patient: PatientProfile, log_id: int, settled: str, now: datetime | None = None
) -> FollowedUp:
    """Record when the pain of a session logged "not settled yet" settled. Once per session.

    The answer becomes the session's duration: a week that has closed meanwhile is decided
    again (as for a late log), and an answer that makes the session severe raises the severe-pain
    alert now.
    """
    if settled not in PainSettled.values:
        raise DomainError("Choose when the pain settled.", field="settled")
    now = now or timezone.now()
    with transaction.atomic():
        plan_id = (
            SessionLog.objects.filter(pk=log_id, plan__patient=patient)
            .values_list("plan_id", flat=True)
            .first()
        )
        if plan_id is None:
            raise DomainError("No such session.")
        plan = _lock_plan(plan_id)  # before the session: the order every log takes
        log = _locked(SessionLog).get(pk=log_id)
        if log.pain_duration != PainDuration.NOT_SETTLED:
            raise DomainError("This session's pain was already answered when it was logged.")
        try:
            with transaction.atomic():
                follow_up = PainFollowUp.objects.create(session_log=log, settled=settled)
        except IntegrityError:
            raise DomainError("You have already told us when this pain settled.") from None
        log.pain_lasted_hours = follow_up.hours
        log.save(update_fields=["pain_lasted_hours"])
        audit("pain_follow_up", obj=log, patient=plan.patient, settled=settled)
        alert = None
        if plan.status == PlanStatus.ACTIVE:
            _redecide_after_late_log(plan, log, today=patient_today(plan.patient, now))
        if log.is_severe and not Alert.objects.filter(session_log=log).exists():
            alert = _severe_pain_alert(plan, log)
    if alert is not None:
        _queue_alert(alert.pk)
    return FollowedUp(follow_up, alert)


def symptom_report_create(
    *,
    patient: PatientProfile,
    red_flags: Iterable[str] = (),
    pain_now: int | None = None,
    submission_token: UUID | None = None,
) -> tuple[SymptomReport, Alert | None]:
    """Warning signs or pain now, reported without a session, whatever the plan's state.

    A warning sign alerts the clinician at once and pauses an active plan (rule 6); pain of 9 or
    more with no sign raises a same-day severe-pain alert (rule 5). The same `submission_token`
    twice (a double click) returns the first report.
    """
    flags = sorted(set(red_flags))
    if set(flags) - set(RedFlag.values):
        raise DomainError("Unknown warning sign.", field="red_flags")
    if pain_now is not None and not 0 <= pain_now <= engine.PAIN_MAX:
        raise DomainError("Pain must be between 0 and 10.", field="pain_now")
    if not flags and pain_now is None:
        raise DomainError(
            "Tick the warning signs you have, or give your pain now.", field="pain_now"
        )
    with transaction.atomic():
        if submission_token is not None:
            stored = (
                SymptomReport.objects.filter(patient=patient, submission_token=submission_token)
                .select_related("alert")
                .first()
            )
            if stored is not None:
                return stored, getattr(stored, "alert", None)
        plan = (
            _locked(Plan)
            .select_related("patient")
            .filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
            .first()
        )
        try:
            with transaction.atomic():
                report = SymptomReport.objects.create(
                    patient=patient,
                    plan=plan,
                    red_flags=flags,
                    pain_now=pain_now,
                    **({"submission_token": submission_token} if submission_token else {}),
                )
        except IntegrityError:
            # The same form sent twice at once, without a plan to take turns on.
            stored = SymptomReport.objects.select_related("alert").get(
                patient=patient, submission_token=submission_token
            )
            return stored, getattr(stored, "alert", None)
        audit("symptom_report", obj=report, patient=patient, signs=len(flags))
        alert = None
        if flags:
            alert = _alert_create(
                patient=patient,
                plan=plan,
                kind=AlertKind.WARNING_SIGN,
                tier=engine.red_flag_tier(flags),
                flags=flags,
                symptom_report=report,
            )
            if plan is not None and plan.status == PlanStatus.ACTIVE:
                day = patient_today(patient)
                _pause(plan, reason=f"Warning sign reported on {day:%-d %B %Y}.", actor=None)
        elif engine.is_severe(engine.SessionSummary(minutes=0, pain=pain_now)):
            alert = _alert_create(
                patient=patient,
                plan=plan,
                kind=AlertKind.SEVERE_PAIN,
                tier=AlertTier.SAME_DAY,
                symptom_report=report,
            )
    if alert is not None:
        _queue_alert(alert.pk)
    return report, alert


# --- plan control ----------------------------------------------------------------------------


def _lock_open_alerts(plans: list[Plan]) -> list[Alert]:
    """The unacknowledged alerts of `plans`, locked by id ascending (step 4 of the lock order)."""
    return list(_locked(Alert).filter(plan__in=plans, acknowledged_at__isnull=True).order_by("pk"))


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


def _pause(plan: Plan, *, reason: str, actor: User | None) -> None:
    plan.status = PlanStatus.PAUSED
    plan.pause_reason = reason
    plan.paused_at = timezone.now()
    plan.save(update_fields=["status", "pause_reason", "paused_at"])
    audit("plan_pause", actor=actor, obj=plan, patient=plan.patient)


@transaction.atomic
def plan_pause(*, plan: Plan, actor: User, reason: str) -> Plan:
    plan = _lock_plan(plan)
    require_assigned_clinician(plan.patient, actor, action="change this plan")
    if plan.status != PlanStatus.ACTIVE:
        raise DomainError("Only an active plan can be paused.")
    _pause(plan, reason=require_reason(reason), actor=actor)
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
    require_assigned_clinician(plan.patient, actor, action="change this plan")
    if plan.status != PlanStatus.PAUSED:
        raise DomainError("Only a paused plan can be resumed.")
    if clearance.status != ClearanceStatus.APPROVED:
        raise DomainError("Clearance was withdrawn; approve a new clearance to restart exercise.")
    ceiling = resume_ceiling(plan)
    if not engine.FLOOR_MINUTES <= start_minutes <= ceiling:
        raise DomainError(
            f"Restart between {engine.FLOOR_MINUTES} and {ceiling} minutes (the last "
            "prescription).",
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
    require_assigned_clinician(plan.patient, actor, action="change this plan")
    if plan.status == PlanStatus.COMPLETED:
        raise DomainError("This plan has ended; its rules can no longer change.")
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
    require_assigned_clinician(plan.patient, actor, action="change this plan")
    if plan.status == PlanStatus.COMPLETED:
        raise DomainError("This plan has ended; its stage can no longer change.")
    if not 1 <= stage <= 4:
        raise DomainError("The stage must be between 1 and 4.", field="stage")
    if stage == 4 and not signed_off:
        raise DomainError(STAGE_4_SIGN_OFF, field="signed_off")
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
                f"Stage {stage} does not include: "
                + ", ".join(Activity(a).label if a in Activity.values else a for a in beyond)
                + ".",
                field="allowed_activities",
            )
        if not activities:
            raise DomainError("Allow at least one activity.", field="allowed_activities")
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


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: User, outcome: str, note: str = "") -> Alert:
    """Close an alert, recording what was done: one of `AlertOutcome.chosen()` and a note (needed
    for "something else"). The note is clinical: it goes in the record, not in the audit log."""
    note = note.strip()
    if outcome not in {value for value, _ in AlertOutcome.chosen()}:
        raise DomainError("Choose what was done about this alert.", field="outcome")
    if outcome == AlertOutcome.OTHER and not note:
        raise DomainError("Say in the note what was done.", field="note")
    if len(note) > ALERT_NOTE_MAX:
        raise DomainError(
            f"The note can be at most {ALERT_NOTE_MAX:,} characters (it has {len(note):,}).",
            field="note",
        )
    alert = _locked(Alert).select_related("patient").get(pk=alert.pk)
    require_assigned_clinician(alert.patient, actor, action="close this alert")
    if alert.acknowledged_at is not None:
        raise DomainError("This alert was already closed.")
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.outcome = outcome
    alert.outcome_note = note
    alert.save(update_fields=["acknowledged_by", "acknowledged_at", "outcome", "outcome_note"])
    audit("alert_acknowledge", actor=actor, obj=alert, patient=alert.patient, done=outcome)
    return alert
