"""The triage of one clinician's panel: one set-based query per kind of fact, sorted in Python."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db.models import Case, F, JSONField, OuterRef, Q, Subquery, When
from django.db.models.functions import JSONObject
from django.utils import dateformat, timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from plans import engine
from plans.models import (
    Alert,
    AlertKind,
    AlertTier,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
    WeekReview,
)
from plans.triage.reasons import (
    _alert_reason,
    _clearance_reason,
    _plan_reasons,
    _red_session_reason,
)
from plans.triage.rows import (
    RED_SESSION_DAYS,
    ClosedAlert,
    OpenAlert,
    OtherRow,
    Reason,
    Tier,
    Triage,
    TriageRow,
    _AlertRow,
    _OpenPlan,
    _PendingClearance,
    _Person,
    _RedSession,
)
from plans.triage.words import _link_maker, on_day, severe_pain_words
from recovery.access import clinician_patients
from recovery.models import (
    Clearance,
    ClearanceStatus,
    PatientProfile,
    User,
    name_shown,
)
from recovery.templatetags.clinic_clock import on_clinic_clock


def _people(patients) -> list[_Person]:
    """The patients in name order."""
    rows = (
        patients.annotate(
            first_name=F("user__first_name"),
            last_name=F("user__last_name"),
            username=F("user__username"),
        )
        .order_by("user__last_name", "user__first_name", "pk")
        .values_list(*_Person._fields)
    )
    return [_Person._make(row) for row in rows]


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return PatientProfile(timezone=name).tz


def _alerts(
    patients,
    now: datetime,
    today: dict[int, date],
    zones: dict[int, zoneinfo.ZoneInfo],
    patient_url: Callable[[int], str],
) -> tuple[dict[int, list[OpenAlert]], list[ClosedAlert]]:
    """The panel's alerts in one query: each patient's unacknowledged alerts, emergency first,
    then the oldest first (with the session or symptom report that raised each: a report may
    have no plan), and the alerts closed since midnight on the clinic's clock, newest first."""
    local_now = on_clinic_clock(now)
    midnight = datetime.combine(local_now.date(), datetime.min.time(), tzinfo=local_now.tzinfo)
    close_url = _link_maker("clinic:alert_close")
    alerts: dict[int, list[OpenAlert]] = defaultdict(list)
    closed: list[_AlertRow] = []
    rows = (
        Alert.objects.filter(
            Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=midnight),
            patient__in=patients,
        )
        .annotate(
            session_date=F("session_log__date"),
            session_pain=F("session_log__pain"),
            session_lasted=F("session_log__pain_lasted_hours"),
            report_pain=F("symptom_report__pain_now"),
            report_at=F("symptom_report__created_at"),
            first_name=F("patient__user__first_name"),
            last_name=F("patient__user__last_name"),
            username=F("patient__user__username"),
            by_first_name=F("acknowledged_by__first_name"),
            by_last_name=F("acknowledged_by__last_name"),
            by_username=F("acknowledged_by__username"),
        )
        .order_by()  # sorted below, each list its own way
        .values_list(*_AlertRow._fields)
    )
    for row in map(_AlertRow._make, rows):
        if row.acknowledged_at is not None:
            closed.append(row)
            continue
        if row.patient_id not in today:
            continue  # joined the panel since it was read: listed on the next drawing
        severe_words = ""
        if row.kind == AlertKind.SEVERE_PAIN:
            pid = row.patient_id
            if row.session_date is not None:
                day, pain, hours = row.session_date, row.session_pain, row.session_lasted
            else:
                # The patient's own calendar date of the report (not `local_date`, which would
                # bound the cached page by a past midnight).
                moment = row.report_at or row.created_at
                day, pain, hours = moment.astimezone(zones[pid]).date(), row.report_pain, None
            severe_words = severe_pain_words(pain, hours, on_day(day, today[pid]))
        alerts[row.patient_id].append(
            OpenAlert(
                row.pk,
                row.tier,
                row.kind,
                row.flags,
                row.created_at,
                close_url(row.pk),
                severe_words,
            )
        )
    for patient_alerts in alerts.values():
        patient_alerts.sort(key=lambda a: (a.tier != AlertTier.EMERGENCY, a.created_at, a.pk))
    closed.sort(key=lambda row: (row.acknowledged_at, row.pk), reverse=True)
    return alerts, [
        ClosedAlert(
            pk=row.pk,
            patient_url=patient_url(row.patient_id),
            patient_name=name_shown(row.first_name, row.last_name, row.username),
            tier=row.tier,
            kind=row.kind,
            flags=row.flags,
            closed_at=row.acknowledged_at,
            closed_by=name_shown(row.by_first_name, row.by_last_name, row.by_username),
            outcome=row.outcome,
            note=row.outcome_note,
        )
        for row in closed
    ]


