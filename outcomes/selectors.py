"""Read queries of the outcome measures that pages share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import OuterRef, Subquery

from outcomes import charts, scoring
from outcomes.models import (
    Answer,
    Instrument,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    Visit,
)
from outcomes.words import change_words
from recovery.access import patient_for_clinician
from recovery.audit import audit
from recovery.models import PatientProfile


def waiting_questionnaire(patient: PatientProfile, today: date) -> Questionnaire | None:
    """The patient's first questionnaire open today, if any (one query: /me/'s notice)."""
    return (
        Questionnaire.objects.filter(
            patient=patient,
            status=QuestionnaireStatus.DUE,
            opens_on__lte=today,
            closes_on__gt=today,
        )
        .order_by("opens_on", "id")
        .first()
    )


@dataclass
class Score:
    visit: str
    visit_label: str
    day: date
    score: object
    words: str = ""  # the option chosen, for a categorical instrument ("Much better")


@dataclass
class ActivityChange:
    """PSFS: one activity the patient named, first rating against the latest."""

    name: str
    change: scoring.Change

    @property
    def words(self) -> str:
        return change_words(self.change)


@dataclass
class InstrumentOutcome:
    instrument: Instrument
    scores: list[Score] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # visit labels
    activities: list[ActivityChange] = field(default_factory=list)

    @property
    def categorical(self) -> bool:
        """One item and no minimal important change (PGIC): the answer is read as words; a
        number of its scale would be no score to chart or subtract."""
        instrument = self.instrument
        return (
            instrument.scoring == scoring.Scoring.SINGLE
            and instrument.minimal_important_change is None
        )

    @property
    def baseline(self) -> Score | None:
        return next((s for s in self.scores if s.visit == Visit.BASELINE), None)

    @property
    def chart(self):
        """The scores drawn over time (None for fewer than two, or a categorical instrument)."""
        return charts.score_chart(self, element_id=f"outcome-{self.instrument.pk}-chart")

    @property
    def change_words(self) -> str:
        """The change from baseline in the reader's language ("" when there is none)."""
        change = self.change
        return change_words(change) if change is not None else ""

    @property
    def change(self) -> scoring.Change | None:
        """The latest score against the baseline one, judged by the instrument's MIC."""
        baseline = self.baseline
        if baseline is None or self.scores[-1] is baseline:
            return None
        return scoring.change(
            baseline.score,
            self.scores[-1].score,
            direction=self.instrument.direction,
            mic=self.instrument.minimal_important_change,
        )


def _activity_changes(instrument: Instrument, first, latest) -> list[ActivityChange]:
    """Each activity rated at both, judged by the one-activity MIC (PSFS: 3 points)."""
    before = {a.label: a.value for a in first}
    return [
        ActivityChange(
            answer.label,
            scoring.change(
                before[answer.label],
                answer.value,
                direction=instrument.direction,
                mic=instrument.item_minimal_important_change,
            ),
        )
        for answer in latest
        if answer.label in before
    ]


def record_outcomes(patient: PatientProfile) -> list[InstrumentOutcome]:
    """One patient's answered and missed questionnaires, per instrument: scores over time, the
    change from baseline, missed visits, and (PSFS) each activity's change. One query, a second
    only for a patient-named instrument answered more than once. The caller has selected
    `patient` through recovery.access and audits the read."""
    outcomes: dict[int, InstrumentOutcome] = {}
    answered: dict[int, list[Response]] = {}
    first_option = Answer.objects.filter(
        response__questionnaire=OuterRef("pk"), option__isnull=False
    ).order_by("position")
    questionnaires = (
        Questionnaire.objects.filter(patient=patient)
        .exclude(status=QuestionnaireStatus.DUE)
        .select_related("instrument", "response")
        .annotate(option_words=Subquery(first_option.values("option__label")[:1]))
        .order_by("opens_on", "id")
    )
    for questionnaire in questionnaires:
        outcome = outcomes.setdefault(
            questionnaire.instrument_id, InstrumentOutcome(questionnaire.instrument)
        )
        response = getattr(questionnaire, "response", None)
        if response is None:
            outcome.missed.append(questionnaire.get_visit_display())
            continue
        answered.setdefault(questionnaire.instrument_id, []).append(response)
        outcome.scores.append(
            Score(
                questionnaire.visit,
                questionnaire.get_visit_display(),
                patient.local_date(response.submitted_at),
                response.score,
                questionnaire.option_words or "",
            )
        )
    compared = {
        instrument_id: (responses[0], responses[-1])
        for instrument_id, responses in answered.items()
        if outcomes[instrument_id].instrument.patient_named_items and len(responses) > 1
    }
    if compared:
        answers: dict[int, list[Answer]] = {}
        pairs = [r.pk for pair in compared.values() for r in pair]
        for answer in Answer.objects.filter(response_id__in=pairs).order_by("position"):
            answers.setdefault(answer.response_id, []).append(answer)
        for instrument_id, (first, latest) in compared.items():
            outcomes[instrument_id].activities = _activity_changes(
                outcomes[instrument_id].instrument,
                answers.get(first.pk, []),
                answers.get(latest.pk, []),
            )
    return list(outcomes.values())


def patient_outcomes(*, clinician, patient_id: int, request=None) -> list[InstrumentOutcome]:
    """A clinician's read of one of their patients' answers (404 for anyone else's patient),
    audited ("outcomes_view", naming no answer)."""
    patient = patient_for_clinician(clinician, patient_id)
    outcomes = record_outcomes(patient)
    audit("outcomes_view", actor=clinician, request=request, obj=patient, patient=patient)
    return outcomes
