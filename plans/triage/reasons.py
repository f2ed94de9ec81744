"""Why a patient is on the triage list, in the clinician's words."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.utils import dateformat
from django.utils.translation import gettext as _

from plans import engine
from plans.models import (
    AlertTier,
    PlanStatus,
    WeekReview,
)
from plans.triage.rows import (
    IDLE_DAYS,
    LONG_IDLE_DAYS,
    OpenAlert,
    Reason,
    Tier,
    _OpenPlan,
    _PendingClearance,
    _RedSession,
)
from plans.triage.words import _days, flag_labels, on_day, red_session_words
from recovery.models import (
    Activity,
)

_URL_MARKER = 9876543210


def _alert_reason(alerts: list[OpenAlert]) -> Reason:
    """Emergency before same-day, then the oldest first. A warning sign is named before severe
    pain, which is same-day tier."""
    emergency = [a for a in alerts if a.tier == AlertTier.EMERGENCY]
    worst = emergency or alerts
    oldest = min(a.created_at for a in worst)

    def words() -> tuple[str, str]:
        flags = sorted({label for a in alerts for label in flag_labels(a.flags)})
        severe = [a.severe_words for a in alerts if a.is_severe_pain]
        if emergency:
            why = _("Emergency warning sign")
        elif flags:
            why = _("Same-day warning sign")
        else:
            why = severe.pop(0)
        if len(alerts) > 1:
            why += " " + _("(%(n)s open alerts)") % {"n": len(alerts)}
        return why, "; ".join(flags + severe)

    return Reason(Tier.URGENT, rank=(0 if emergency else 1, oldest), words=words)


def _red_session_reason(session: _RedSession, today: date, plan: _OpenPlan | None) -> Reason:
    def words() -> tuple[str, str]:
        when = on_day(session.date, today)
        activity = Activity(session.activity).label if session.activity in Activity.values else ""
        if plan is not None and plan.status == PlanStatus.PAUSED:
            then = _("Plan paused.")
        elif plan is not None and session.week < engine.week_number(plan.start_date, today):
            then = _("Going too fast: week %(week)s is reduced.") % {"week": session.week + 1}
        else:
            then = _("Going too fast: next week is reduced when this one closes.")
        why = red_session_words(
            pain=session.pain,
            pain_before=session.pain_before,
            hours=session.pain_lasted_hours,
            sharp=session.sharp_pain,
            when=when,
        )
        detail = _("%(activity)s, %(minutes)s min (week %(week)s). %(then)s") % {
            "activity": activity,
            "minutes": session.minutes,
            "week": session.week,
            "then": then,
        }
        return why, detail

    return Reason(Tier.REVIEW, rank=(2, session.date.toordinal()), words=words)


# The decisions and reviews `_week_reasons` has something to say about.
_CHANGED_COURSE = (engine.Decision.RETURN, engine.Decision.REDUCE)
_REVIEWED = (WeekReview.SEVERE_PAIN, WeekReview.REPEATED_PAIN, WeekReview.OVERDOING)


def _week_reasons(plan: _OpenPlan) -> list[Reason]:
    """The plan's latest prescribed week, when it changed course: in the third person, naming
    the week that caused it (the week before the one prescribed). Ranked here, worded when read
    (`_week_words`)."""
    decision, review = plan.last_decision, plan.last_review or WeekReview.NONE
    if decision is None:
        return []
    if decision == engine.Decision.STOP:
        rank = 0
    elif decision not in _CHANGED_COURSE and review not in _REVIEWED:
        return []  # an ordinary week: nothing to say (and nothing worded)
    elif review in (WeekReview.SEVERE_PAIN, WeekReview.REPEATED_PAIN):
        rank = 1
    elif decision == engine.Decision.RETURN or review == WeekReview.OVERDOING:
        rank = 3
    elif decision == engine.Decision.REDUCE:
        rank = 4
    else:
        return []
    return [Reason(Tier.REVIEW, rank=(rank, plan.last_week_at), words=partial(_week_words, plan))]


def _week_words(plan: _OpenPlan) -> tuple[str, str]:
    """What `_week_reasons` says about the plan's latest week: (why, detail)."""
    decision, review = plan.last_decision, plan.last_review or WeekReview.NONE
    if decision == engine.Decision.STOP:
        return _("Plan stopped"), plan.pause_words() or plan.last_reason or ""
    week, cause_week, minutes = plan.last_week, plan.last_week - 1, plan.last_minutes
    values = {
        "week": week,
        "cause": cause_week,
        "before": cause_week - 1,
        "minutes": minutes,
        "lowest": plan.prev_minutes,
    }
    now = _("Week %(week)s: %(minutes)s min per session.") % values
    if review == WeekReview.SEVERE_PAIN:
        why = _("Severe pain in week %(cause)s: reduced to %(minutes)s minutes") % values
    elif review == WeekReview.REPEATED_PAIN and plan.prev_decision == engine.Decision.REDUCE:
        why = _("Reduced twice in a row: pain again in week %(cause)s") % values
    elif review == WeekReview.REPEATED_PAIN:
        why = _("Pain again at the lowest level (%(lowest)s minutes) in week %(cause)s") % values
    elif decision == engine.Decision.RETURN:
        why = _("No sessions for two weeks: restarted at %(minutes)s minutes") % values
        now = _("Weeks %(before)s and %(cause)s had no session.") % values + " " + now
    elif review == WeekReview.OVERDOING:
        why = _("Did more than planned in week %(cause)s (overdoing)") % values
        now = _("Held at %(minutes)s min per session for week %(week)s.") % values
    else:  # a reduction (`_week_reasons` ranks nothing else)
        return _("Week %(week)s eased back") % values, plan.last_reason or ""
    if plan.status == PlanStatus.PAUSED:
        now += " " + _("Plan paused.")
    return why, now


