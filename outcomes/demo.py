"""The outcomes' part of the demo clinic (plans.demo sends `seeded`; plans never imports this).

Rosa had a lumbar fusion about four months ago and has been exercising for fifteen weeks: she
answered her baseline, 6-week and 3-month questionnaires, each on its day, and got better by more
than the change that matters. A new user sees the record's Outcomes card and the panel report
filled in; the questionnaires are answered through the same services as the pages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.dispatch import receiver

from outcomes import services
from outcomes.models import Option, Questionnaire, QuestionnaireStatus, Visit
from plans import services as plan_services
from plans.demo import (
    demo_account,
    demo_approve,
    demo_log,
    demo_patient,
    seeded,
)
from plans.models import Plan, PlanWeek
from recovery.models import PatientProfile

PLAN_WEEKS = 15
# What Rosa answered at each visit: average pain (0–10), her activities' ratings, and PGIC.
ACTIVITIES = ("Putting on socks", "Carrying shopping", "Walking to the park")
ANSWERS = {
    Visit.BASELINE: {"pain": 7, "psfs": (2, 3, 3)},
    Visit.WEEK_6: {"pain": 5, "psfs": (4, 5, 5), "pgic": 3},  # a little better
    Visit.MONTH_3: {"pain": 3, "psfs": (7, 6, 7), "pgic": 2},  # much better
}


def _morning(patient: PatientProfile, day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=patient.tz)


def _answer_due(patient: PatientProfile, moment: datetime, visit: str) -> None:
    """Let the beat create what is due at `moment`, then answer Rosa's questionnaires of `visit`
    as she did that morning."""
    services.questionnaires_schedule(now=moment)
    given = ANSWERS[visit]
    due = Questionnaire.objects.filter(
        patient=patient, visit=visit, status=QuestionnaireStatus.DUE
    ).select_related("instrument")
    for questionnaire in due:
        code = questionnaire.instrument.code
        if code == "psfs":
            ratings = given["psfs"]
            if visit == Visit.BASELINE:
                kwargs = {"named": list(zip(ACTIVITIES, ratings, strict=True))}
            else:
                kwargs = {"ratings": list(ratings)}
        elif code in given:
            option = Option.objects.get(
                item__instrument=questionnaire.instrument, score=given[code]
            )
            kwargs = {"choices": {1: option.pk}}
        else:
            continue  # an instrument the clinic added since: left for Rosa to answer
        services.questionnaire_answer(
            patient=patient, questionnaire_id=questionnaire.pk, now=moment, **kwargs
        )


@receiver(seeded, dispatch_uid="outcomes-demo")
def seed_outcomes(sender, *, clinician, today: date, **kwargs):
    start = today - timedelta(weeks=PLAN_WEEKS)
    rosa = demo_patient(
        "rosa", "Rosa", "Martinez", clinician, "Lumbar fusion", start - timedelta(days=50), today
    )
    if not Plan.objects.filter(patient=rosa).exists():
        demo_approve(
            rosa,
            start=start,
            stage=2,
            activities=["walking", "recumbent_bike"],
            sessions=3,
            now=_morning(rosa, start),
        )
        plan = Plan.objects.get(patient=rosa)
        _answer_due(rosa, _morning(rosa, start), Visit.BASELINE)
        visits = {
            services.visit_opens_on(visit, approved_on=start, start=start): visit
            for visit in (Visit.WEEK_6, Visit.MONTH_3)
        }
        # Three comfortable sessions a week at what each week prescribes.
        for week in range(PLAN_WEEKS):
            first = start + timedelta(weeks=week)
            plan_services.plan_close_weeks(plan=plan, today=first)
            minutes = PlanWeek.objects.get(plan=plan, week=week + 1).minutes
            for offset in (0, 2, 4):
                day = first + timedelta(days=offset)
                if day in visits:
                    _answer_due(rosa, _morning(rosa, day), visits[day])
                if day < today:
                    demo_log(rosa, day, minutes=minutes, pain_before=2, pain=2, exertion=12)
        # A visit that fell on a day without a session is answered that morning too.
        for day, visit in visits.items():
            if not Questionnaire.objects.filter(patient=rosa, visit=visit).exists():
                _answer_due(rosa, _morning(rosa, day), visit)
        plan_services.plan_close_weeks(plan=plan, today=today)
    # Today's pass, as the hourly beat would make it: the other demo patients' questionnaires
    # that are open now (Ana's /me/ says one is waiting).
    services.questionnaires_schedule()
    return [
        demo_account(
            rosa.user,
            "four months after a lumbar fusion: outcomes at baseline, 6 weeks and 3 months",
        )
    ]
