"""Query counts of the API's main reads, pinned, and flat in the length of the history: a patient
with one week of sessions and one with ten cost the same (DESIGN section 13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.tokens import device_token_create
from tests.conftest import make_patient
from tests.support import signed_in, with_history

pytestmark = pytest.mark.django_db

# Statements per request, the browser session's two (session, user) included. The reads are the
# web pages' read models: /me/'s (plan, weeks, this week's sessions, exercises), the history's
# (profile, count, weeks, sessions), the programme's (plan, items, exercises and pictures, its
# audit row), the questionnaires open today (profile, questionnaires).
PATIENT_BUDGETS = {
    "/api/v1/me/week/": 6,
    "/api/v1/me/sessions/": 6,
    "/api/v1/me/programme/": 6,
    "/api/v1/me/questionnaires/": 4,
}
TRIAGE_BUDGET = 7
RECORD_BUDGET = 10  # the record's read model, its audit row, the session and the user


def _count(client, url: str) -> int:
    client.get(url)  # the first request closes weeks; the count is of an ordinary request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return len(queries)


@pytest.fixture
def short_and_long(dr_cho):
    procedure = date.today() - timedelta(days=200)
    short = make_patient(
        "sam", "Sam", dr_cho, treatment="Epidural steroid injection", procedure_date=procedure
    )
    long = make_patient(
        "lou", "Lou", dr_cho, treatment="Epidural steroid injection", procedure_date=procedure
    )
    with_history(short, weeks=1)
    with_history(long, weeks=10)
    return short, long


@pytest.mark.parametrize("url", PATIENT_BUDGETS)
def test_a_patient_read_costs_the_same_for_one_week_and_ten(url, short_and_long):
    counts = [_count(signed_in(patient), url) for patient in short_and_long]
    assert counts == [PATIENT_BUDGETS[url]] * 2


@pytest.mark.parametrize("url", PATIENT_BUDGETS)
def test_a_device_token_costs_one_lookup_instead_of_session_and_user(url, short_and_long):
    _, long = short_and_long
    _, raw = device_token_create(user=long.user, name="Phone")
    phone = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert _count(phone, url) == PATIENT_BUDGETS[url] - 1


def test_the_clinician_reads_cost_the_same_for_one_week_and_ten(short_and_long, dr_cho):
    short, long = short_and_long
    client = signed_in(dr_cho)
    assert _count(client, "/api/v1/clinic/triage/") == TRIAGE_BUDGET
    records = [_count(client, f"/api/v1/clinic/patients/{p.pk}/") for p in (short, long)]
    assert records == [RECORD_BUDGET] * 2
