"""What the API's reads say is what the pages show: the same read models, checked against the
database and the web pages' own numbers."""

from __future__ import annotations

import pytest

from plans.models import PlanWeek, SessionLog
from plans.selectors import dashboard
from plans.services import patient_today
from recovery.models import AuditEvent
from tests.support import signed_in, text, with_history

pytestmark = pytest.mark.django_db


def test_this_week_is_the_dashboards(ben_plan):
    client = signed_in(ben_plan.patient)
    body = client.get("/api/v1/me/week/").json()
    board = dashboard(ben_plan, today=patient_today(ben_plan.patient))
    week = board.this_week
    assert body["plan"]["status"] == "active"
    assert body["plan"]["activities"] == [{"value": "walking", "label": "Walking"}]
    assert body["this_week"]["week"] == week.week == 1
    assert body["this_week"]["minutes"] == week.minutes
    assert body["this_week"]["sessions_left"] == board.sessions_left
    assert body["this_week"]["first_day"] == board.week_first_day.isoformat()
    assert body["this_week"]["explanation"] == week.patient_explanation_named
    # The page says the same minutes.
    assert f"{week.minutes} minutes" in text(client.get("/me/"))


def test_a_patient_without_a_plan_sees_where_the_clearance_stands(ana):
    body = signed_in(ana).get("/api/v1/me/week/").json()
    assert body["plan"] is None and body["this_week"] is None
    assert body["clearance"]["status"] == "pending"


def test_a_paused_plan_says_why_in_the_patients_words(world):
    """The pause is said from its stored cause, as /me/ says it, in the reader's language."""
    plan = world.ana.plans.select_related("pause_week").get(status="paused")
    client = signed_in(world.users["ana"])
    body = client.get("/api/v1/me/week/").json()
    assert body["plan"]["pause_reason"] == plan.patient_pause_words != ""
    assert plan.patient_pause_words in text(client.get("/me/"))


def test_the_history_pages_every_week_with_its_sessions(ana):
    plan = with_history(ana, weeks=14)
    client = signed_in(ana)
    first = client.get("/api/v1/me/sessions/").json()
    assert (first["count"], first["pages"], first["next"], first["previous"]) == (15, 2, 2, None)
    second = client.get("/api/v1/me/sessions/?page=2").json()
    weeks = first["weeks"] + second["weeks"]
    assert [w["week"] for w in weeks] == list(range(15, 0, -1))
    logged = {w["week"]: sorted(s["id"] for s in w["sessions"]) for w in weeks}
    for week in PlanWeek.objects.filter(plan=plan):
        stored = sorted(
            SessionLog.objects.filter(plan=plan, week=week.week).values_list("pk", flat=True)
        )
        assert logged[week.week] == stored


def test_triage_and_record_say_what_the_clinic_pages_say(world):
    client = signed_in(world.users["dr_cho"])
    triage = client.get("/api/v1/clinic/triage/").json()
    first = triage["rows"][0]
    assert first["patient_id"] == world.ana.pk
    assert first["reason"]["tier"] == 1
    assert [a["id"] for a in first["alerts"]] == [world.alert.pk]
    assert first["name"] in text(client.get("/clinic/"))

    views = AuditEvent.objects.filter(action="patient_view").count()
    record = client.get(f"/api/v1/clinic/patients/{world.ana.pk}/").json()
    assert AuditEvent.objects.filter(action="patient_view").count() == views + 1
    assert record["plan"]["status"] == "paused"
    plan = world.ana.plans.select_related("pause_week").get(status="paused")
    assert record["plan"]["pause_reason"] == plan.clinician_pause_words != ""
    assert (
        record["alerts"][0]["id"] == world.alert.pk
        and record["alerts"][0]["acknowledged_at"] is None
    )
    assert record["sessions_logged"] == SessionLog.objects.filter(plan__patient=world.ana).count()
    # Dr Dev's triage does not know Ana.
    other = signed_in(world.users["dr_dev"]).get("/api/v1/clinic/triage/").json()
    assert world.ana.pk not in [r["patient_id"] for r in other["rows"] + other["others"]]
