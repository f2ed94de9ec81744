"""A Spanish-speaking patient in Chromium at phone width (issue 23): signing in from a Spanish
browser, the dashboard, the emergency page after a warning sign, and a shipped questionnaire,
each with `lang="es"`, checked with axe and photographed at 390 px into test-artifacts/phone (or
the folder SHOTS_DIR names), to be looked at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from outcomes import services as outcome_services
from outcomes.models import Questionnaire
from plans import services as plan_services
from recovery.models import Language
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible, phone_shot
from tests.support import plan_from, url


@pytest.fixture
def spanish_phone(browser, live_server):
    """A phone whose browser asks for Spanish first (the sign-in page follows it)."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="es-US",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_spanish_speaking_patient_reads_her_week_a_warning_and_a_questionnaire(
    spanish_phone, ana
):
    ana.user.language = Language.SPANISH
    ana.user.save(update_fields=["language"])
    plan_from(ana, days_ago=9)
    outcome_services.questionnaires_schedule()
    page = spanish_phone

    page.goto(url("login"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label("Correo electrónico o usuario").fill("ana")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/me/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Semana \d+ de su plan de ejercicio$")
    )
    expect(page.locator("#week-explanation")).to_contain_text("Por qué esta cantidad:")
    expect(page.get_by_role("region", name="Tiene un cuestionario corto pendiente")).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "es-dashboard")

    report, _alert = plan_services.symptom_report_create(patient=ana, red_flags=["chest_breathing"])
    page.goto(url("me:symptom_saved", report_id=report.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Busque ayuda de emergencia ahora")
    expect(
        page.get_by_role(
            "heading",
            level=2,
            name="Llame al 911 o vaya ahora mismo a la sala de emergencias más cercana",
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="Llamar al 911")).to_have_attribute("href", "tel:911")
    expect(page.locator(".saved-summary")).to_contain_text(
        "Dolor en el pecho, falta de aire repentina o tos con sangre"
    )
    assert_accessible(page)
    phone_shot(page, "es-emergency")

    pain = Questionnaire.objects.get(instrument__code="pain")
    page.goto(url("questionnaires:answer", questionnaire_id=pain.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dolor promedio")
    expect(page.get_by_label("0 – Nada de dolor")).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "es-questionnaire")
    page.get_by_role("button", name="Guardar mis respuestas").click()
    expect(page.locator("#id_item_1_error")).to_have_text("Elija una respuesta, por favor.")
