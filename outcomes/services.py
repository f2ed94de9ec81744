"""Writes of the outcome measures: the schedule's pass and a patient's answers. Views, tasks and
commands call these; nothing else writes a questionnaire or a response.

Time: windows are dates on the patient's own calendar (their profile's time zone), as plan weeks
are. A questionnaire is open on [opens_on, closes_on).

Counting from where. A plan paused and resumed is a new Plan row (`restarted_from`), but it is
the same treatment: visits count from the *first* plan's start (and baseline from its clearance's
approval), and questionnaires are kept on that first plan, so the unique (plan, visit,
instrument) row means a resume never asks a visit's questions again nor moves the follow-ups.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from outcomes import scoring
from outcomes.models import (
    NAMED_ITEM_LENGTH,
    NAMED_ITEMS_MAX,
    RATING_MAX,
    Answer,
    Instrument,
    Item,
    Option,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ScheduledInstrument,
    ScoringKind,
    Visit,
)
from plans.models import Plan, PlanStatus
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.models import PatientProfile

logger = logging.getLogger(__name__)

# Each questionnaire is open for this many days from the day its visit comes (DESIGN section 8).
WINDOW_DAYS = 14

# Open plans are asked: a plan paused by a warning sign is still the patient's treatment.
ASKED_STATUSES = (PlanStatus.ACTIVE, PlanStatus.PAUSED)


def visit_opens_on(visit: str, *, approved_on: date, start: date) -> date:
    """The day a visit's questionnaires open: baseline on the day clearance was approved, the
    follow-ups 6 weeks, 3, 6 and 12 calendar months after the (first) plan's start."""
    if visit == Visit.BASELINE:
        return approved_on
    if visit == Visit.WEEK_6:
        return start + timedelta(weeks=6)
    months = {Visit.MONTH_3: 3, Visit.MONTH_6: 6, Visit.MONTH_12: 12}[Visit(visit)]
    return scoring.add_months(start, months)


def first_plans(plans: list[Plan]) -> dict[int, Plan]:
    """Each plan's first plan of the treatment (itself when it was not resumed from another),
    one query per step back through `restarted_from`, with its clearance."""
    firsts = {plan.pk: plan for plan in plans}
    pending = {plan.pk: plan.restarted_from_id for plan in plans if plan.restarted_from_id}
    while pending:
        earlier = Plan.objects.select_related("clearance").in_bulk(set(pending.values()))
        for pk, earlier_pk in list(pending.items()):
            firsts[pk] = earlier[earlier_pk]
            if earlier[earlier_pk].restarted_from_id:
                pending[pk] = earlier[earlier_pk].restarted_from_id
            else:
                del pending[pk]
    return firsts


def answerable_instruments():
    """Active instruments a patient can answer: PSFS (the patient names the items), or at least
    one item and an option for every item. A clinic instrument still being written in the admin
    (an item without options) is not asked yet, rather than shown with nothing to choose."""
    item_without_options = Item.objects.filter(instrument=OuterRef("pk")).exclude(
        Exists(Option.objects.filter(item=OuterRef("pk")))
    )
    # A percentage of the highest possible sum needs a highest sum above 0: an instrument whose
    # options all score 0 (or less) cannot be scored that way, so it is not asked either.
    scores_above_zero = Option.objects.filter(item__instrument=OuterRef("pk"), score__gt=0)
    return Instrument.objects.filter(active=True).filter(
        Q(patient_named_items=True)
        | (Exists(Item.objects.filter(instrument=OuterRef("pk"))) & ~Exists(item_without_options)),
        ~Q(scoring=ScoringKind.SUM_PERCENT) | Exists(scores_above_zero),
    )


@dataclass(frozen=True)
class SchedulePass:
    created: int
    missed: int

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "missed": self.missed}


