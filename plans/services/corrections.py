"""The patient corrects or deletes their own session within CORRECTION_HOURS (DESIGN section
14): the session as it was is kept as a revision, and what it sets off is decided again as for a
new log (plans.services.sessions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans.models import (
    CORRECTION_HOURS,
    Alert,
    Plan,
    PlanStatus,
    RevisionKind,
    SessionLog,
    SessionLogRevision,
)
from plans.services.alerts import _queue_alert
from plans.services.common import _lock_plan, _locked, patient_today
from plans.services.sessions import (
    PLAN_PAUSED,
    LoggedSession,
    _lasted_hours,
    _redecide_after_late_log,
    _validate_session,
    _what_it_sets_off,
)
from recovery.access import own_patients
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import User

CORRECTION_CLOSED = format_lazy(
    gettext_lazy(
        "This session can no longer be changed: a session can be corrected or deleted for "
        "{hours} hours after saving. If something in it is wrong, tell your care team."
    ),
    hours=CORRECTION_HOURS,
)
CORRECTION_ALERTED = gettext_lazy(
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
    """What the session said before a change, kept as a record: its labels in English whatever
    the patient's language, so the record reads the same to everyone who audits it."""
    with translation.override("en"):
        return _snapshot(log)


def _snapshot(log: SessionLog) -> dict:
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
        raise DomainError(_("No such session."))
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
        raise DomainError(_("Choose how long the pain lasted."), field="pain_duration")
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
