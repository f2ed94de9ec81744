"""Procedure protocols (issue 18, DESIGN section 7): resume at a level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from plans import services
from plans.models import Plan, PlanWeek
from recovery.models import AuditEvent
from tests.conftest import approve
from tests.record_support import patients_today
from tests.support import refused


@pytest.fixture
def paused_at_30(ana):
    """Ana's plan reached 30 minutes a session before a flare-up paused it."""
    today = patients_today()
    plan = approve(ana, start=today - timedelta(days=14), today=today - timedelta(days=14))
    PlanWeek.objects.create(
        plan=plan, week=2, minutes=30, sessions_per_week=3, decision="progress", reason="-"
    )
    services.plan_pause(plan=plan, actor=ana.clinician, reason="Flare-up reported by phone.")
    return plan


def test_a_plan_resumes_at_any_level_up_to_its_last_prescription(paused_at_30, dr_cho):
    assert services.resume_ceiling(paused_at_30) == 30
    new = services.plan_resume(
        plan=paused_at_30, actor=dr_cho, start_minutes=30, today=patients_today()
    )
    week1 = PlanWeek.objects.get(plan=new, week=1)
    assert (week1.minutes, week1.cause) == (30, "resume")
    event = AuditEvent.objects.get(action="plan_resume")
    assert (event.detail["start_minutes"], event.detail["last_prescription"]) == (30, 30)


@pytest.mark.parametrize("minutes", [9, 31])
def test_outside_the_floor_and_the_last_prescription_is_refused(paused_at_30, dr_cho, minutes):
    refused(
        lambda: services.plan_resume(
            plan=paused_at_30, actor=dr_cho, start_minutes=minutes, today=patients_today()
        ),
        "Restart between 10 and 30 minutes (the last prescription).",
        "start_minutes",
    )


def test_the_resume_form_says_the_range_and_holds_to_it(client, dr_cho, paused_at_30):
    client.force_login(dr_cho)
    patient = paused_at_30.patient
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "From 10 up to 30 minutes, the last prescription." in page
    url = reverse("clinic:plan_action", args=[patient.pk])
    response = client.post(url, {"action": "resume", "resume-start_minutes": "31"})
    assert response.status_code == 400
    assert "Restart at 30 minutes at most" in response.content.decode()
    response = client.post(url, {"action": "resume", "resume-start_minutes": "25"})
    assert response.status_code == 302
    new = Plan.objects.filter(patient=patient).latest("pk")
    assert PlanWeek.objects.get(plan=new, week=1).minutes == 25
