"""Logging a session, and what a session sets off (a warning sign, severe pain, a closed week
decided again). Correcting or deleting one is in plans.services.corrections."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from plans import engine
from plans.models import (
    PAIN_DURATION_HOURS,
    Alert,
    PainDuration,
    Plan,
    PlanStatus,
    PlanWeek,
    RedFlag,
    SessionExercise,
    SessionLog,
)
from plans.programme import programme_exercises
from plans.services.alerts import _queue_alert, _red_flag, _severe_pain_alert
from plans.services.common import _locked, patient_today
from plans.services.weeks import (
    _close_weeks,
    _first_loaded,
    _history,
    _summaries_by_week,
    week_cause,
    weeks_due,
)
from recovery.access import own_patient_filter
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import (
    PatientProfile,
    User,
)

logger = logging.getLogger(__name__)


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
        raise DomainError(_("The date cannot be in the future."), field="date")
    if day < plan.start_date:
        raise DomainError(
            _("Your plan started on %(day)s; pick that day or later.")
            % {
                "day": date_format(
                    plan.start_date, pgettext("date format: day, month and year", "j F Y")
                )
            },
            field="date",
        )
    if activity not in plan.allowed_activities:
        raise DomainError(_("That activity is not part of your plan yet."), field="activity")
    if not 1 <= minutes <= 300:
        raise DomainError(_("Minutes must be between 1 and 300."), field="minutes")
    if pain is not None and not 0 <= pain <= 10:
        raise DomainError(_("Pain must be between 0 and 10."), field="pain")
    if pain_before is not None and not 0 <= pain_before <= 10:
        raise DomainError(_("Pain must be between 0 and 10."), field="pain_before")
    if not Decimal(0) <= lasted <= Decimal(72):
        raise DomainError(_("Hours of pain must be between 0 and 72."), field="pain_lasted_hours")
    if exertion is not None and not 6 <= exertion <= 20:
        raise DomainError(_("Effort must be between 6 and 20."), field="exertion")
    unknown = set(flags) - set(RedFlag.values)
    if unknown:
        raise DomainError(_("Unknown warning sign."), field="red_flags")


def _lasted_hours(pain_duration: str, pain_lasted_hours: Decimal | float = 0) -> Decimal:
    """The hours raised pain lasted, as the engine reads them: the patient's answer mapped to
    hours, or the hours a caller knows (imports, demo data) when there is no answer."""
    if pain_duration:
        if pain_duration not in PainDuration.values:
            raise DomainError(_("Choose how long the pain lasted."), field="pain_duration")
        pain_lasted_hours = PAIN_DURATION_HOURS[PainDuration(pain_duration)]
    return Decimal(str(pain_lasted_hours or 0)).quantize(Decimal("0.1"))


PLAN_PAUSED = gettext_lazy(
    "Your plan is paused, so sessions cannot be logged. Please talk to your care team."
)


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
    exercises_done: Iterable[int] = (),
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

    `exercises_done`: the programme exercises the patient ticked (DESIGN §9), stored with the
    session in the same transaction; an exercise not in their programme today is refused.
    """
    if (patient is None) == (user is None):
        raise TypeError("Give either the patient or their user.")
    now = now or timezone.now()
    flags = sorted(set(red_flags))
    lasted = _lasted_hours(pain_duration, pain_lasted_hours)
    with transaction.atomic():
        plan = _lock_open_plan(patient=patient, user=user)
        if plan is None:
            raise DomainError(_("You do not have an exercise plan yet."))
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
        done = _check_programme_ticks(plan, exercises_done)
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
            created_at=now,
            **({"submission_token": submission_token} if submission_token else {}),
        )
        log.save()
        if done:
            SessionExercise.objects.bulk_create(
                SessionExercise(session_log=log, exercise_id=pk) for pk in done
            )
        alert = _what_it_sets_off(plan, log, today=today)
    if alert is not None:
        _queue_alert(alert.pk)
    return LoggedSession(log, created=True, alert=alert)


PROGRAMME_TICKS_ONLY = gettext_lazy("Tick only exercises of your home programme.")


def _check_programme_ticks(plan: Plan, exercises_done: Iterable[int]) -> list[int]:
    """The ticked exercise ids, each once, if all are in the patient's programme today (1 query,
    none when nothing is ticked)."""
    wanted = list(dict.fromkeys(exercises_done))
    if not wanted:
        return []
    allowed = {pk for pk, _name in programme_exercises(plan)}
    if any(pk not in allowed for pk in wanted):
        raise DomainError(PROGRAMME_TICKS_ONLY, field="exercises_done")
    return wanted


def _what_it_sets_off(plan: Plan, log: SessionLog, *, today: date) -> Alert | None:
    """What a session saved or corrected sets off: a warning sign pauses the plan and alerts; any
    other session counts for a closed week decided without it, and severe pain alerts."""
    if log.red_flags:
        return _red_flag(plan, log, today=today)
    _redecide_after_late_log(plan, log, today=today)
    if log.is_severe:
        return _severe_pain_alert(plan, log)
    return None


def _lock_open_plan(*, patient: PatientProfile | None, user: User | None) -> Plan | None:
    """The patient's open plan with its patient, the plan's row locked, and its last prescribed
    week as `last_week`; None without an open plan. One query.

    Two submissions of one plan take turns at the lock. `last_week` is read by the same
    statement, so a week the other closed meanwhile may be missing from it: that only makes
    weeks look due, and closing them reads them again. At most one plan per patient is open
    (plan_one_open_per_patient).
    """
    # The signed-in user's patient is chosen in the profile join (own_patient_filter): an
    # IN-subquery would double this statement's planning, its main cost.
    owner = Q(patient=patient) if patient is not None else own_patient_filter(user)
    last_week = PlanWeek.objects.filter(plan=OuterRef("pk")).order_by("-week").values("week")
    # No ordering: there is at most one (and ordering is work for the ORM and the planner).
    plan = next(
        iter(
            _locked(Plan)
            .select_related("patient")
            .filter(owner, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
            .annotate(last_week=Subquery(last_week[:1]))
            .order_by()[:1]
        ),
        None,
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
