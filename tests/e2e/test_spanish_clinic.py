"""The clinician's triage and a patient's record in Spanish, at phone width (issue 23): the page
says lang="es", reads in Spanish, fits the phone and is clean under axe; each is photographed
into test-artifacts/phone/ to be looked at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from recovery.models import Language, User
from tests.conftest import make_patient
from tests.e2e.conftest import assert_accessible, login, phone_shot
from tests.support import patients_today, six_good_weeks, stopped_by_a_warning_sign


@pytest.fixture
def clinic_day_es(dr_cho):
    """Dr Cho reads Spanish: Cas's warning sign is open, Wen waits for clearance."""
    User.objects.filter(pk=dr_cho.pk).update(language=Language.SPANISH)
    today = patients_today()
    plan = six_good_weeks("cas", "Cas", dr_cho, today)
    stopped_by_a_warning_sign(plan, today)
    make_patient(
        "wen",
        "Wen",
        dr_cho,
        treatment="Physical therapy / conservative care",
        procedure_date=today - timedelta(days=30),
    )
    return plan.patient


def test_triage_and_the_record_in_spanish_on_a_phone(phone_page, clinic_day_es):
    page = phone_page
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Quién le necesita ahora")).to_be_visible()
    expect(page.locator("#triage")).to_contain_text("Señal de alarma para el mismo día")
    expect(page.get_by_role("link", name="Cerrar alerta")).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "es-clinic-triage")

    page.goto(f"/clinic/patients/{clinic_day_es.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Alertas abiertas")).to_be_visible()
    expect(page.locator("#plans-heading")).to_contain_text("Planes")
    expect(page.locator("#record-heading")).to_contain_text("Expediente")
    expect(page.locator("#timeline")).to_contain_text("Respuesta al dolor")
    assert_accessible(page)
    phone_shot(page, "es-clinic-record")
