"""A plan the engine stopped, shown on every page that says why a plan was paused.

Its sentence is read from its STOP week (plans.wording), joined to the plan where the page loads
it, or (/me/) found among the weeks the page loads anyway: such a plan costs each page exactly the
queries a plan a clinician paused costs, and each reader reads the sentence in their language.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import services as plan_services
from plans.models import PauseCause, Plan, SessionLog
from tests.support import signed_in, text

pytestmark = pytest.mark.django_db


PATIENT_EN = (
    "Week 3 has no exercise because in week 2 you reported an urgent warning sign: your plan is "
    "paused until your care team reviews it."
)
PATIENT_ES = (
    "La semana 3 no incluye ejercicio porque en la semana 2 usted indicó una señal de alarma "
    "urgente: su plan de ejercicio está en pausa hasta que su equipo de atención lo revise."
)
CLINICIAN_EN = "No exercise: an emergency warning sign reported in week 2; paused until reviewed."
TYPED = "Waiting for the MRI results."


def engine_stop(plan: Plan, today: date) -> Plan:
    """A warning sign in week 2 written around the service (as an import would), found by the
    weekly close: the engine stops week 3 and pauses the plan."""
    SessionLog.objects.create(
        plan=plan,
        date=plan.week_bounds(2)[0],
        week=2,
        activity="walking",
        minutes=15,
        red_flags=["saddle_numbness"],
    )
    plan_services.plan_close_weeks(plan=plan, today=today)
    plan.refresh_from_db()
    assert (plan.pause_cause, plan.pause_week.week) == (PauseCause.WEEK_STOP, 3)
    return plan


def counted(client, path: str) -> tuple[int, str]:
    client.get(path)  # the first request after signing in stores the session's clock
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), text(response)


PAGES = {
    "dashboard": lambda plan: ("patient", reverse("me:dashboard")),
    "history": lambda plan: ("patient", reverse("me:history")),
    "clinic patient": lambda plan: ("clinician", reverse("clinic:patient", args=[plan.patient_id])),
    "triage": lambda plan: ("clinician", reverse("clinic:triage")),
}


@pytest.mark.parametrize("page", PAGES)
def test_an_engine_stop_costs_what_a_clinicians_pause_costs(page, ana, ana_plan, ben, ben_plan):
    today = plan_services.patient_today(ana)
    stopped = engine_stop(ana_plan, today)
    paused = plan_services.plan_pause(plan=ben_plan, actor=ben.clinician, reason=TYPED)
    reader, path = PAGES[page](stopped)
    clients = {
        "stopped": signed_in(ana if reader == "patient" else ana.clinician),
        "paused": signed_in(ben if reader == "patient" else ben.clinician),
    }
    paths = {"stopped": path, "paused": PAGES[page](paused)[1]}
    stopped_count, stopped_page = counted(clients["stopped"], paths["stopped"])
    paused_count, paused_page = counted(clients["paused"], paths["paused"])
    assert stopped_count == paused_count
    assert (PATIENT_EN if reader == "patient" else CLINICIAN_EN) in stopped_page
    if page != "triage":
        assert TYPED in paused_page


def test_the_stop_is_read_in_spanish(ana, ana_plan):
    engine_stop(ana_plan, plan_services.patient_today(ana))
    ana.user.language = "es"
    ana.user.save(update_fields=["language"])
    _, page = counted(signed_in(ana), reverse("me:dashboard"))
    assert PATIENT_ES in page
    assert "urgent warning sign" not in page
