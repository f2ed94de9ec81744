"""What a patient is told, in plain words: the advice after a session that went too fast, what
to do now after a warning sign, and what the week so far means for next week (the engine's own
preview). Read models of the patient pages; they write nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from plans import engine, selectors
from plans.models import AlertKind, AlertTier, PainSettled, Plan, RedFlag, SessionLog


def warning_signs() -> dict:
    return {
        "same_day_signs": [f.label for f in RedFlag if f.value in engine.SAME_DAY_FLAGS],
        "emergency_signs": [f.label for f in RedFlag if f.value in engine.EMERGENCY_FLAGS],
    }


def phone_href() -> str:
    return "tel:" + re.sub(r"[^0-9+]", "", settings.CLINIC_PHONE)


# --- pain: the advice after a session that went too fast, and the next day's question ----------


@dataclass(frozen=True)
class PainAdvice:
    """What to do for the rest of the week after a red session (DESIGN section 2): keep to next
    week's reduced minutes, and only once the pain has settled. After a severe session (rule 5):
    rest until it settles, and call the care team if it is not easing by tomorrow."""

    keep_to: int | None  # next week's reduced minutes as the engine previews them
    severe: SessionLog | None  # the latest severe session among them
    told: bool  # the care team has been alerted about the severe pain
    today: date

    @property
    def severe_today(self) -> bool:
        return self.severe is not None and self.severe.date == self.today

    @property
    def severe_lasted(self) -> bool:
        """Severe for lasting (pain >= 7 for more than 24 hours), not for its score alone."""
        return self.severe is not None and self.severe.pain < engine.SEVERE_PAIN


def pain_advice(
    plan: Plan, prescribed: int | None, logs: list[SessionLog], *, today: date
) -> PainAdvice | None:
    """Advice from the week's sessions so far; None when none of them was red."""
    if not any(log.pain_response == engine.PainResponse.RED for log in logs):
        return None
    keep_to = None
    if prescribed:
        week_so_far = engine.WeekLog(
            prescribed_minutes=prescribed, sessions=tuple(log.summary() for log in logs)
        )
        # The engine reads only the last week; the weeks before it only number the answer.
        preview = engine.next_week(plan.rules(), [week_so_far])
        if preview.decision == engine.Decision.REDUCE:
            keep_to = preview.minutes
    severe = [log for log in logs if log.is_severe]
    return PainAdvice(
        keep_to=keep_to,
        severe=max(severe, key=lambda log: (log.date, log.pk)) if severe else None,
        told=any(getattr(log, "alert", None) is not None for log in severe),
        today=today,
    )


def follow_up_context(follow_ups: list[SessionLog], back: str) -> dict:
    return {
        "follow_ups": follow_ups,
        "follow_up_back": back,
        "settled_choices": PainSettled.choices,
    }


@dataclass(frozen=True)
class Urgency:
    """What a patient must do now after reporting a warning sign."""

    tier: str
    flags: list[str]
    seen_by_care_team: bool
    plan_paused: bool  # a plan was open and is paused now (none while waiting or after the end)

    @property
    def emergency(self) -> bool:
        return self.tier == AlertTier.EMERGENCY


def urgency(alert) -> Urgency | None:
    if alert is None:
        return None
    return Urgency(
        tier=alert.tier,
        flags=[RedFlag(code).label for code in alert.flags if code in RedFlag.values],
        seen_by_care_team=alert.acknowledged_at is not None,
        plan_paused=alert.plan_id is not None,
    )


def is_warning_sign(alert) -> bool:
    return alert is not None and alert.kind == AlertKind.WARNING_SIGN


@dataclass(frozen=True)
class Outlook:
    """What happens next, in plain words, judged from the week so far by the engine itself."""

    kind: str  # "lower", "hold", "on_track", "paused" or "closed"
    heading: str
    sentence: str


def outlook(log: SessionLog, today) -> tuple[Outlook, PainAdvice | None]:
    plan = log.plan
    prescription = selectors.week_prescription(plan, log.week)
    red = log.pain_response == engine.PainResponse.RED
    if prescription is None or log.week < plan.week_of(today):
        advice = pain_advice(plan, None, [log], today=today) if red else None
        return Outlook(
            "closed",
            "Saved in your history",
            f"This session belongs to week {log.week}, which has already ended. "
            "Your care team can see it.",
        ), advice
    logs = selectors.week_logs(plan, log.week)
    sessions = [s.summary() for s in logs]
    week_so_far = engine.WeekLog(prescribed_minutes=prescription.minutes, sessions=tuple(sessions))
    # The engine reads only the last week; the weeks before it only number the answer.
    preview = engine.next_week(plan.rules(), [week_so_far])
    last_day = plan.week_bounds(log.week)[1] - timedelta(days=1)
    if preview.decision == engine.Decision.STOP:
        return Outlook(
            "paused",
            "Your plan is paused",
            "A warning sign was reported this week, so your plan is paused until your care team "
            "reviews it. Please do not exercise until they restart it.",
        ), None
    advice = pain_advice(plan, prescription.minutes, logs, today=today)
    if preview.decision == engine.Decision.REDUCE:
        lower = preview.minutes < prescription.minutes
        return Outlook(
            "lower",
            "We'll lower next week" if lower else "We'll keep next week gentle",
            preview.reason,
        ), advice
    if preview.decision == engine.Decision.HOLD:
        done = sum(engine.is_completed(s.minutes, prescription.minutes) for s in sessions)
        needed = engine.completed_needed(prescription.sessions_per_week)
        more = needed - done
        at_least = engine.completed_minimum(prescription.minutes)
        # A short session is saved and seen, but does not count: say so, or "0 completed" right
        # after logging one reads as if it was lost.
        short = (
            ""
            if engine.is_completed(log.minutes, prescription.minutes)
            else f"This session's {log.minutes} minutes are saved; sessions count towards "
            f"moving up from {at_least} minutes. "
        )
        if preview.review == engine.Review.OVERDOING:
            return Outlook("hold", "Keep to the plan", preview.reason), advice
        return Outlook(
            "hold",
            "Keep going",
            f"{short}You have completed {done} of the {needed} sessions this week needs. "
            f"{more} more {'session' if more == 1 else 'sessions'} of at least {at_least} minutes "
            f"by {last_day:%A %-d %B} keeps you on track to move up. If not, we'll hold next "
            "week at the same minutes — that's fine.",
        ), advice
    left = max(0, prescription.sessions_per_week - len(sessions))
    still = (
        f" {left} more {'session is' if left == 1 else 'sessions are'} planned by "
        f"{last_day:%A %-d %B}."
        if left
        else ""
    )
    return Outlook(
        "on_track",
        "You're on track",
        f"So far this week: {preview.reason[0].lower()}{preview.reason[1:]}{still}",
    ), advice
