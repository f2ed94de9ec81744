"""The API against its own OpenAPI schema (DESIGN section 11), with schemathesis: for a patient
(by device token) and for a clinician (by browser session, with its CSRF token), every operation
gets generated requests, valid and not, and every answer must be a documented status with a body
that matches the schema, never a 500. Examples are few (about a minute in all)."""

from __future__ import annotations

import json
import uuid

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from api.tokens import device_token_create
from stepwise.wsgi import application
from tests.support import signed_in

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = hypothesis.settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)


def _schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


SCHEMA = schemathesis.openapi.from_dict(_schema())
SCHEMA.app = application


# Every built-in check runs (no 500; documented status codes, content types, headers and bodies;
# credentials not ignored; other methods refused) except two that judge the input rather than the
# answer: the web forms decide what is valid, with rules a schema cannot say (a session's day
# within the plan, an activity the plan allows, a time zone from the list), so a schema-valid
# body may be refused (400) with the page's own message; and, as on the web, a form reads a tick
# or a page number leniently.
JUDGED_BY_THE_FORMS = [negative_data_rejection, positive_data_acceptance]


@pytest.fixture
def served(settings):
    """The WSGI application called directly, inside the test's transaction: as Django's test
    client does, requests must not close the connection when they end."""
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def patient_auth(served, ben_plan, ana_plan) -> dict:
    """Ben, with a running plan, on his phone. (Ana exists: her records are not his.)"""
    _, raw = device_token_create(user=ben_plan.patient.user, name="Phone")
    return {
        "headers": {"Authorization": f"Bearer {raw}"},
        "cookies": {},
        "skip": JUDGED_BY_THE_FORMS,
    }


@pytest.fixture
def clinician_auth(served, ana_plan, dr_cho) -> dict:
    """Dr Cho in her browser: the session cookie, and the CSRF token a page's script sends."""
    from django.conf import settings

    client = signed_in(dr_cho)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "a" * 32
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: csrf},
        # Schemathesis's probe for ignored credentials cannot take away a session cookie sent
        # this way; tests/test_api_access.py refuses every route without credentials (401).
        "skip": [*JUDGED_BY_THE_FORMS, ignored_auth],
    }


def signed(case, auth: dict) -> dict:
    """Send the case with these credentials instead of those generated from the schema's
    security schemes (an empty Bearer token, an empty session cookie)."""
    if auth["cookies"]:
        case.headers = {
            k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
        }
        case.cookies = {}
    return {"headers": auth["headers"], "cookies": auth["cookies"], "excluded_checks": auth["skip"]}


@SCHEMA.include(tag="patient").parametrize()
@EXAMPLES
def test_the_patient_api_keeps_to_its_schema(case, patient_auth):
    response = case.call_and_validate(**signed(case, patient_auth))
    assert response.status_code not in (401, 403)  # signed in as a patient throughout


@SCHEMA.include(tag="clinician").parametrize()
@EXAMPLES
def test_the_clinician_api_keeps_to_its_schema(case, clinician_auth):
    response = case.call_and_validate(**signed(case, clinician_auth))
    # Signed in as a clinician throughout (a refused CSRF token would be 403).
    assert response.status_code not in (401, 403)


# Generated bodies are seldom ones the forms accept: the answers to accepted writes are checked
# against the schema here, with bodies a phone app would send.
def _call(path: str, method: str, auth: dict, **case) -> int:
    operation = SCHEMA[path][method]
    case = operation.Case(**case)
    response = case.call_and_validate(**signed(case, auth))
    return response.status_code


def test_accepted_patient_writes_answer_as_documented(world, patient_auth, ben_plan):
    from outcomes.models import Questionnaire
    from plans import services as plan_services

    today = plan_services.patient_today(ben_plan.patient).isoformat()
    log = {
        "date": today,
        "activity": "walking",
        "minutes": 12,
        "pain_before": 1,
        "pain": 9,
        "pain_duration": "within_2h",
        "exertion": 13,
        "no_red_flags": True,
        "notes": "Windy.",
        "submission_token": str(uuid.uuid4()),
    }
    sessions = "/api/v1/me/sessions/"
    assert _call(sessions, "POST", patient_auth, body=log) == 201  # severe pain: an alert
    assert _call(sessions, "POST", patient_auth, body=log) == 200  # sent again
    assert _call(sessions, "GET", patient_auth, query={"page": 1}) == 200
    report = {
        "red_flags_same_day": ["fever"],
        "pain_now": 4,
        "submission_token": str(uuid.uuid4()),
    }
    assert _call("/api/v1/me/symptoms/", "POST", patient_auth, body=report) == 201
    assert _call("/api/v1/me/week/", "GET", patient_auth) == 200  # paused by the fever
    settings_body = {"reminders_enabled": False, "weekday": 4, "hour": 7, "timezone": "UTC"}
    assert _call("/api/v1/me/settings/", "PUT", patient_auth, body=settings_body) == 200
    questionnaire = Questionnaire.objects.filter(patient=ben_plan.patient, status="due").first()
    path = "/api/v1/me/questionnaires/{questionnaire_id}/"
    ids = {"questionnaire_id": questionnaire.pk}
    assert _call(path, "GET", patient_auth, path_parameters=ids) == 200
    answers = {"activity_1": "Gardening", "rating_1": "6"}
    assert _call(path, "POST", patient_auth, path_parameters=ids, body=answers) == 201
    assert _call(path, "POST", patient_auth, path_parameters=ids, body=answers) == 409


def test_accepted_clinician_reads_and_writes_answer_as_documented(world, clinician_auth):
    ids = {"patient_id": world.ana.pk}
    assert (
        _call("/api/v1/clinic/patients/{patient_id}/", "GET", clinician_auth, path_parameters=ids)
        == 200
    )
    assert _call("/api/v1/clinic/triage/", "GET", clinician_auth) == 200
    path = "/api/v1/clinic/alerts/{alert_id}/acknowledge/"
    alert = {"alert_id": world.alert.pk}
    body = {"outcome": "other", "note": "Called; she is seeing her GP today."}
    assert _call(path, "POST", clinician_auth, path_parameters=alert, body=body) == 200
    assert _call(path, "POST", clinician_auth, path_parameters=alert, body=body) == 409


def test_the_schema_is_valid_openapi_and_generated_without_a_warning(tmp_path):
    """drf-spectacular's own validation (openapi-spec-validator), failing on any warning: every
    view states its request and response bodies, and every choice set has one name."""
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/me/sessions/" in text and "deviceToken" in text