def questionnaires_schedule(*, now: datetime | None = None) -> SchedulePass:
    """The beat's pass (safe to run twice: the second creates and closes nothing):

    1. for every open plan, a due row for each instrument its treatment type schedules at a
       visit whose window is open today on the patient's calendar. A window that ended before
       any pass saw it is not created (an install upgraded long after a plan began is not
       flooded with missed rows); the unique row makes two passes create one;
    2. a due row whose window has ended on the patient's calendar becomes missed (a conditional
       UPDATE: a row answered meanwhile is left alone).
    """
    now = now or timezone.now()
    plans = list(
        Plan.objects.filter(status__in=ASKED_STATUSES).select_related(
            "patient", "clearance__treatment"
        )
    )
    firsts = first_plans(plans)
    schedule: dict[int, list[tuple[int, str]]] = {}
    for type_id, instrument_id, visit in ScheduledInstrument.objects.filter(
        instrument__in=answerable_instruments()
    ).values_list("treatment_type_id", "instrument_id", "visit"):
        schedule.setdefault(type_id, []).append((instrument_id, visit))
    wanted: dict[tuple[int, str, int], Questionnaire] = {}
    for plan in plans:
        first = firsts[plan.pk]
        patient = plan.patient
        today = patient.local_date(now)
        decided = first.clearance.decided_at
        approved_on = patient.local_date(decided) if decided else first.start_date
        for instrument_id, visit in schedule.get(plan.clearance.treatment.treatment_type_id, []):
            opens = visit_opens_on(visit, approved_on=approved_on, start=first.start_date)
            closes = opens + timedelta(days=WINDOW_DAYS)
            if opens <= today < closes:
                wanted[(first.pk, visit, instrument_id)] = Questionnaire(
                    patient=patient,
                    plan=first,
                    instrument_id=instrument_id,
                    visit=visit,
                    opens_on=opens,
                    closes_on=closes,
                )
    existing = set(
        Questionnaire.objects.filter(plan__in={key[0] for key in wanted}).values_list(
            "plan_id", "visit", "instrument_id"
        )
    )
    new = [row for key, row in wanted.items() if key not in existing]
    # A beat running at the same moment may insert the same rows: the unique constraint keeps one.
    Questionnaire.objects.bulk_create(new, ignore_conflicts=True)

    ending = Questionnaire.objects.filter(
        status=QuestionnaireStatus.DUE, closes_on__lte=(now + timedelta(days=1)).date()
    ).select_related("patient")
    ended = [q.pk for q in ending if q.closes_on <= q.patient.local_date(now)]
    missed = Questionnaire.objects.filter(pk__in=ended, status=QuestionnaireStatus.DUE).update(
        status=QuestionnaireStatus.MISSED, closed_at=now
    )
    if new or missed:
        logger.info(
            "questionnaires scheduled",
            extra={"questionnaires_created": len(new), "questionnaires_missed": missed},
        )
    return SchedulePass(created=len(new), missed=missed)


# --- answering -----------------------------------------------------------------------------------


def named_activities(questionnaire: Questionnaire) -> list[str]:
    """PSFS at a follow-up: the activities the patient named the first time, as they wrote them
    (empty when they have not named any yet: then they name them now)."""
    first = (
        Response.objects.filter(
            questionnaire__plan_id=questionnaire.plan_id,
            instrument_id=questionnaire.instrument_id,
        )
        .order_by("submitted_at", "id")
        .first()
    )
    if first is None:
        return []
    return list(first.answers.order_by("position").values_list("label", flat=True))