# Red as `engine.pain_response` decides it, as a filter the database can apply: sharp pain, pain
# >= 7, raised pain lasting more than 2 hours, or a rise of 4 or more over the pain before.
RED_SESSION_Q = (
    Q(sharp_pain=True)
    | Q(pain__gte=engine.PAIN_CAUTION)
    | Q(pain_lasted_hours__gt=engine.PAIN_LASTED_HOURS_MAX)
    | Q(pain__gte=F("pain_before") + engine.PAIN_RISE_RED)
)


def _open_plans(patient_ids: list[int], red_since: date) -> list[_OpenPlan]:
    """Each patient's open plan with its last week (and the week before when it matters), last
    session date and latest red session since `red_since` (one query).

    Given the ids rather than a subquery, PostgreSQL reads the plans through the
    plan_one_open_per_patient index instead of scanning every plan. The last week and the red
    session come as one JSON object each (one index probe per plan, not one per column: ten
    correlated subqueries per plan were most of the triage's database time on a 500-patient
    panel). The week before the last is read inside the last week's object, and only when the
    last week is a hold or a review for repeated pain, the only weeks triage words from the
    week before: reading it for every plan was a fifth of the query's time.
    """
    week_before = (
        PlanWeek.objects.filter(plan=OuterRef("plan"), week__lt=OuterRef("week"))
        .order_by("-week")
        .annotate(row=JSONObject(minutes="minutes", decision="decision", review="review"))
        .values("row")
    )
    last = (
        PlanWeek.objects.filter(plan=OuterRef("pk"))
        .order_by("-week")
        .annotate(
            row=JSONObject(
                week="week",
                minutes="minutes",
                decision="decision",
                review="review",
                reason="reason",
                at="created_at",
                prev=Case(
                    When(
                        Q(decision=engine.Decision.HOLD) | Q(review=WeekReview.REPEATED_PAIN),
                        then=Subquery(week_before[:1], output_field=JSONField()),
                    ),
                    output_field=JSONField(),
                ),
            )
        )
        .values("row")
    )
    last_session = SessionLog.objects.filter(plan=OuterRef("pk")).order_by("-date").values("date")
    # A session with a warning sign is left out: its alert and the STOP it caused say more.
    red = (
        SessionLog.objects.filter(plan=OuterRef("pk"), date__gte=red_since)
        .filter(Q(red_flags=[]) | Q(red_flags=None))
        .filter(RED_SESSION_Q)
        .order_by("-date", "-id")
        .annotate(
            row=JSONObject(
                id="id",
                date="date",
                week="week",
                activity="activity",
                minutes="minutes",
                pain="pain",
                pain_before="pain_before",
                lasted="pain_lasted_hours",
                sharp="sharp_pain",
            )
        )
        .values("row")
    )
    rows = (
        Plan.objects.filter(
            patient__in=patient_ids, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED]
        )
        .annotate(
            last=Subquery(last[:1], output_field=JSONField()),
            last_session=Subquery(last_session[:1]),
            red=Subquery(red[:1], output_field=JSONField()),
            # A stop at a week's close is said from its STOP week (joined, not a query).
            stop_week=F("pause_week__week"),
            stop_cause=F("pause_week__cause"),
            stop_numbers=F("pause_week__cause_numbers"),
            stop_reason=F("pause_week__reason"),
        )
        .order_by()  # at most one open plan per patient (plan_one_open_per_patient)
        .values_list(*_OpenPlan._fields)
    )
    return [_OpenPlan._make(row) for row in rows]


