"""The outcome measures' services (DESIGN section 8): the beat's schedule pass and answering.

Every treatment type gets the default schedule; windows follow the patient's own calendar; a
plan paused and resumed keeps counting from the first plan's start; a pass run twice creates
nothing new; answers are stored once, scored, and never rewritten.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from outcomes import selectors, services
from outcomes.models import (
    Answer,
    Instrument,
    Item,
    Option,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ScheduledInstrument,
)
from outcomes.tasks import schedule_questionnaires
from plans import services as plan_services
from plans.models import Plan, PlanStatus
from recovery.defaults import DEFAULT_TREATMENT_TYPES
from recovery.errors import DomainError
from recovery.models import AuditEvent, Clearance, TreatmentType
from tests.conftest import approve, make_patient
from tests.support import patients_today, refused

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def noon(day: date, tz=NEW_YORK) -> datetime:
    return datetime.combine(day, time(12), tzinfo=tz)


def started(patient, start: date) -> Plan:
    """A plan starting on `start`, its clearance approved that day (baseline opens then)."""
    plan = approve(patient, start=start, today=start)
    Clearance.objects.filter(pk=plan.clearance_id).update(decided_at=noon(start, patient.tz))
    return plan


def rows(plan: Plan) -> set[tuple[str, str]]:
    return set(Questionnaire.objects.filter(plan=plan).values_list("visit", "instrument__code"))


def due(patient, code: str, visit: str = "baseline") -> Questionnaire:
    return Questionnaire.objects.get(patient=patient, instrument__code=code, visit=visit)


# --- the schedule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("treatment", [row[0] for row in DEFAULT_TREATMENT_TYPES])
def test_baseline_is_due_at_approval_for_every_treatment_type(dr_cho, treatment):
    start = patients_today()
    patient = make_patient(
        "pat", "Pat", dr_cho, treatment=treatment, procedure_date=start - timedelta(days=90)
    )
    plan = started(patient, start)
    first = services.questionnaires_schedule(now=noon(start))
    assert first.created == 2
    assert rows(plan) == {("baseline", "pain"), ("baseline", "psfs")}  # no PGIC at baseline
    pain = due(patient, "pain")
    assert (pain.opens_on, pain.closes_on) == (start, start + timedelta(days=14))
    assert pain.status == QuestionnaireStatus.DUE
    # Run twice: nothing new.
    assert services.questionnaires_schedule(now=noon(start)).as_dict() == {
        "created": 0,
        "missed": 0,
    }
    assert Questionnaire.objects.count() == 2


def test_every_treatment_type_has_the_default_schedule():
    for treatment_type in TreatmentType.objects.all():
        visits = set(
            ScheduledInstrument.objects.filter(treatment_type=treatment_type).values_list(
                "visit", "instrument__code"
            )
        )
        assert ("baseline", "pain") in visits and ("month_12", "pgic") in visits, treatment_type
        assert len(visits) == 2 + 4 * 3, treatment_type


def test_a_treatment_type_added_later_gets_the_default_schedule_and_staff_changes_stay():
    added = TreatmentType.objects.create(
        name="Spinal cord stimulator", category="minimally_invasive", min_days_to_clearance=14
    )
    assert added.outcome_schedule.count() == 2 + 4 * 3
    added.outcome_schedule.filter(instrument__code="pgic").delete()  # the clinic's choice
    added.name = "Spinal cord stimulator trial"
    added.save()  # a later save does not put the default back
    assert added.outcome_schedule.count() == 2 + 4 * 2


@pytest.mark.parametrize(
    ("visit", "opens"),
    [
        ("week_6", lambda s: s + timedelta(weeks=6)),
        ("month_3", lambda s: date(2027, 4, 30) if s == date(2027, 1, 31) else None),
        ("month_6", lambda s: date(2027, 7, 31)),
        ("month_12", lambda s: date(2028, 1, 31)),
    ],
)
def test_follow_ups_open_after_the_plans_start_for_14_days(ana, visit, opens):
    start = date(2027, 1, 31)  # month ends: 3 months on is 30 April
    plan = approve(ana, start=start, today=start)
    opens_on = opens(start)
    assert services.questionnaires_schedule(now=noon(opens_on - timedelta(days=1))).created == 0
    assert services.questionnaires_schedule(now=noon(opens_on)).created == 3
    assert rows(plan) == {(visit, "pain"), (visit, "psfs"), (visit, "pgic")}
    row = due(ana, "pgic", visit)
    assert (row.opens_on, row.closes_on) == (opens_on, opens_on + timedelta(days=14))
    # The last open day keeps it due; the day after, the pass closes it as missed, once.
    last = opens_on + timedelta(days=13)
    assert services.questionnaires_schedule(now=noon(last)).as_dict() == {
        "created": 0,
        "missed": 0,
    }
    assert services.questionnaires_schedule(now=noon(last + timedelta(days=1))).missed == 3
    assert services.questionnaires_schedule(now=noon(last + timedelta(days=1))).missed == 0
    assert set(Questionnaire.objects.values_list("status", flat=True)) == {"missed"}


def test_a_window_that_ended_before_any_pass_is_not_created(ana):
    """Baseline's window ended 30 days ago, before any pass: only the open 6-week visit is asked."""
    start = patients_today() - timedelta(days=44)
    plan = started(ana, start)
    services.questionnaires_schedule(now=noon(start + timedelta(days=44)))
    assert rows(plan) == {("week_6", "pain"), ("week_6", "psfs"), ("week_6", "pgic")}


