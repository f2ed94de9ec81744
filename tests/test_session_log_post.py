"""POST /me/sessions/new/ saves a valid form without reading the plan first: the service reads and
locks it once. These pin that every answer is still the one the page gave when it read the plan
before the save: the refusals, their wording and where they land, and the unavailable page."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from plans.models import PlanStatus, SessionLog
from plans.services import patient_today, plan_pause, session_log_create
from tests.conftest import approve
from tests.support import log_form, signed_in, text, url


def post(patient, data):
    return signed_in(patient).post(url("me:session_new"), data)


def test_an_activity_the_plan_does_not_allow_gets_the_forms_own_message(ana_plan):
    patient = ana_plan.patient
    response = post(patient, log_form(ana_plan, patient_today(patient), activity="running"))
    assert response.status_code == 200
    assert "Choose one of the activities listed." in text(response)
    assert "That activity is not part of your plan yet." not in text(response)
    assert not SessionLog.objects.exists()


def test_a_date_before_the_plan_started_is_refused_beside_the_date(ana_plan):
    patient = ana_plan.patient
    before = ana_plan.start_date - timedelta(days=1)
    response = post(patient, log_form(ana_plan, before))
    body = response.content.decode()
    assert response.status_code == 200
    message = f"Your plan started on {ana_plan.start_date:%-d %B %Y}; pick that day or later."
    assert message in text(response)
    assert 'id="error_1_id_date"' in body
    # Once beside the field and once in the summary, as when the form read the plan itself.
    assert text(response).count(message) == 2
    assert not SessionLog.objects.exists()


def test_a_date_in_the_future_is_refused_with_the_other_mistakes(ana_plan):
    patient = ana_plan.patient
    tomorrow = patient_today(patient) + timedelta(days=1)
    response = post(patient, log_form(ana_plan, tomorrow, minutes="0"))
    assert "The date cannot be in the future." in text(response)
    assert "Enter at least 1 minute." in text(response)
    assert not SessionLog.objects.exists()


def test_a_plan_that_has_not_started_refuses_a_post(ana):
    plan = approve(ana, start=date.today() + timedelta(days=3))
    response = post(ana, log_form(plan, patient_today(ana)))
    assert response.status_code == 409
    assert "Your plan starts on" in text(response)
    assert not SessionLog.objects.exists()


def test_a_post_to_a_paused_plan_gets_the_paused_page(ana_plan, dr_cho):
    plan_pause(plan=ana_plan, actor=dr_cho, reason="Review at clinic.")
    response = post(ana_plan.patient, log_form(ana_plan, patient_today(ana_plan.patient)))
    assert response.status_code == 409
    assert "Your plan is paused" in text(response)
    assert not SessionLog.objects.exists()


def test_a_resubmitted_warning_sign_gets_what_to_do_now_again(ana_plan):
    """The first submission paused the plan; the same form again (a double click) stores
    nothing more and is answered with the first one's page: what to do about the sign."""
    patient = ana_plan.patient
    data = log_form(ana_plan, patient_today(patient), red_flags_same_day=["fever"])
    client = signed_in(patient)
    first = client.post(url("me:session_new"), data)
    again = client.post(url("me:session_new"), data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == f"{first['Location']}?repeat=1"  # the page says it is a repeat
    urgent = client.get(again["Location"])
    assert urgent.templates[0].name == "plans/patient/session_urgent.html"
    assert SessionLog.objects.count() == 1


def test_the_service_finds_the_plan_from_the_signed_in_user(ana_plan):
    patient = ana_plan.patient
    token = uuid.uuid4()
    fields = {
        "day": patient_today(patient),
        "activity": "walking",
        "minutes": 20,
        "submission_token": token,
    }
    first = session_log_create(user=patient.user, **fields)
    again = session_log_create(patient=patient, **fields)
    assert first.created and not again.created
    assert first.log.pk == again.log.pk
    assert first.log.plan == ana_plan
    assert first.log.plan.status == PlanStatus.ACTIVE


@pytest.mark.parametrize("who", [{}, "both"])
def test_the_service_needs_exactly_one_of_patient_and_user(ana_plan, who):
    patient = ana_plan.patient
    owner = {"patient": patient, "user": patient.user} if who == "both" else {}
    with pytest.raises(TypeError):
        session_log_create(**owner, day=patient_today(patient), activity="walking", minutes=20)