def _red_session(plan: _OpenPlan, today: date) -> _RedSession | None:
    """The plan's latest red session of the last RED_SESSION_DAYS days on the patient's own
    calendar, listed as soon as it is logged."""
    red = plan.red
    if red is None:
        return None
    session = _RedSession(
        patient_id=plan.patient_id,
        id=red["id"],
        date=date.fromisoformat(red["date"]),
        week=red["week"],
        activity=red["activity"],
        minutes=red["minutes"],
        pain=red["pain"],
        pain_before=red["pain_before"],
        pain_lasted_hours=Decimal(str(red["lasted"])),
        # SQLite's json_object writes a boolean column as 0 or 1 (make run's database).
        sharp_pain=bool(red["sharp"]),
    )
    if session.date < today - timedelta(days=RED_SESSION_DAYS - 1):
        return None
    return session if session.is_red else None  # RED_SESSION_Q is the engine's rule


def _clearances(
    patients, without_plan: list[int]
) -> tuple[list[_PendingClearance], dict[int, str]]:
    """The panel's pending clearances, and the status of the latest clearance request of each
    patient in `without_plan`, in one query: only a patient with no open plan (a few of a panel)
    is said by that status (`_status_line`), so the others' past requests are not read."""
    rows = (
        Clearance.objects.filter(patient__in=patients)
        .filter(Q(status=ClearanceStatus.PENDING) | Q(patient__in=without_plan))
        .annotate(
            procedure_date=F("treatment__procedure_date"),
            treatment_name=F("treatment__treatment_type__name"),
            min_days_to_clearance=F("treatment__treatment_type__min_days_to_clearance"),
        )
        .order_by("-requested_at", "-id")
        .values_list("status", *_PendingClearance._fields)
    )
    pending: list[_PendingClearance] = []
    latest: dict[int, str] = {}
    for status, *fields in rows:
        clearance = _PendingClearance._make(fields)
        if status == ClearanceStatus.PENDING:
            pending.append(clearance)
        latest.setdefault(clearance.patient_id, status)  # the rows come newest first
    return pending, latest


def _overridden(plan: _OpenPlan | None) -> bool:
    return plan is not None and bool(plan.stage_override_reason)


def _status_line(plan: _OpenPlan | None, clearance_status: str | None, today: date) -> str:
    """One line for a patient who needs nothing; `clearance_status` is that of their latest
    clearance request, read only for a patient with no open plan (None: they made none)."""
    if plan is not None:
        if plan.status == PlanStatus.PAUSED:
            return _("Plan paused")
        if plan.start_date > today:
            return _("Plan starts %(day)s") % {"day": dateformat.format(plan.start_date, "j M")}
        week = engine.week_number(plan.start_date, today)
        if plan.last_session:
            return _("On track: week %(week)s, last session %(day)s") % {
                "week": week,
                "day": dateformat.format(plan.last_session, "j M"),
            }
        return _("On track: week %(week)s") % {"week": week}
    if clearance_status == ClearanceStatus.DECLINED:
        return _("Clearance declined")
    if clearance_status == ClearanceStatus.REVOKED:
        return _("Clearance revoked")
    if clearance_status is None:
        return _("No clearance request")
    return _("No open plan")


