"""Every API route × every persona (DESIGN section 11; SECURITY-CHECKS.md 9 and 10), signed in
by the browser session and, for the patients, by a device token instead.

- no credentials: 401 (the answer names the Bearer scheme); a bad token: 401;
- the wrong role (a patient on the clinic's endpoints, a clinician on the patient's, staff on
  either): 403, and staff see no clinical data anywhere;
- someone else's questionnaire, patient or alert: 404, never 403 (that would confirm it exists);
- never a 500; a refused request changes nothing (the access matrix's `state()`).

The world is the access matrix's (tests/support.py): Ana (Dr Cho's patient) whose warning sign
paused her plan and left an alert open; Ben (Dr Dev's) with a running plan.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from api.tokens import device_token_create
from plans import services as plan_services
from tests.support import routes, signed_in
from tests.test_access_matrix import state

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "ana", "ben", "dr_cho", "dr_dev", "dee", "root")


def row(anonymous, ana, ben, dr_cho, dr_dev, dee, root) -> dict[str, int]:
    return dict(zip(PERSONAS, (anonymous, ana, ben, dr_cho, dr_dev, dee, root), strict=True))


def patients(ana, ben) -> dict[str, int]:
    return row(401, ana, ben, 403, 403, 403, 403)


def clinicians(dr_cho, dr_dev) -> dict[str, int]:
    return row(401, 403, 403, dr_cho, dr_dev, 403, 403)


# The schema and its docs page describe the API and hold no one's data: open to all.
PUBLIC = row(200, 200, 200, 200, 200, 200, 200)


def session_body(world) -> dict:
    return {
        "date": plan_services.patient_today(world.ben).isoformat(),
        "activity": "walking",
        "minutes": 12,
        "pain_before": 1,
        "pain": 2,
        "pain_duration": "within_2h",
        "no_red_flags": True,
        "submission_token": str(uuid.uuid4()),
    }


# (URL name, method, body) → the answer for each persona. The URLs name Ana's questionnaire, Ana
# (Dr Cho's patient) and Ana's open alert.
MATRIX = [
    ("api:schema", "get", None, PUBLIC),
    ("api:docs", "get", None, PUBLIC),
    ("api:week", "get", None, patients(200, 200)),
    ("api:programme", "get", None, patients(200, 200)),
    ("api:sessions", "get", None, patients(200, 200)),
    # Ana's plan is paused by her warning sign: logging answers 409 and stores nothing.
    ("api:sessions", "post", session_body, patients(409, 201)),
    (
        "api:symptoms",
        "post",
        lambda w: {"no_red_flags": True, "pain_now": 3, "submission_token": str(uuid.uuid4())},
        patients(201, 201),
    ),
    ("api:questionnaires", "get", None, patients(200, 200)),
    ("api:questionnaire", "get", None, patients(200, 404)),
    (
        "api:questionnaire",
        "post",
        lambda w: {"item_1": w.questionnaire.instrument.items.get().options.last().pk},
        patients(201, 404),
    ),
    ("api:settings", "get", None, patients(200, 200)),
    (
        "api:settings",
        "put",
        lambda w: {
            "reminders_enabled": True,
            "weekday": 2,
            "hour": 18,
            "timezone": "Europe/London",
        },
        patients(200, 200),
    ),
    ("api:triage", "get", None, clinicians(200, 200)),
    ("api:patient", "get", None, clinicians(200, 404)),
    (
        "api:alert_acknowledge",
        "post",
        lambda w: {"outcome": "spoke_advised", "note": "Called; advised rest."},
        clinicians(200, 404),
    ),
]
# What an allowed write must change (proof that the refused ones would have).
WRITES = {
    "api:sessions",
    "api:symptoms",
    "api:questionnaire",
    "api:settings",
    "api:alert_acknowledge",
}


def _url(name: str, world) -> str:
    kwargs = {
        "api:questionnaire": {"questionnaire_id": world.questionnaire.pk},
        "api:patient": {"patient_id": world.ana.pk},
        "api:alert_acknowledge": {"alert_id": world.alert.pk},
    }.get(name)
    return reverse(name, kwargs=kwargs)


def test_every_api_route_is_in_the_matrix():
    routed = {key for key in routes() if key.startswith("api:") and key != "api:not_found"}
    assert routed == {name for name, *_ in MATRIX}


def _client(persona: str, world, *, token: bool) -> Client:
    if persona == "anonymous":
        return Client(raise_request_exception=False)
    user = world.users[persona]
    if token:
        _, raw = device_token_create(user=user, name="Test phone")
        return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    client = signed_in(user, raise_request_exception=False, verified=persona in {"dee", "root"})
    return client


def _run(persona: str, world, *, token: bool) -> list[str]:
    client = _client(persona, world, token=token)
    failures = []
    before = state()
    for name, method, body, answers in MATRIX:
        expected = answers[persona]
        url = _url(name, world)
        cache.clear()  # rate-limit counters: each request judged on its own
        with transaction.atomic():
            data = json.dumps(body(world)) if body else None
            kwargs = {"content_type": "application/json"} if data is not None else {}
            response = (
                getattr(client, method)(url, data, **kwargs)
                if data
                else getattr(client, method)(url)
            )
            after = state()
            transaction.set_rollback(True)
        got = response.status_code
        changed = [key for key in before if before[key] != after[key]]
        if got != expected:
            failures.append(f"{method.upper()} {url} as {persona}: got {got}, want {expected}")
        elif got >= 400 and changed:
            failures.append(
                f"{method.upper()} {url} as {persona} was refused but changed {changed}"
            )
        elif got < 300 and method != "get" and name in WRITES and not changed:
            failures.append(f"{method.upper()} {url} as {persona} was allowed but changed nothing")
        if got == 401:
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        if got >= 400:
            assert response["Content-Type"] == "application/json", (url, persona)
        if persona in {"dee", "root"} and got == 200 and name not in {"api:schema", "api:docs"}:
            failures.append(f"staff {persona} read clinical data at {url}")
    assert state() == before
    return failures


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_access_matrix_by_session(persona, world):
    failures = _run(persona, world, token=False)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("persona", ["ana", "ben"])
def test_api_access_matrix_by_device_token(persona, world):
    """A patient's device token reaches exactly what their browser session does."""
    failures = _run(persona, world, token=True)
    assert not failures, "\n".join(failures)


def test_a_bad_token_is_401_even_with_a_session(world):
    """A request that names a token is judged by it: a wrong one is not rescued by a cookie."""
    client = signed_in(world.ben, raise_request_exception=False)
    response = client.get(reverse("api:week"), HTTP_AUTHORIZATION="Bearer sw_not-a-real-token")
    assert response.status_code == 401
    assert "expired or been disconnected" in response.json()["detail"]