def test_windows_follow_the_patients_own_calendar(dr_cho):
    """One UTC moment: already the first day in Auckland, still the day before in Los Angeles."""
    start = patients_today()
    kiwi = make_patient(
        "kiri",
        "Kiri",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=start - timedelta(days=60),
        timezone_name="Pacific/Auckland",
    )
    angeleno = make_patient(
        "lou",
        "Lou",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=start - timedelta(days=60),
        timezone_name="America/Los_Angeles",
    )
    kiwi_plan, lou_plan = (
        approve(kiwi, start=start, today=start),
        approve(angeleno, start=start, today=start),
    )
    opens = start + timedelta(weeks=6)
    moment = datetime.combine(opens, time(0, 30), tzinfo=zoneinfo.ZoneInfo("UTC"))
    services.questionnaires_schedule(now=moment)
    assert ("week_6", "pain") in rows(kiwi_plan)
    assert ("week_6", "pain") not in rows(lou_plan)
    # A day later both are open; 14 days after opening, only Auckland's window has ended.
    services.questionnaires_schedule(now=moment + timedelta(days=1))
    assert ("week_6", "pain") in rows(lou_plan)
    result = services.questionnaires_schedule(now=moment + timedelta(days=14))
    assert result.missed == 3
    assert set(
        Questionnaire.objects.filter(visit="week_6", status="missed").values_list(
            "patient_id", flat=True
        )
    ) == {kiwi.pk}


def test_a_resumed_plan_counts_from_the_first_plans_start(ana):
    """Paused on day 10 and resumed on day 20: the 6-week visit is 6 weeks after the first
    start, its questionnaires stay on the first plan, and baseline is not asked again."""
    start = patients_today()
    first = started(ana, start)
    services.questionnaires_schedule(now=noon(start))
    plan_services.plan_pause(plan=first, actor=ana.clinician, reason="Flare-up; see in clinic.")
    # Still paused on day 10: a paused plan is still the treatment, the pass still runs for it.
    assert services.questionnaires_schedule(now=noon(start + timedelta(days=10))).created == 0
    resumed = plan_services.plan_resume(
        plan=first, actor=ana.clinician, start_minutes=10, today=start + timedelta(days=20)
    )
    assert resumed.restarted_from_id == first.pk and resumed.status == PlanStatus.ACTIVE
    assert services.questionnaires_schedule(now=noon(start + timedelta(days=20))).created == 0
    week_6 = start + timedelta(weeks=6)
    assert services.questionnaires_schedule(now=noon(week_6)).created == 3
    assert not Questionnaire.objects.filter(plan=resumed).exists()
    assert rows(first) == {
        ("baseline", "pain"),
        ("baseline", "psfs"),
        ("week_6", "pain"),
        ("week_6", "psfs"),
        ("week_6", "pgic"),
    }


def test_a_completed_plan_is_asked_nothing(ana_plan):
    Plan.objects.filter(pk=ana_plan.pk).update(status=PlanStatus.COMPLETED)
    assert services.questionnaires_schedule().created == 0


