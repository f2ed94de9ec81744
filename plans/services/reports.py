"""Pain follow-ups and symptom reports."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plans import engine
from plans.models import (
    Alert,
    AlertKind,
    AlertTier,
    PainDuration,
    PainFollowUp,
    PainSettled,
    PauseCause,
    Plan,
    PlanStatus,
    RedFlag,
    SessionLog,
    SymptomReport,
)
from plans.services.alerts import _alert_create, _queue_alert, _severe_pain_alert
from plans.services.common import _lock_plan, _locked, _pause, patient_today
from plans.services.sessions import _redecide_after_late_log
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    PatientProfile,
)

logger = logging.getLogger(__name__)


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
        raise DomainError(_("Choose when the pain settled."), field="settled")
    now = now or timezone.now()
    with transaction.atomic():
        plan_id = (
            SessionLog.objects.filter(pk=log_id, plan__patient=patient)
            .values_list("plan_id", flat=True)
            .first()
        )
        if plan_id is None:
            raise DomainError(_("No such session."))
        plan = _lock_plan(plan_id)  # before the session: the order every log takes
        log = _locked(SessionLog).get(pk=log_id)
        if log.pain_duration != PainDuration.NOT_SETTLED:
            raise DomainError(_("This session's pain was already answered when it was logged."))
        try:
            with transaction.atomic():
                follow_up = PainFollowUp.objects.create(session_log=log, settled=settled)
        except IntegrityError:
            raise DomainError(_("You have already told us when this pain settled.")) from None
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
        raise DomainError(_("Unknown warning sign."), field="red_flags")
    if pain_now is not None and not 0 <= pain_now <= engine.PAIN_MAX:
        raise DomainError(_("Pain must be between 0 and 10."), field="pain_now")
    if not flags and pain_now is None:
        raise DomainError(
            _("Tick the warning signs you have, or give your pain now."), field="pain_now"
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
                _pause(plan, cause=PauseCause.WARNING_SIGN, day=day, actor=None)
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
