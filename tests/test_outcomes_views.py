"""The patient's questionnaire page (/me/questionnaires/<id>/) and /me/'s notice (DESIGN
sections 5 and 8): one instrument per short page, labels and errors beside the field, nothing
stored on bad input, 404 for another patient's questionnaire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outcomes import services
from outcomes.models import Option, Questionnaire, QuestionnaireStatus, Response
from plans.patient_record import PATIENT_DETAIL_QUERY_BUDGET
from recovery.models import AuditEvent
from tests.support import DASHBOARD_QUERY_BUDGET, patients_today, signed_in, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(ana_plan):
    """Ana's baseline questionnaires (pain, PSFS), open from today."""
    services.questionnaires_schedule()
    return {q.instrument.code: q for q in Questionnaire.objects.filter(patient=ana_plan.patient)}


def page(q: Questionnaire) -> str:
    return url("questionnaires:answer", questionnaire_id=q.pk)


def pain_option(score: int) -> int:
    return Option.objects.get(item__instrument__code="pain", score=score).pk


def test_the_page_is_the_patients_own(client, waiting, ana, ben, dr_cho):
    pain = waiting["pain"]
    assert client.get(page(pain))["Location"].startswith("/accounts/login/")
    assert signed_in(dr_cho).get(page(pain)).status_code == 403
    assert signed_in(ben).get(page(pain)).status_code == 404
    assert signed_in(ben).post(page(pain), {"item_1": pain_option(3)}).status_code == 404
    assert (
        signed_in(ana).get(url("questionnaires:answer", questionnaire_id=987654)).status_code == 404
    )
    assert not Response.objects.exists()


def test_pain_is_one_labelled_question_with_eleven_answers(ana, waiting):
    response = signed_in(ana).get(page(waiting["pain"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        '<legend class="h5">Over the last 7 days, how bad has your back or neck pain been' in body
    )
    assert body.count('type="radio" name="item_1"') == 11
    assert 'for="id_item_1_0">0 – No pain</label>' in body


def test_a_missing_answer_is_said_beside_it_and_nothing_is_stored(ana, waiting):
    response = signed_in(ana).post(page(waiting["pain"]), {})
    assert response.status_code == 400
    words = text(response)
    assert "Please check your answers. Nothing was saved yet." in words
    assert 'id="id_item_1_error">Please choose one answer.' in response.content.decode()
    assert not Response.objects.exists()
    assert Questionnaire.objects.get(pk=waiting["pain"].pk).status == QuestionnaireStatus.DUE


def test_answering_goes_on_to_the_next_then_home(ana, waiting):
    client = signed_in(ana)
    response = client.post(page(waiting["pain"]), {"item_1": pain_option(6)})
    assert response["Location"] == page(waiting["psfs"])
    psfs = client.get(page(waiting["psfs"]))
    assert "Thank you. Your answers are saved. One more:" in text(psfs)
    assert "Activity 1 Activity 1: What is it? Activity 1: How well can you do it today?" in text(
        psfs
    )
    # A rating without its activity, and an activity without its rating: said beside each.
    response = client.post(
        page(waiting["psfs"]), {"activity_1": "Putting on socks", "rating_2": "4"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_rating_1_error">Please say how well you can do it today.' in body
    assert 'id="id_activity_2_error">Please say what the activity is.' in body
    assert 'value="Putting on socks"' in body  # what was typed is kept
    assert Response.objects.count() == 1
    response = client.post(
        page(waiting["psfs"]),
        {
            "activity_1": "Putting on socks",
            "rating_1": "3",
            "activity_2": "Gardening",
            "rating_2": "5",
        },
    )
    assert response["Location"] == url("me:dashboard")
    assert sorted(Response.objects.values_list("instrument__code", "score")) == [
        ("pain", 6),
        ("psfs", 4),
    ]
    # Answered: the page says so, a second POST is refused and changes nothing.
    assert "You have answered this one" in text(client.get(page(waiting["pain"])))
    assert client.post(page(waiting["pain"]), {"item_1": pain_option(1)}).status_code == 409
    assert Response.objects.get(instrument__code="pain").score == 6


def test_psfs_follow_up_asks_about_the_same_activities(ana, waiting, ana_plan):
    client = signed_in(ana)
    client.post(page(waiting["psfs"]), {"activity_1": "Carrying shopping", "rating_1": "2"})
    # Six weeks after the plan's start (the world moves the plan back, not the clock forward).
    start = patients_today() - timedelta(weeks=6)
    type(ana_plan).objects.filter(pk=ana_plan.pk).update(start_date=start)
    services.questionnaires_schedule()
    follow_up = Questionnaire.objects.get(visit="week_6", instrument__code="psfs")
    form = client.get(page(follow_up))
    assert "Carrying shopping: how well can you do it now?" in text(form)
    assert "activity_1" not in form.content.decode()
    assert client.post(page(follow_up), {"rating_1": "6"}).status_code == 302
    assert list(
        Response.objects.get(questionnaire=follow_up).answers.values_list("label", "value")
    ) == [("Carrying shopping", 6)]


def test_a_missed_questionnaire_says_so(ana, waiting):
    services.questionnaires_schedule(now=timezone.now() + timedelta(days=15))
    response = signed_in(ana).get(page(waiting["pain"]))
    assert "This questionnaire was missed" in text(response)


def test_me_says_a_short_questionnaire_is_waiting(ana, ana_plan, django_assert_max_num_queries):
    client = signed_in(ana)
    assert "A short questionnaire is waiting" not in text(client.get(url("me:dashboard")))
    services.questionnaires_schedule()
    client.get(url("me:dashboard"))
    with django_assert_max_num_queries(DASHBOARD_QUERY_BUDGET):
        response = client.get(url("me:dashboard"))
    assert "A short questionnaire is waiting" in text(response)
    first = Questionnaire.objects.order_by("opens_on", "id").first()
    assert f'href="{page(first)}"' in response.content.decode()


# --- the clinician's record -----------------------------------------------------------------------


def test_the_record_shows_scores_the_change_and_missed_visits(
    ana, ana_plan, waiting, dr_cho, django_assert_max_num_queries
):
    client = signed_in(ana)
    client.post(page(waiting["pain"]), {"item_1": pain_option(7)})
    client.post(page(waiting["psfs"]), {"activity_1": "Gardening", "rating_1": "2"})
    start = patients_today() - timedelta(weeks=6)
    type(ana_plan).objects.filter(pk=ana_plan.pk).update(start_date=start)
    services.questionnaires_schedule()
    week_6 = {q.instrument.code: q for q in Questionnaire.objects.filter(visit="week_6")}
    client.post(page(week_6["pain"]), {"item_1": pain_option(3)})
    client.post(page(week_6["psfs"]), {"rating_1": "6"})
    services.questionnaires_schedule(now=timezone.now() + timedelta(days=15))  # PGIC missed

    clinician = signed_in(dr_cho)
    clinician.get(url("clinic:patient", patient_id=ana.pk))  # closes the weeks moved back
    with django_assert_max_num_queries(PATIENT_DETAIL_QUERY_BUDGET):  # a PSFS follow-up: +2
        record = clinician.get(url("clinic:patient", patient_id=ana.pk))
    words = text(record)
    assert "Outcomes" in words
    assert "Since baseline: better by 4 points, more than the 2 points that matter" in words
    assert "Gardening: better by 4 points, more than the 3 points that matter" in words
    assert "Missed: 6 weeks" in words
    # The record's own audit row covers the card's read.
    assert AuditEvent.objects.filter(action="patient_view", actor=dr_cho, patient=ana).exists()