def _rating(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RATING_MAX:
        raise DomainError(f"Choose a number from 0 to {RATING_MAX}.", field=field)
    return value


def _named_answers(questionnaire, named, ratings) -> list[Answer]:
    names = named_activities(questionnaire)
    if names:
        ratings = list(ratings or [])
        if len(ratings) != len(names):
            raise DomainError("Please rate every activity.", field="rating_1")
        return [
            Answer(position=n, label=name, value=_rating(rating, f"rating_{n}"))
            for n, (name, rating) in enumerate(zip(names, ratings, strict=True), start=1)
        ]
    named = list(named or [])
    if not named:
        raise DomainError("Please name at least one activity and rate it.", field="activity_1")
    if len(named) > NAMED_ITEMS_MAX:
        raise DomainError(f"Name at most {NAMED_ITEMS_MAX} activities.", field="activity_1")
    answers = []
    for n, (name, rating) in enumerate(named, start=1):
        name = " ".join(str(name or "").split())
        if not name:
            raise DomainError("Please say what the activity is.", field=f"activity_{n}")
        if len(name) > NAMED_ITEM_LENGTH:
            raise DomainError(
                f"Please keep it to {NAMED_ITEM_LENGTH} characters.", field=f"activity_{n}"
            )
        answers.append(Answer(position=n, label=name, value=_rating(rating, f"rating_{n}")))
    return answers


def _chosen_answers(instrument: Instrument, choices) -> tuple[list[Answer], Decimal]:
    """One option for every item; returns the answers and the highest possible sum."""
    choices = dict(choices or {})
    answers, highest = [], Decimal(0)
    for item in instrument.items.prefetch_related("options"):
        options = {option.pk: option for option in item.options.all()}
        field = f"item_{item.position}"
        option = options.get(choices.get(item.position))
        if option is None:
            raise DomainError("Please choose one answer.", field=field)
        highest += max(o.score for o in options.values())
        answers.append(Answer(position=item.position, item=item, option=option, value=option.score))
    if not answers:
        raise DomainError("This questionnaire has no questions yet.")
    return answers, highest


@transaction.atomic
def questionnaire_answer(
    *,
    patient: PatientProfile,
    questionnaire_id: int,
    choices: dict[int, int] | None = None,
    named: list[tuple[str, int]] | None = None,
    ratings: list[int] | None = None,
    now: datetime | None = None,
) -> Response:
    """Store a patient's answers to one of their open questionnaires, once, scored.

    `choices` maps each item's position to the chosen option's id; for a patient-named
    instrument (PSFS) `named` gives the activities and their ratings the first time, `ratings`
    the ratings of those same activities, in order, at a follow-up. Every item is checked
    before anything is stored; a second answer is refused in words.
    """
    now = now or timezone.now()
    try:
        questionnaire = (
            Questionnaire.objects.select_for_update(of=("self",), no_key=True)
            .select_related("instrument")
            .get(pk=questionnaire_id, patient=patient)
        )
    except Questionnaire.DoesNotExist:
        raise DomainError("There is no such questionnaire.") from None
    today = patient.local_date(now)
    if (
        questionnaire.status == QuestionnaireStatus.ANSWERED
        or Response.objects.filter(questionnaire=questionnaire).exists()
    ):
        raise DomainError(
            "You have answered this questionnaire already; your answers are kept as you gave them."
        )
    if questionnaire.status == QuestionnaireStatus.MISSED or today >= questionnaire.closes_on:
        last = questionnaire.closes_on - timedelta(days=1)
        raise DomainError(f"This questionnaire closed after {last:%A %-d %B}.")
    if today < questionnaire.opens_on:
        raise DomainError(f"This questionnaire opens on {questionnaire.opens_on:%A %-d %B}.")

    instrument = questionnaire.instrument
    highest = None
    if instrument.patient_named_items:
        answers = _named_answers(questionnaire, named, ratings)
    else:
        answers, highest = _chosen_answers(instrument, choices)
        if instrument.scoring == ScoringKind.SUM_PERCENT and not highest:
            # Staff changed its options to all 0 after it was scheduled: no percentage exists.
            raise DomainError(
                "This questionnaire cannot be answered at the moment. Please try again later."
            )
    score = scoring.score(instrument.scoring, [a.value for a in answers], max_total=highest or None)
    response = Response.objects.create(
        questionnaire=questionnaire,
        patient=patient,
        instrument=instrument,
        score=score,
        submitted_at=now,
        submitted_by=patient.user,
    )
    for answer in answers:
        answer.response = response
    Answer.objects.bulk_create(answers)
    questionnaire.status = QuestionnaireStatus.ANSWERED
    questionnaire.closed_at = now
    questionnaire.save(update_fields=["status", "closed_at"])
    # What was answered stays out of the audit detail: the instrument and visit only.
    audit(
        "questionnaire_answer",
        actor=patient.user,
        obj=response,
        patient=patient,
        instrument=instrument.code,
        visit=questionnaire.visit,
    )
    return response