def _idle_words(plan: _OpenPlan, idle: int) -> tuple[str, str]:
    """No session for `idle` days (the plan's own words: most of a panel is on track)."""
    if plan.last_session is None:
        detail = _("No session logged since the plan started %(days)s ago") % {"days": _days(idle)}
    else:
        detail = _("Last session %(day)s (%(days)s ago)") % {
            "day": dateformat.format(plan.last_session, "j M"),
            "days": _days(idle),
        }
    return _("No session for %(days)s") % {"days": _days(idle)}, detail


def _held_words(plan: _OpenPlan) -> tuple[str, str]:
    return _("Held two weeks running"), _(
        "Too few sessions completed in two weeks; now week %(week)s."
    ) % {"week": plan.last_week}


def _plan_reasons(plan: _OpenPlan, today: date) -> list[Reason]:
    reasons = _week_reasons(plan)
    if plan.status != PlanStatus.ACTIVE or plan.start_date > today:
        return reasons
    since = plan.last_session or plan.start_date
    idle = (today - since).days
    if idle >= LONG_IDLE_DAYS:
        reasons.append(
            Reason(Tier.ENGAGEMENT, rank=(0, -idle), words=partial(_idle_words, plan, idle))
        )
    too_few = (
        plan.last_decision == engine.Decision.HOLD
        and plan.prev_decision == engine.Decision.HOLD
        and WeekReview.OVERDOING not in (plan.last_review, plan.prev_review)
    )
    if too_few:
        reasons.append(Reason(Tier.ENGAGEMENT, rank=(1, -idle), words=partial(_held_words, plan)))
    if IDLE_DAYS <= idle < LONG_IDLE_DAYS:
        reasons.append(
            Reason(Tier.ENGAGEMENT, rank=(2, -idle), words=partial(_idle_words, plan, idle))
        )
    return reasons


def _clearance_reason(clearance: _PendingClearance, today: date) -> Reason:
    earliest = clearance.earliest_clearance
    ready = today >= earliest

    def words() -> tuple[str, str]:
        min_days = clearance.min_days_to_clearance
        since = (today - clearance.procedure_date).days
        if since < 0:
            when = _("procedure planned in %(days)s") % {"days": _days(-since)}
        else:
            when = _("%(days)s since the procedure") % {"days": _days(since)}
        if ready:
            minimum = _("minimum of %(days)s passed") % {"days": _days(min_days)}
        else:
            minimum = _("minimum of %(days)s not reached until %(day)s") % {
                "days": _days(min_days),
                "day": dateformat.format(earliest, "j M Y"),
            }
        why = _("Ready for a clearance decision") if ready else _("Clearance waiting (too early)")
        return why, f"{clearance.treatment_name}: {when}; {minimum}."

    return Reason(Tier.CLEARANCE, rank=(0 if ready else 1, clearance.requested_at), words=words)