def clinician_triage(clinician: User, *, now: datetime | None = None) -> Triage:
    """The clinician's own patients in order of urgency, plus everyone else (4 queries, and one
    for each of settings.TRIAGE_REASONS).

    Tiers: 1 open alerts, warning signs and severe pain (emergency before same-day, oldest
    first; a patient waiting for clearance too); 2 pain or a plan that changed course: a plan
    stopped, a week flagged for review (severe or repeated pain, then a red session of the last
    seven days as soon as it is logged, then a return after a break or overdoing), a week eased
    back, an outcome worse than at baseline; 3 engagement (no session for 14+ days, held two
    weeks running, no session for 3+ days); 4 clearances waiting for a decision. A patient is
    listed once, under their most urgent reason; the others are shown with it as "also".
    """
    now = now or timezone.now()
    patients = clinician_patients(clinician)
    people = _people(patients)
    # One calendar date per time zone, read through the model (an unknown zone reads as UTC,
    # and a cached page showing the date expires at that zone's midnight).
    dates: dict[str, date] = {}
    tzs: dict[str, zoneinfo.ZoneInfo] = {}
    for person in people:
        if person.timezone not in dates:
            dates[person.timezone] = PatientProfile(timezone=person.timezone).local_date(now)
            tzs[person.timezone] = _zone(person.timezone)
    today = {person.pk: dates[person.timezone] for person in people}
    zones = {person.pk: tzs[person.timezone] for person in people}

    patient_url = _link_maker("clinic:patient")
    reasons: dict[int, list[Reason]] = defaultdict(list)
    alerts_by_patient, closed_today = _alerts(patients, now, today, zones, patient_url)
    for patient_id, alerts in alerts_by_patient.items():
        reasons[patient_id].append(_alert_reason(alerts))

    patient_ids = [person.pk for person in people]
    # Red sessions of the last RED_SESSION_DAYS days of the earliest calendar of the panel (each
    # patient's own calendar then narrows it down).
    red_since = min(dates.values(), default=now.date()) - timedelta(days=RED_SESSION_DAYS - 1)
    plans = {plan.patient_id: plan for plan in _open_plans(patient_ids, red_since)}
    for patient_id, plan in plans.items():
        reasons[patient_id].extend(_plan_reasons(plan, today[patient_id]))
        session = _red_session(plan, today[patient_id])
        if session is not None:
            reasons[patient_id].append(_red_session_reason(session, today[patient_id], plan))

    # What other apps add (settings.TRIAGE_REASONS; plans imports none of them): one query each,
    # given the panel as a query of ids.
    for path in getattr(settings, "TRIAGE_REASONS", ()) if people else ():
        for patient_id, found in import_string(path)(patients.values("pk")).items():
            if patient_id in today:
                reasons[patient_id].extend(found)

    pending, clearance_status = _clearances(patients, [pk for pk in patient_ids if pk not in plans])
    for clearance in pending:
        reasons[clearance.patient_id].append(
            _clearance_reason(clearance, today[clearance.patient_id])
        )

    clearance_url = _link_maker("clinic:clearance")
    rows: list[TriageRow] = []
    others: list[OtherRow] = []
    for person in people:
        pk = person.pk
        found = sorted(reasons.get(pk, ()), key=lambda r: (r.tier, r.rank))
        if found:
            rows.append(
                TriageRow(
                    patient_id=pk,
                    person=person,
                    url=patient_url(pk),
                    reason=found[0],
                    also=found[1:],
                    alerts=alerts_by_patient.get(pk, []),
                    clearance_url=clearance_url(pk) if found[0].tier == Tier.CLEARANCE else "",
                    stage_override=_overridden(plans.get(pk)),
                )
            )
        else:
            others.append(
                OtherRow(
                    patient_id=pk,
                    person=person,
                    url=patient_url(pk),
                    words=partial(_status_line, plans.get(pk), clearance_status.get(pk), today[pk]),
                    stage_override=_overridden(plans.get(pk)),
                )
            )
    rows.sort(key=lambda row: (row.reason.tier, row.reason.rank, row.patient_id))
    return Triage(rows=rows, others=others, closed_today=closed_today)
