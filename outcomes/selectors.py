"""Read queries of the outcome measures that pages share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from outcomes import scoring
from outcomes.models import Instrument, Questionnaire, QuestionnaireStatus, Response, Visit
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


@dataclass
class InstrumentOutcome:
    instrument: Instrument
    scores: list[Score] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # visit labels

    @property
    def change(self) -> scoring.Change | None:
        """The latest score against the baseline one, judged by the instrument's MIC."""
        baseline = next((s for s in self.scores if s.visit == Visit.BASELINE), None)
        if baseline is None or self.scores[-1] is baseline:
            return None
        return scoring.change(
            baseline.score,
            self.scores[-1].score,
            direction=self.instrument.direction,
            mic=self.instrument.minimal_important_change,
        )


def patient_outcomes(*, clinician, patient_id: int, request=None) -> list[InstrumentOutcome]:
    """A clinician's read of one of their patients' answers (404 for anyone else's patient),
    scores over time per instrument with the change from baseline. Every read is audited, as a
    read of the patient record is; the audit names no answer."""
    patient = patient_for_clinician(clinician, patient_id)
    outcomes: dict[int, InstrumentOutcome] = {}
    questionnaires = (
        Questionnaire.objects.filter(patient=patient)
        .exclude(status=QuestionnaireStatus.DUE)
        .select_related("instrument")
        .order_by("opens_on", "id")
    )
    responses = {
        r.questionnaire_id: r
        for r in Response.objects.filter(patient=patient).only(
            "questionnaire_id", "score", "submitted_at"
        )
    }
    for questionnaire in questionnaires:
        outcome = outcomes.setdefault(
            questionnaire.instrument_id, InstrumentOutcome(questionnaire.instrument)
        )
        response = responses.get(questionnaire.pk)
        if response is None:
            outcome.missed.append(questionnaire.get_visit_display())
        else:
            outcome.scores.append(
                Score(
                    questionnaire.visit,
                    questionnaire.get_visit_display(),
                    patient.local_date(response.submitted_at),
                    response.score,
                )
            )
    audit("outcomes_view", actor=clinician, request=request, obj=patient, patient=patient)
    return list(outcomes.values())
