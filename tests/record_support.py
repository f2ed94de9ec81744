"""A patient whose plan a warning sign stopped and a clinician resumed: the path of issue 17.

Built through the services, each session logged on its own day's clock so every week closes as
it would in real life. Shared by the record's tests and its browser test.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from plans import services
from plans.models import Plan, PlanWeek
from recovery.models import PatientProfile, User
from tests.conftest import approve, make_patient

NUMB_NOTE = "Left foot went numb halfway round the park, then it eased after I sat down."

# Sessions of the old plan's first six weeks, as (day in the week, share of the prescription):
# all three done and comfortable in week 1 (+10), one in week 2 (hold), then three done a week.
OLD_WEEKS = {
    1: [(0, 1.0), (2, 1.0), (4, 1.0)],
    2: [(1, 1.0)],
    3: [(0, 1.0), (2, 1.0), (4, 1.0)],
    4: [(0, 1.0), (2, 1.0), (4, 1.0)],
    5: [(0, 1.0), (2, 1.0), (4, 1.0)],
    6: [(0, 1.0), (2, 1.0), (4, 1.0)],
}


def patients_today() -> date:
    """Today on the clock of the patients `make_patient` enrols (America/New_York): between
    midnight UTC and midnight in New York it is not `date.today()` on a UTC machine."""
    return timezone.now().astimezone(ZoneInfo("America/New_York")).date()


def at(patient: PatientProfile, day: date) -> datetime:
    """Evening of `day` on the patient's clock."""
    return datetime.combine(day, time(18), tzinfo=patient.tz)


def log(plan: Plan, day: date, **fields):
    fields.setdefault("activity", "walking")
    fields.setdefault("pain_before", 1)
    fields.setdefault("pain", 2)
    fields.setdefault("pain_duration", "within_2h")
    return services.session_log_create(
        patient=plan.patient, day=day, now=at(plan.patient, day), **fields
    )


def prescribed(plan: Plan, day: date) -> int:
    services.plan_close_weeks(plan=plan, today=day)
    return PlanWeek.objects.get(plan=plan, week=plan.week_of(day)).minutes


def six_good_weeks(username: str, first: str, clinician: User, today: date) -> Plan:
    """A plan started six weeks ago today (so today begins its week 7), weeks 1–6 logged."""
    patient = make_patient(
        username,
        first,
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=today - timedelta(days=70),
    )
    plan = approve(patient, start=today - timedelta(days=42), today=today - timedelta(days=42))
    for week, sessions in OLD_WEEKS.items():
        for offset, share in sessions:
            day = plan.start_date + timedelta(days=7 * (week - 1) + offset)
            log(plan, day, minutes=round(prescribed(plan, day) * share))
    services.plan_close_weeks(plan=plan, today=today)
    return plan


def stopped_by_a_warning_sign(plan: Plan, today: date):
    """Today's session with new numbness and a note: the plan pauses, STOP for next week."""
    return log(plan, today, minutes=10, red_flags=["numbness"], notes=NUMB_NOTE)


def resumed(plan: Plan, today: date, *, minutes: int = 10) -> Plan:
    return services.plan_resume(
        plan=plan, actor=plan.patient.clinician, start_minutes=minutes, today=today
    )
