"""The clinician's outcome report (/clinic/outcomes/): per instrument, of the clinician's own
patients with a baseline and a follow-up, how many are better or worse by at least the minimal
important change; its CSV; the same number of queries for 1 patient or 12."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from outcomes import services
from outcomes.models import Instrument, Option, Questionnaire
from plans.models import Plan
from recovery.models import AuditEvent
from tests.conftest import approve, make_patient
from tests.support import patients_today, signed_in, text, url

pytestmark = pytest.mark.django_db
REPORT = "/clinic/outcomes/"


def pain_option(score: int) -> int:
    return Option.objects.get(item__instrument__code="pain", score=score).pk


def pain_at_baseline_and_week_6(patient, before: int, after: int | None) -> None:
    """The patient answers average pain at baseline, then (if `after`) at 6 weeks."""
    services.questionnaires_schedule()
    baseline = Questionnaire.objects.get(patient=patient, visit="baseline", instrument__code="pain")
    services.questionnaire_answer(
        patient=patient, questionnaire_id=baseline.pk, choices={1: pain_option(before)}
    )
    if after is None:
        return
    plan = Plan.objects.get(patient=patient)
    Plan.objects.filter(pk=plan.pk).update(start_date=patients_today() - timedelta(weeks=6))
    services.questionnaires_schedule()
    week_6 = Questionnaire.objects.get(patient=patient, visit="week_6", instrument__code="pain")
    services.questionnaire_answer(
        patient=patient, questionnaire_id=week_6.pk, choices={1: pain_option(after)}
    )


def patient(name: str, clinician):
    person = make_patient(
        name,
        name.title(),
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=patients_today() - timedelta(days=30),
    )
    approve(person, start=patients_today())
    return person


def pain_row(client) -> list[str]:
    rows = list(csv.reader(io.StringIO(client.get(f"{REPORT}?format=csv").content.decode())))
    (row,) = [row for row in rows[1:] if row[0] == "Average pain"]
    return row


def test_better_worse_and_unchanged_count_at_exactly_the_change_that_matters(dr_cho, dr_dev):
    # Average pain: a higher score is worse; the change that matters is 2 points.
    pain_at_baseline_and_week_6(patient("amy", dr_cho), 7, 5)  # 2 better: exactly the MIC
    pain_at_baseline_and_week_6(patient("bob", dr_cho), 7, 6)  # 1 better: less than that
    pain_at_baseline_and_week_6(patient("cal", dr_cho), 3, 5)  # 2 worse: exactly the MIC
    pain_at_baseline_and_week_6(patient("dot", dr_cho), 6, 2)  # 4 better
    pain_at_baseline_and_week_6(patient("eve", dr_cho), 6, None)  # no follow-up: not compared
    pain_at_baseline_and_week_6(patient("fay", dr_dev), 9, 0)  # Dr Dev's, not Dr Cho's

    client = signed_in(dr_cho)
    page = client.get(REPORT)
    assert page.status_code == 200
    words = text(page)
    assert "Average pain" in words and "4 2 (50%) 1 1 (25%)" in words
    assert pain_row(client)[3:] == ["4", "2", "50", "1", "1", "25"]
    assert pain_row(signed_in(dr_dev))[3:] == ["1", "1", "100", "0", "0", "0"]
    assert AuditEvent.objects.filter(action="outcomes_report", actor=dr_cho).count() == 2


def test_only_instruments_asked_at_baseline_with_a_change_that_matters_are_compared(dr_cho):
    names = [
        row[0]
        for row in csv.reader(
            io.StringIO(signed_in(dr_cho).get(f"{REPORT}?format=csv").content.decode())
        )
    ][1:]
    assert names == ["Average pain", "Everyday activities (PSFS)"]  # not PGIC


def test_a_hostile_instrument_name_is_plain_text_in_the_csv(dr_cho):
    Instrument.objects.filter(code="pain").update(name='=HYPERLINK("http://x")')
    rows = list(
        csv.reader(io.StringIO(signed_in(dr_cho).get(f"{REPORT}?format=csv").content.decode()))
    )
    assert rows[1][0].startswith("'=")


def test_only_clinicians_see_the_report(client, ana, dee):
    assert client.get(REPORT).status_code == 302  # to sign in
    assert signed_in(ana).get(REPORT).status_code == 403
    assert signed_in(dee).get(REPORT).status_code == 403


@pytest.mark.parametrize("panel", [1, 12])
def test_the_report_costs_the_same_for_any_panel(dr_cho, panel, django_assert_num_queries):
    for n in range(panel):
        pain_at_baseline_and_week_6(patient(f"p{n:02d}", dr_cho), 7, 4)
    client = signed_in(dr_cho)
    client.get(REPORT)
    # session, user, instruments, the panel's answers, the audit row
    with django_assert_num_queries(5):
        response = client.get(REPORT)
    assert f"{panel} {panel} (100%)" in text(response)


def test_the_clinicians_nav_links_to_the_report(dr_cho):
    assert (
        f'href="{url("outcomes:report")}"'
        in signed_in(dr_cho).get(url("clinic:triage")).content.decode()
    )
