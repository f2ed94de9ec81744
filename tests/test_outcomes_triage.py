"""A follow-up worse than baseline by at least the minimal important change flags the patient in
triage tier 2 (DESIGN section 8), and the record's Outcomes card draws each instrument over time
with a table alternative, PGIC in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outcomes import services
from outcomes.models import Option, Questionnaire
from plans.triage import Tier, clinician_triage
from tests.support import patients_today, signed_in, text, url

pytestmark = pytest.mark.django_db


def option(code: str, score: int) -> int:
    return Option.objects.get(item__instrument__code=code, score=score).pk


def answer(patient, visit: str, code: str, **given):
    questionnaire = Questionnaire.objects.get(patient=patient, visit=visit, instrument__code=code)
    return services.questionnaire_answer(
        patient=patient, questionnaire_id=questionnaire.pk, **given
    )


def move_to(plan, *, weeks: int = 0, months_days: int = 0) -> None:
    """Start the plan that long ago and let the beat create what is due by now."""
    start = patients_today() - timedelta(weeks=weeks, days=months_days)
    type(plan).objects.filter(pk=plan.pk).update(start_date=start)
    services.questionnaires_schedule()


@pytest.fixture
def baseline(ana_plan):
    """Ana answered her baseline: average pain 4, one activity (gardening) at 5."""
    services.questionnaires_schedule()
    patient = ana_plan.patient
    answer(patient, "baseline", "pain", choices={1: option("pain", 4)})
    answer(patient, "baseline", "psfs", named=[("Gardening", 5)])
    move_to(ana_plan, weeks=6)
    return patient


def review_reasons(clinician, patient) -> list[str]:
    triage = clinician_triage(clinician)
    row = next((r for r in triage.rows if r.patient_id == patient.pk), None)
    if row is None:
        return []
    return [f"{r.why} — {r.detail}" for r in (row.reason, *row.also) if r.tier == Tier.REVIEW]


@pytest.mark.parametrize(
    ("pain", "flagged"),
    [(6, True), (7, True), (5, False), (4, False), (1, False)],
    ids=["worse-by-exactly-the-mic", "worse-by-more", "worse-by-less", "same", "better"],
)
def test_pain_worse_by_at_least_two_points_flags_tier_two(baseline, dr_cho, pain, flagged):
    answer(baseline, "week_6", "pain", choices={1: option("pain", pain)})
    reasons = [r for r in review_reasons(dr_cho, baseline) if r.startswith("Average pain")]
    if flagged:
        assert reasons == [
            f"Average pain worse than at baseline — 6 weeks: worse by {pain - 4} points, "
            f"{'as much as' if pain == 6 else 'more than'} the 2 points that matter."
        ]
    else:
        assert reasons == []


def test_psfs_lower_by_the_mic_is_worse(baseline, dr_cho):
    answer(baseline, "week_6", "psfs", ratings=[3])
    assert review_reasons(dr_cho, baseline) == [
        "Everyday activities (PSFS) worse than at baseline — 6 weeks: worse by 2 points, "
        "as much as the 2 points that matter."
    ]


def test_a_later_follow_up_that_is_no_longer_worse_clears_the_flag(baseline, ana_plan, dr_cho):
    answer(baseline, "week_6", "pain", choices={1: option("pain", 8)})
    assert review_reasons(dr_cho, baseline)
    move_to(ana_plan, weeks=14)  # 3 months: the 6-week ones have closed, the next ones are due
    answer(baseline, "month_3", "pain", choices={1: option("pain", 5)})
    assert review_reasons(dr_cho, baseline) == []


def test_pgic_has_no_minimal_important_change_and_never_flags(baseline, dr_cho):
    answer(baseline, "week_6", "pgic", choices={1: option("pgic", 7)})  # very much worse
    assert review_reasons(dr_cho, baseline) == []


def test_only_the_patients_own_clinician_sees_the_flag(baseline, dr_cho, dr_dev):
    answer(baseline, "week_6", "pain", choices={1: option("pain", 9)})
    assert review_reasons(dr_cho, baseline)
    assert all(row.patient_id != baseline.pk for row in clinician_triage(dr_dev).rows)


def test_the_triage_page_shows_the_reason_in_words(baseline, dr_cho):
    answer(baseline, "week_6", "pain", choices={1: option("pain", 9)})
    page = text(signed_in(dr_cho).get(url("clinic:triage")))
    assert "Average pain worse than at baseline" in page


# --- the Outcomes card ------------------------------------------------------------------------


def test_the_card_draws_scores_over_time_with_the_table_beside_it(baseline, dr_cho):
    answer(baseline, "week_6", "pain", choices={1: option("pain", 2)})
    answer(baseline, "week_6", "pgic", choices={1: option("pgic", 2)})
    html = signed_in(dr_cho).get(url("clinic:patient", patient_id=baseline.pk)).content.decode()
    card = html[html.index('id="outcomes"') :]
    # One drawing for pain (two scores); PSFS has one score and PGIC is read in words.
    assert card.count("<svg") == 1
    assert "Average pain over time" in card
    assert "Baseline (at clearance approval) 4, 6 weeks 2" in card  # the drawing's description
    assert "<polyline" in card
    # PGIC's answer is its words, not a number of its scale.
    words = text_of(card)
    assert "6 weeks" in words and "Much better" in words


def test_a_pgic_answer_is_shown_as_words(baseline, dr_cho):
    answer(baseline, "week_6", "pgic", choices={1: option("pgic", 5)})
    html = signed_in(dr_cho).get(url("clinic:patient", patient_id=baseline.pk)).content.decode()
    card = text_of(html[html.index('id="outcomes"') :])
    assert "Answer" in card and "A little worse" in card


def text_of(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_missed_follow_up_is_no_flag(baseline, dr_cho):
    services.questionnaires_schedule(now=timezone.now() + timedelta(days=15))
    assert review_reasons(dr_cho, baseline) == []
