"""Alerts for the clinician: raised by warning signs and severe pain, queued for e-mail after
commit, closed with an outcome."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from infra.queue import queue_after_commit
from plans import engine
from plans.models import (
    ALERT_NOTE_MAX,
    Alert,
    AlertKind,
    AlertOutcome,
    AlertTier,
    PauseCause,
    Plan,
    PlanWeek,
    SessionLog,
    SymptomReport,
)
from plans.services.common import _locked, _pause
from plans.services.weeks import _first_loaded, _history, _summaries_by_week, _week_create
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    PatientProfile,
    User,
)
from recovery.services import (
    require_assigned_clinician,
)

logger = logging.getLogger(__name__)


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
    _pause(plan, cause=PauseCause.WARNING_SIGN, day=log.date, actor=None)
    return alert


def _queue_alert(alert_id: int) -> None:
    """Hand the alert e-mail to Celery once the log has committed, with a bounded wait: the
    Alert row is already saved, and if the broker is down or hangs the outbox pass sends it."""
    queue_after_commit("plans.tasks.deliver_alert", (alert_id,), what=f"Alert {alert_id}")


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: User, outcome: str, note: str = "") -> Alert:
    """Close an alert, recording what was done: one of `AlertOutcome.chosen()` and a note (needed
    for "something else"). The note is clinical: it goes in the record, not in the audit log."""
    note = note.strip()
    if outcome not in {value for value, _ in AlertOutcome.chosen()}:
        raise DomainError(_("Choose what was done about this alert."), field="outcome")
    if outcome == AlertOutcome.OTHER and not note:
        raise DomainError(_("Say in the note what was done."), field="note")
    if len(note) > ALERT_NOTE_MAX:
        raise DomainError(
            _("The note can be at most %(most)s characters (it has %(has)s).")
            % {"most": f"{ALERT_NOTE_MAX:,}", "has": f"{len(note):,}"},
            field="note",
        )
    alert = _locked(Alert).select_related("patient").get(pk=alert.pk)
    require_assigned_clinician(alert.patient, actor, action="close this alert")
    if alert.acknowledged_at is not None:
        raise DomainError(_("This alert was already closed."))
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.outcome = outcome
    alert.outcome_note = note
    alert.save(update_fields=["acknowledged_by", "acknowledged_at", "outcome", "outcome_note"])
    audit("alert_acknowledge", actor=actor, obj=alert, patient=alert.patient, done=outcome)
    return alert
