"""The API and the web pages refuse the same bad input with the same messages, beside the same
fields, and store nothing (DESIGN section 11: every write through the page's own form and
service); and the API keeps the web routes' rate limits, counted together with them."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from api.tokens import device_token_create
from outcomes.models import Response as QuestionnaireResponse
from plans import services as plan_services
from plans.models import Alert, SessionLog, SymptomReport
from tests.support import clinical_snapshot, signed_in

pytestmark = pytest.mark.django_db


def _form_encoded(body: dict) -> dict:
    """The JSON body as the page's form posts it: a tick "on" (or left out), lists as lists."""
    posted = {}
    for name, value in body.items():
        if value is True:
            posted[name] = "on"
        elif value is False or value is None:
            continue
        elif isinstance(value, list):
            posted[name] = [str(v) for v in value]
        else:
            posted[name] = str(value)
    return posted


def _web_errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {
        ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


def _session_cases(plan, today):
    token = str(uuid.uuid4())
    valid = {
        "date": today.isoformat(),
        "activity": "walking",
        "minutes": 20,
        "pain_before": 1,
        "pain": 2,
        "pain_duration": "within_2h",
        "no_red_flags": True,
        "submission_token": token,
    }
    return {
        "nothing at all": {},
        "out of range": {**valid, "minutes": 0, "pain": 11, "pain_before": -1},
        "too many minutes, a day to come": {
            **valid,
            "minutes": 301,
            "date": (today + timedelta(days=1)).isoformat(),
        },
        "before the plan": {**valid, "date": (plan.start_date - timedelta(days=1)).isoformat()},
        "words for numbers": {**valid, "minutes": "twenty", "date": "yesterday"},
        "an activity not allowed": {**valid, "activity": "running", "pain_duration": "forever"},
        "none and a sign": {**valid, "red_flags_same_day": ["numbness"]},
        "warning signs unanswered": {**valid, "no_red_flags": False},
        "notes too long": {**valid, "notes": "x" * 2001},
        "unknown signs and exertion": {
            **valid,
            "no_red_flags": False,
            "red_flags_emergency": ["bogus"],
            "exertion": 5,
        },
        "an exercise not in the programme": {**valid, "exercises_done": [987654]},
        "a lost token": {**valid, "submission_token": "not-a-uuid"},
    }


def test_a_bad_session_gets_the_same_messages_from_the_api_as_from_the_page(ben_plan):
    patient = ben_plan.patient
    today = plan_services.patient_today(patient)
    browser = signed_in(patient)
    before = clinical_snapshot()
    for case, body in _session_cases(ben_plan, today).items():
        cache.clear()
        page = browser.post(reverse("me:session_new"), _form_encoded(body))
        assert page.status_code == 200, case  # the form again, with its messages
        api = browser.post(
            "/api/v1/me/sessions/", json.dumps(body), content_type="application/json"
        )
        assert api.status_code == 400, (case, api.content)
        web = _web_errors(page)
        assert web, case
        assert api.json() == web, case
    assert clinical_snapshot() == before
    assert not SessionLog.objects.filter(plan=ben_plan).exists()


def test_a_paused_plan_refuses_a_session_from_the_api_as_the_page_does(world):
    """Ana's warning sign paused her plan: the page answers 409 and so does the API."""
    today = plan_services.patient_today(world.ana)
    body = {
        "date": today.isoformat(),
        "activity": "walking",
        "minutes": 20,
        "pain_before": 1,
        "pain": 2,
        "pain_duration": "within_2h",
        "no_red_flags": True,
        "submission_token": str(uuid.uuid4()),
    }
    browser = signed_in(world.ana)
    before = clinical_snapshot()
    page = browser.post(reverse("me:session_new"), _form_encoded(body))
    api = browser.post("/api/v1/me/sessions/", json.dumps(body), content_type="application/json")
    assert (page.status_code, api.status_code) == (409, 409)
    assert "non_field_errors" in api.json()
    assert clinical_snapshot() == before


def test_a_resent_session_answers_the_first_one(ben_plan):
    today = plan_services.patient_today(ben_plan.patient)
    body = json.dumps(
        {
            "date": today.isoformat(),
            "activity": "walking",
            "minutes": 20,
            "pain_before": 1,
            "pain": 2,
            "pain_duration": "within_2h",
            "no_red_flags": True,
            "submission_token": str(uuid.uuid4()),
        }
    )
    browser = signed_in(ben_plan.patient)
    first = browser.post("/api/v1/me/sessions/", body, content_type="application/json")
    again = browser.post("/api/v1/me/sessions/", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["session"] == again.json()["session"]
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert SessionLog.objects.filter(plan=ben_plan).count() == 1


def test_a_warning_sign_logged_by_the_api_pauses_the_plan_and_alerts(ben_plan):
    today = plan_services.patient_today(ben_plan.patient)
    body = {
        "date": today.isoformat(),
        "activity": "walking",
        "minutes": 10,
        "pain_before": 1,
        "pain": 3,
        "pain_duration": "within_2h",
        "red_flags_emergency": ["bladder_bowel"],
        "submission_token": str(uuid.uuid4()),
    }
    response = signed_in(ben_plan.patient).post(
        "/api/v1/me/sessions/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["plan_status"] == "paused"
    assert answer["alert"]["tier"] == "emergency"
    assert Alert.objects.get(plan=ben_plan).pk == answer["alert"]["id"]


def test_a_bad_symptom_report_gets_the_same_messages(ben_plan):
    browser = signed_in(ben_plan.patient)
    token = str(uuid.uuid4())
    cases = [
        {},
        {"submission_token": token},
        {"submission_token": token, "no_red_flags": True},
        {"submission_token": token, "no_red_flags": True, "pain_now": 11},
        {"submission_token": token, "no_red_flags": True, "red_flags_same_day": ["fever"]},
    ]
    for body in cases:
        cache.clear()
        page = browser.post(reverse("me:symptom_new"), _form_encoded(body))
        api = browser.post(
            "/api/v1/me/symptoms/", json.dumps(body), content_type="application/json"
        )
        assert api.status_code == 400
        assert api.json() == _web_errors(page), body
    assert not SymptomReport.objects.exists()


def test_bad_reminder_settings_get_the_same_messages(ben_plan):
    browser = signed_in(ben_plan.patient)
    patient = ben_plan.patient
    for body in [
        {},
        {"weekday": 9, "hour": 25, "timezone": "Mars/Olympus_Mons"},
        {"reminders_enabled": True, "weekday": "monday", "hour": 7, "timezone": "UTC+1"},
    ]:
        page = browser.post(reverse("me:settings"), _form_encoded(body))
        api = browser.put("/api/v1/me/settings/", json.dumps(body), content_type="application/json")
        assert api.status_code == 400
        assert api.json() == _web_errors(page), body
    patient.refresh_from_db()
    assert (patient.reminder_weekday, patient.reminder_hour) == (0, 9)


def test_a_bad_questionnaire_answer_gets_the_same_messages(world):
    browser = signed_in(world.ana)
    url = reverse("questionnaires:answer", args=[world.questionnaire.pk])
    api_url = f"/api/v1/me/questionnaires/{world.questionnaire.pk}/"
    for body in [{}, {"item_1": 987654}, {"item_1": "four"}]:
        page = browser.post(url, _form_encoded(body))
        api = browser.post(api_url, json.dumps(body), content_type="application/json")
        assert api.status_code == 400
        assert api.json() == _web_errors(page), body
    assert not QuestionnaireResponse.objects.filter(questionnaire=world.questionnaire).exists()


def test_a_bad_alert_outcome_gets_the_same_messages(world):
    browser = signed_in(world.users["dr_cho"])
    url = reverse("clinic:alert_close", args=[world.alert.pk])
    api_url = f"/api/v1/clinic/alerts/{world.alert.pk}/acknowledge/"
    # (An empty POST is no answer on the page: it shows the form again, unbound.)
    for body in [
        {"note": ""},
        {"outcome": "shrugged"},
        {"outcome": "other"},
        {"outcome": "other", "note": "x" * 1001},
    ]:
        page = browser.post(url, _form_encoded(body))
        api = browser.post(api_url, json.dumps(body), content_type="application/json")
        assert api.status_code == 400
        assert api.json() == _web_errors(page), body
    world.alert.refresh_from_db()
    assert world.alert.acknowledged_at is None
    # Closed once: a second close is refused in words (409), as the page says it.
    assert (
        browser.post(
            api_url, {"outcome": "spoke_advised"}, content_type="application/json"
        ).status_code
        == 200
    )
    again = browser.post(api_url, {"outcome": "spoke_advised"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This alert was already closed."}


@pytest.mark.parametrize("by", ["session", "device token"])
def test_the_api_answers_a_spanish_reader_in_spanish(by, ben_plan):
    """In the language on the account, whatever the phone's Accept-Language says."""
    user = ben_plan.patient.user
    user.language = "es"
    user.save(update_fields=["language"])
    if by == "session":
        client = signed_in(ben_plan.patient)
    else:
        _, raw = device_token_create(user=user, name="Teléfono")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api = client.post(
        "/api/v1/me/sessions/",
        json.dumps({"submission_token": str(uuid.uuid4())}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert api.status_code == 400
    assert api.json()["minutes"] == ["Escriba cuántos minutos hizo ejercicio."]
    assert api["Content-Language"] == "es"


# --- rate limits ----------------------------------------------------------------------------------


def test_logging_is_limited_as_on_the_web_and_counted_with_it(ben_plan):
    cache.clear()
    browser = signed_in(ben_plan.patient)
    for _ in range(20):
        browser.post(reverse("me:session_new"), {})
    answers = [
        browser.post("/api/v1/me/sessions/", "{}", content_type="application/json").status_code
        for _ in range(11)
    ]
    assert answers == [400] * 10 + [429]
    refused = browser.post("/api/v1/me/sessions/", "{}", content_type="application/json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "Please try again in about 10 minutes" in refused.json()["detail"]
    # The page is refused too: one count for both.
    assert browser.post(reverse("me:session_new"), {}).status_code == 429


def test_symptom_reports_are_limited_as_on_the_web(ben_plan):
    cache.clear()
    browser = signed_in(ben_plan.patient)
    answers = [
        browser.post("/api/v1/me/symptoms/", "{}", content_type="application/json").status_code
        for _ in range(31)
    ]
    assert answers == [400] * 30 + [429]
    assert browser.post(reverse("me:symptom_new"), {}).status_code == 429