def test_a_clinic_instrument_is_scheduled_only_once_licensed_and_active(ana):
    start = patients_today()
    started(ana, start)
    instrument = Instrument.objects.create(
        code="clinic-q", name="Clinic questionnaire", scoring="sum", direction="higher_worse"
    )
    item = Item.objects.create(instrument=instrument, position=1, text="How is it?")
    Option.objects.create(item=item, position=1, label="Fine", score=0)
    ScheduledInstrument.objects.create(
        treatment_type=ana.treatments.get().treatment_type, instrument=instrument, visit="baseline"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.filter(pk=instrument.pk).update(active=True)
    assert services.questionnaires_schedule(now=noon(start)).created == 2
    Instrument.objects.filter(pk=instrument.pk).update(active=True, licence_held=True)
    # Still being written: an item without options is nothing a patient could answer.
    unfinished = Item.objects.create(instrument=instrument, position=2, text="And now?")
    assert services.questionnaires_schedule(now=noon(start)).created == 0
    Option.objects.create(item=unfinished, position=1, label="Fine", score=0)
    assert services.questionnaires_schedule(now=noon(start)).created == 1
    assert due(ana, "clinic-q").instrument == instrument


def test_a_percentage_instrument_whose_options_all_score_zero_is_not_asked(ana):
    """Its highest possible sum is 0: no percentage of it exists, so no patient is shown it."""
    start = patients_today()
    started(ana, start)
    instrument = Instrument.objects.create(
        code="clinic-pct",
        name="Clinic percentage",
        scoring="sum_percent",
        direction="higher_worse",
        licence_held=True,
        active=True,
    )
    item = Item.objects.create(instrument=instrument, position=1, text="How is it?")
    Option.objects.create(item=item, position=1, label="Fine", score=0)
    ScheduledInstrument.objects.create(
        treatment_type=ana.treatments.get().treatment_type, instrument=instrument, visit="baseline"
    )
    assert services.questionnaires_schedule(now=noon(start)).created == 2  # pain and PSFS
    Option.objects.create(item=item, position=2, label="Bad", score=3)
    assert services.questionnaires_schedule(now=noon(start)).created == 1
    questionnaire = due(ana, "clinic-pct")
    assert questionnaire.instrument == instrument
    # Staff set every option to 0 after it was asked: refused in words, nothing stored.
    Option.objects.filter(item=item).update(score=0)
    with pytest.raises(DomainError, match="cannot be answered at the moment"):
        services.questionnaire_answer(
            patient=ana,
            questionnaire_id=questionnaire.pk,
            choices={1: item.options.first().pk},
            now=noon(start),
        )
    assert not Response.objects.filter(questionnaire=questionnaire).exists()


def test_the_beat_task_runs_the_pass(ana):
    start = patients_today()
    started(ana, start)
    assert schedule_questionnaires.delay(noon(start).isoformat()).get() == {
        "created": 2,
        "missed": 0,
    }
    assert schedule_questionnaires.delay(noon(start).isoformat()).get()["created"] == 0


# --- answering ------------------------------------------------------------------------------------


@pytest.fixture
def baseline(ana):
    start = patients_today()
    plan = started(ana, start)
    services.questionnaires_schedule(now=noon(start))
    return plan


def pain_choice(score: int) -> dict[int, int]:
    return {1: Option.objects.get(item__instrument__code="pain", score=score).pk}


def test_answering_pain_stores_it_once_scored(ana, baseline):
    pain = due(ana, "pain")
    response = services.questionnaire_answer(
        patient=ana, questionnaire_id=pain.pk, choices=pain_choice(6)
    )
    assert response.score == Decimal("6")
    assert list(response.answers.values_list("position", "value")) == [(1, Decimal("6"))]
    pain.refresh_from_db()
    assert pain.status == QuestionnaireStatus.ANSWERED
    audit = AuditEvent.objects.get(action="questionnaire_answer")
    assert audit.detail == {"instrument": "pain", "visit": "baseline"}  # no answer in it
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=pain.pk, choices=pain_choice(2)
        ),
        "You have answered this questionnaire already; your answers are kept as you gave them.",
    )
    assert Response.objects.get().score == Decimal("6")


def test_a_missing_or_foreign_answer_stores_nothing(ana, baseline):
    pain = due(ana, "pain")
    refused(
        lambda: services.questionnaire_answer(patient=ana, questionnaire_id=pain.pk, choices={}),
        "Please choose one answer.",
        "item_1",
    )
    pgic_option = Option.objects.filter(item__instrument__code="pgic").first()
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=pain.pk, choices={1: pgic_option.pk}
        ),
        "Please choose one answer.",
        "item_1",
    )
    assert not Response.objects.exists() and not Answer.objects.exists()
    assert due(ana, "pain").status == QuestionnaireStatus.DUE


def test_another_patients_questionnaire_is_not_found(ana, ben, baseline):
    refused(
        lambda: services.questionnaire_answer(
            patient=ben, questionnaire_id=due(ana, "pain").pk, choices=pain_choice(1)
        ),
        "There is no such questionnaire.",
    )


