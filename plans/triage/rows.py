"""What the triage list is made of: tiers, reasons and the rows a clinician reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from functools import cached_property
from typing import NamedTuple

from django.utils.translation import gettext as _

from plans import engine
from plans.models import (
    AlertKind,
    AlertOutcome,
    AlertTier,
    session_summary,
)
from plans.triage.words import _lower_first, flag_labels
from plans.wording import pause_explanation
from recovery.models import (
    earliest_clearance_date,
    name_shown,
)

# Drawing the page, the request's own session and user queries included: pinned by
# tests/test_query_budgets.py.
TRIAGE_QUERY_BUDGET = 15

# Engagement: an active plan with no session for this many days is worth a call...
IDLE_DAYS = 3
# ...and after this many days the patient has probably stopped altogether.
LONG_IDLE_DAYS = 14
# A red session is listed for this many days (today included) from the moment it is logged: its
# week has closed, and decided a reduction that triage lists in its own words, by then.
RED_SESSION_DAYS = 7


class Tier(IntEnum):
    """Why a patient is on the triage list; a lower number is more urgent."""

    URGENT = 1  # an open alert: a warning sign or severe pain
    REVIEW = 2  # pain or a plan that changed course
    ENGAGEMENT = 3
    CLEARANCE = 4

    @property
    def label(self) -> str:
        # Only this tier's words are translated (each row of the page reads its tier's label).
        if self is Tier.URGENT:
            return _("Needs you now")
        if self is Tier.REVIEW:
            return _("Pain or plan to review")
        if self is Tier.ENGAGEMENT:
            return _("Engagement")
        return _("Clearance to decide")

    @property
    def badge(self) -> str:
        """Bootstrap colour classes (text contrast checked by axe in the browser tests)."""
        return _BADGES[self]


_BADGES = {
    Tier.URGENT: "text-bg-danger",
    Tier.REVIEW: "text-bg-warning",
    Tier.ENGAGEMENT: "text-bg-info",
    Tier.CLEARANCE: "text-bg-secondary",
}


class Reason:
    """Why a patient is listed: a tier and a rank inside it (the order), and the words `why` (a
    few words) and `detail`. A panel of 500 is ranked whole but drawn a page at a time, so the
    words may come as `words`, a callable answering (why, detail) that is called when they are
    first read (in the language active then: the request's)."""

    __slots__ = ("_said", "_words", "rank", "tier")

    def __init__(
        self,
        tier: Tier,
        rank: tuple,
        why: str = "",
        detail: str = "",
        *,
        words: Callable[[], tuple[str, str]] | None = None,
    ) -> None:
        self.tier = tier
        self.rank = rank
        self._words = words
        self._said = None if words is not None else (why, detail)

    def _text(self) -> tuple[str, str]:
        if self._said is None:
            self._said = self._words()
        return self._said

    @property
    def why(self) -> str:
        return self._text()[0]

    @property
    def detail(self) -> str:
        return self._text()[1]

    def __repr__(self) -> str:
        return f"Reason({self.tier!r}, rank={self.rank!r}, why={self.why!r})"


def alert_tier_words(tier: str) -> str:
    """An alert's tier in lower case, in the reader's language (read when drawn, not at import)."""
    return str(AlertTier(tier).label).lower() if tier in AlertTier.values else tier


def alert_kind_words(kind: str) -> str:
    return str(AlertKind(kind).label).lower() if kind in AlertKind.values else kind


@dataclass
class OpenAlert:
    """An unacknowledged alert, as much of it as the list shows."""

    pk: int
    tier: str
    kind: str
    flags: list[str]
    created_at: datetime
    close_url: str  # the page that asks what was done, then closes it
    severe_words: str = ""  # "Severe pain (9/10) on Tuesday" for a severe-pain alert

    @property
    def is_severe_pain(self) -> bool:
        return self.kind == AlertKind.SEVERE_PAIN


@dataclass
class ClosedAlert:
    """An alert closed since midnight on the clinic's clock: triage keeps it in sight for the day,
    with who closed it, when and what was done."""

    pk: int
    patient_url: str
    patient_name: str
    tier: str
    kind: str
    flags: list[str]
    closed_at: datetime
    closed_by: str
    outcome: str
    note: str

    @property
    def what(self) -> str:
        if self.kind == AlertKind.SEVERE_PAIN:
            return _("Severe pain")
        return "; ".join(flag_labels(self.flags))

    @property
    def tier_words(self) -> str:
        return alert_tier_words(self.tier)

    @property
    def outcome_words(self) -> str:
        return AlertOutcome(self.outcome).label if self.outcome in AlertOutcome.values else ""


@dataclass
class TriageRow:
    """A patient who needs the clinician, under their most urgent reason.

    The page draws hundreds of rows, so a row arrives with its texts and links worked out: a
    `{% url %}` or a filter per row costs the page more than its queries do.
    """

    patient_id: int
    person: _Person  # named when read (`name`): the page draws one page of rows, not all
    url: str  # the patient's page
    reason: Reason
    also: list[Reason] = field(default_factory=list)
    alerts: list[OpenAlert] = field(default_factory=list)
    clearance_url: str = ""  # the clearance decision, when that is the reason
    stage_override: bool = False  # the plan's stage was allowed before its usual time

    @cached_property
    def name(self) -> str:
        return self.person.display_name

    @property
    def tier(self) -> Tier:
        return self.reason.tier

    @property
    def urgency(self) -> str:
        """The row's extra CSS class: the most urgent open alert, if any."""
        if not self.alerts:
            return ""
        if self.alerts[0].tier == AlertTier.EMERGENCY:
            return " urgent-emergency"
        return " urgent-same-day"

    @property
    def also_text(self) -> str:
        return "; ".join(_lower_first(reason.why) for reason in self.also)


@dataclass
class OtherRow:
    """A patient who needs nothing right now, with one line of status.

    The line is worded when read (`status`): the page draws one page of these rows, not all."""

    patient_id: int
    person: _Person  # named when read (`name`), as the status line is worded
    url: str
    words: Callable[[], str]
    stage_override: bool = False

    @cached_property
    def name(self) -> str:
        return self.person.display_name

    @cached_property
    def status(self) -> str:
        return self.words()


@dataclass
class Triage:
    rows: list[TriageRow]
    others: list[OtherRow]
    closed_today: list[ClosedAlert] = field(default_factory=list)

    def count(self, tier: Tier) -> int:
        return sum(1 for row in self.rows if row.tier == tier)

    @property
    def counts(self) -> list[tuple[Tier, int]]:
        return [(tier, self.count(tier)) for tier in Tier]


# Triage reads plain tuples of the columns it needs, not model instances: a 500-patient panel
# would otherwise build a thousand models (with their JSON fields) per page.


class _Person(NamedTuple):
    pk: int
    timezone: str
    first_name: str
    last_name: str
    username: str

    @property
    def display_name(self) -> str:
        return name_shown(self.first_name, self.last_name, self.username)


class _OpenPlan(NamedTuple):
    """An open plan as `_open_plans` reads it: its last week comes as one JSON object (`last`;
    None before the first week), with the week before in it (`prev`) when the last is a hold or
    a review for repeated pain, read through the properties below."""

    patient_id: int
    status: str
    start_date: date
    pause_cause: str
    pause_day: date | None
    pause_reason: str
    stop_week: int | None  # the engine's STOP week, for a pause at a week's close
    stop_cause: str | None
    stop_numbers: dict | None
    stop_reason: str | None
    last: dict | None  # week, minutes, decision, review, reason, at (created_at, ISO), prev
    last_session: date | None
    red: dict | None  # the latest red session since the panel's earliest date (_RedSession)
    stage_override_reason: str

    @property
    def last_week(self) -> int | None:
        return self.last["week"] if self.last else None

    @property
    def last_minutes(self) -> int | None:
        return self.last["minutes"] if self.last else None

    @property
    def last_decision(self) -> str | None:
        return self.last["decision"] if self.last else None

    @property
    def last_review(self) -> str | None:
        return self.last["review"] if self.last else None

    @property
    def last_reason(self) -> str | None:
        return self.last["reason"] if self.last else None

    @property
    def last_week_at(self) -> datetime | None:
        at = self.last["at"] if self.last else None
        return datetime.fromisoformat(at) if at else None

    @property
    def prev(self) -> dict | None:
        """The week before the last (minutes, decision, review), read for a hold or a review for
        repeated pain only: the other weeks' words do not need it."""
        return self.last["prev"] if self.last else None

    @property
    def prev_minutes(self) -> int | None:
        return self.prev["minutes"] if self.prev else None

    @property
    def prev_decision(self) -> str | None:
        return self.prev["decision"] if self.prev else None

    @property
    def prev_review(self) -> str | None:
        return self.prev["review"] if self.prev else None

    def pause_words(self) -> str:
        """Why the plan was paused, for the clinician, in the active language."""
        stop = None
        if self.stop_week is not None:
            stop = (self.stop_week, self.stop_cause, self.stop_numbers, self.stop_reason)
        return pause_explanation(
            self.pause_cause,
            audience="clinician",
            day=self.pause_day,
            reason=self.pause_reason,
            stop=stop,
        )


class _AlertRow(NamedTuple):
    pk: int
    patient_id: int
    tier: str
    kind: str
    flags: list[str]
    created_at: datetime
    session_date: date | None
    session_pain: int | None
    session_lasted: Decimal | None
    report_pain: int | None
    report_at: datetime | None
    acknowledged_at: datetime | None  # set: closed today (`_alerts` reads both kinds)
    first_name: str  # the patient's, for an alert closed today
    last_name: str
    username: str
    by_first_name: str | None  # who closed it
    by_last_name: str | None
    by_username: str | None
    outcome: str
    outcome_note: str


class _RedSession(NamedTuple):
    """A session with no warning sign that the engine classes red."""

    patient_id: int
    id: int
    date: date
    week: int
    activity: str
    minutes: int
    pain: int | None
    pain_before: int | None
    pain_lasted_hours: Decimal
    sharp_pain: bool

    @property
    def is_red(self) -> bool:
        """The engine's own verdict (the query only narrows the rows down)."""
        summary = session_summary(
            self.minutes,
            self.pain,
            self.pain_lasted_hours,
            self.sharp_pain,
            (),
            self.pain_before,
        )
        return engine.pain_response(summary) == engine.PainResponse.RED


class _PendingClearance(NamedTuple):
    patient_id: int
    requested_at: datetime
    procedure_date: date
    treatment_name: str
    min_days_to_clearance: int

    @property
    def earliest_clearance(self) -> date:
        return earliest_clearance_date(self.procedure_date, self.min_days_to_clearance)
