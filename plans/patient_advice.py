"""What a patient is told, in plain words: the advice after a session that went too fast, what
to do now after a warning sign, and what the week so far means for next week (the engine's own
preview). Read models of the patient pages; they write nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from plans import engine, selectors
from plans.models import AlertKind, AlertTier, PainSettled, Plan, RedFlag, SessionLog
from plans.wording import week_explanation


def warning_signs() -> dict:
    return {
        "same_day_signs": [str(f.label) for f in RedFlag if f.value in engine.SAME_DAY_FLAGS],
        "emergency_signs": [str(f.label) for f in RedFlag if f.value in engine.EMERGENCY_FLAGS],
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
        flags=[str(RedFlag(code).label) for code in alert.flags if code in RedFlag.values],
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


def _day_format() -> str:
    """ "Friday 5 December" in English, "viernes 5 de diciembre" in Spanish."""
    return pgettext("date format: weekday, day and month", "l j F")


def _preview_reason(preview: engine.Prescription, week: int) -> str:
    """The engine's preview of next week, in the reader's language.

    In English it is the engine's own sentence ("…, so next week stays at 30 minutes."); in any
    other language the same cause is said by `plans.wording`, naming the weeks ("Week 4 stays at
    30 minutes because in week 3 …"), since the engine's reason is English only.
    """
    if (get_language() or "en").startswith("en"):
        return preview.reason
    return (
        week_explanation(preview.cause, preview.cause_numbers, audience="patient", week=week)
        or preview.reason
    )


def outlook(log: SessionLog, today) -> tuple[Outlook, PainAdvice | None]:
    plan = log.plan
    prescription = selectors.week_prescription(plan, log.week)
    red = log.pain_response == engine.PainResponse.RED
    if prescription is None or log.week < plan.week_of(today):
        advice = pain_advice(plan, None, [log], today=today) if red else None
        return Outlook(
            "closed",
            _("Saved in your history"),
            _(
                "This session belongs to week %(week)d, which has already ended. "
                "Your care team can see it."
            )
            % {"week": log.week},
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
            _("Your plan is paused"),
            _(
                "A warning sign was reported this week, so your plan is paused until your care "
                "team reviews it. Please do not exercise until they restart it."
            ),
        ), None
    advice = pain_advice(plan, prescription.minutes, logs, today=today)
    if preview.decision == engine.Decision.REDUCE:
        lower = preview.minutes < prescription.minutes
        return Outlook(
            "lower",
            _("We'll lower next week") if lower else _("We'll keep next week gentle"),
            _preview_reason(preview, log.week + 1),
        ), advice
    if preview.decision == engine.Decision.HOLD:
        done = sum(engine.is_completed(s.minutes, prescription.minutes) for s in sessions)
        needed = engine.completed_needed(prescription.sessions_per_week)
        more = needed - done
        at_least = engine.completed_minimum(prescription.minutes)
        # A short session is saved and seen, but does not count: say so, or "0 completed" right
        # after logging one reads as if it was lost.
        by = dateformat.format(last_day, _day_format())
        numbers = {
            "minutes": log.minutes,
            "at_least": at_least,
            "done": done,
            "needed": needed,
            "more": more,
            "by": by,
        }
        short = (
            ""
            if engine.is_completed(log.minutes, prescription.minutes)
            else _(
                "This session's %(minutes)d minutes are saved; sessions count towards moving "
                "up from %(at_least)d minutes. "
            )
            % numbers
        )
        if preview.review == engine.Review.OVERDOING:
            return Outlook(
                "hold", _("Keep to the plan"), _preview_reason(preview, log.week + 1)
            ), advice
        return Outlook(
            "hold",
            _("Keep going"),
            short
            + _("You have completed %(done)d of the %(needed)d sessions this week needs.") % numbers
            + " "
            + ngettext(
                "%(more)d more session of at least %(at_least)d minutes by %(by)s keeps you on "
                "track to move up. If not, we'll hold next week at the same minutes — that's "
                "fine.",
                "%(more)d more sessions of at least %(at_least)d minutes by %(by)s keeps you on "
                "track to move up. If not, we'll hold next week at the same minutes — that's "
                "fine.",
                more,
            )
            % numbers,
        ), advice
    left = max(0, prescription.sessions_per_week - len(sessions))
    still = (
        " "
        + ngettext(
            "%(left)d more session is planned by %(by)s.",
            "%(left)d more sessions are planned by %(by)s.",
            left,
        )
        % {"left": left, "by": dateformat.format(last_day, _day_format())}
        if left
        else ""
    )
    reason = _preview_reason(preview, log.week + 1)
    return Outlook(
        "on_track",
        _("You're on track"),
        _("So far this week: %(reason)s") % {"reason": reason[0].lower() + reason[1:]} + still,
    ), advice