def test_a_closed_questionnaire_cannot_be_answered(ana, baseline):
    pain = due(ana, "pain")
    refused(
        lambda: services.questionnaire_answer(
            patient=ana,
            questionnaire_id=pain.pk,
            choices=pain_choice(1),
            now=noon(pain.closes_on),
        ),
        f"This questionnaire closed after {pain.closes_on - timedelta(days=1):%A %-d %B}.",
    )


def test_psfs_follow_ups_rate_the_activities_named_at_baseline(ana, baseline):
    psfs = due(ana, "psfs")
    refused(
        lambda: services.questionnaire_answer(patient=ana, questionnaire_id=psfs.pk, named=[]),
        "Please name at least one activity and rate it.",
        "activity_1",
    )
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=psfs.pk, named=[("Putting on socks", 3), ("  ", 4)]
        ),
        "Please say what the activity is.",
        "activity_2",
    )
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=psfs.pk, named=[("Putting on socks", 11)]
        ),
        "Choose a number from 0 to 10.",
        "rating_1",
    )
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=psfs.pk, named=[("Walk", 1)] * 6
        ),
        "Name at most 5 activities.",
        "activity_1",
    )
    first = services.questionnaire_answer(
        patient=ana,
        questionnaire_id=psfs.pk,
        named=[("Putting on  socks", 3), ("Carrying shopping home", 4)],
    )
    assert first.score == Decimal("3.5")
    week_6 = baseline.start_date + timedelta(weeks=6)
    services.questionnaires_schedule(now=noon(week_6))
    follow_up = due(ana, "psfs", "week_6")
    assert services.named_activities(follow_up) == ["Putting on socks", "Carrying shopping home"]
    refused(
        lambda: services.questionnaire_answer(
            patient=ana, questionnaire_id=follow_up.pk, ratings=[7], now=noon(week_6)
        ),
        "Please rate every activity.",
        "rating_1",
    )
    later = services.questionnaire_answer(
        patient=ana, questionnaire_id=follow_up.pk, ratings=[7, 6], now=noon(week_6)
    )
    assert later.score == Decimal("6.5")
    assert list(later.answers.values_list("label", "value")) == [
        ("Putting on socks", Decimal("7")),
        ("Carrying shopping home", Decimal("6")),
    ]
    outcome = next(
        o
        for o in selectors.patient_outcomes(clinician=ana.clinician, patient_id=ana.pk)
        if o.instrument.code == "psfs"
    )
    assert outcome.change_words == "better by 3 points, more than the 2 points that matter"


# --- stored once ----------------------------------------------------------------------------------


@pytest.fixture
def answered(ana, baseline) -> Response:
    return services.questionnaire_answer(
        patient=ana, questionnaire_id=due(ana, "pain").pk, choices=pain_choice(5)
    )


def test_responses_and_answers_refuse_update_and_delete(answered):
    answered.score = Decimal("1")
    for row in (answered, answered.answers.get()):
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
    for model in (Response, Answer):
        with pytest.raises(ValueError, match="append-only"):
            model.objects.update(value=0) if model is Answer else model.objects.update(score=0)
        with pytest.raises(ValueError, match="append-only"):
            model.objects.all().delete()
    assert Response.objects.get().score == Decimal("5")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE outcomes_response SET score = 0",
        "DELETE FROM outcomes_response",
        "UPDATE outcomes_answer SET value = 0",
        "DELETE FROM outcomes_answer",
    ],
)
def test_the_database_refuses_raw_rewrites_of_answers(postgres, answered, statement):
    """A trigger on PostgreSQL (migration 0002), as for the audit trail; the embedded SQLite
    default has the models' refusal only, so that `flush` can empty it."""
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Response.objects.get().score == Decimal("5")


def test_a_clinicians_read_is_audited_and_only_for_their_patient(ana, answered, dr_dev):
    outcomes = selectors.patient_outcomes(clinician=ana.clinician, patient_id=ana.pk)
    pain = next(o for o in outcomes if o.instrument.code == "pain")
    assert [s.score for s in pain.scores] == [Decimal("5")]
    assert pain.change is None  # no follow-up yet
    event = AuditEvent.objects.get(action="outcomes_view")
    assert (event.actor, event.patient) == (ana.clinician, ana)
    with pytest.raises(Http404):
        selectors.patient_outcomes(clinician=dr_dev, patient_id=ana.pk)


def test_the_waiting_questionnaire_is_the_first_open_one(ana, baseline, now):
    today = patients_today()
    assert selectors.waiting_questionnaire(ana, today).instrument.code in {"pain", "psfs"}
    assert selectors.waiting_questionnaire(ana, today + timedelta(days=14)) is None
