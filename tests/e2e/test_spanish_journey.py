"""The patient journey in Spanish in Chromium at phone width (issue 23): log a normal session, a
red one (the slow-down advice), a warning sign on the log form (the emergency page with "911"),
the home programme (the starter library StepWise ships, in Spanish), a symptom report and the
reminder settings. Every page says `lang="es"`, is checked with axe and photographed at 390 px
into test-artifacts/phone (or SHOTS_DIR), to be looked at. One test: each browser test costs
seconds of CI time."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from plans.demo import load_library
from recovery.models import Language
from tests.e2e.conftest import assert_accessible, login, phone_shot
from tests.support import plan_from

SAVE = "Guardar esta sesión"
NONE = "Ninguna de estas"
EMERGENCY_SIGN = "Dolor en el pecho, falta de aire repentina o tos con sangre"
SAME_DAY_SIGN = "Fiebre o escalofríos"


def spanish(message: str) -> str:
    with translation.override("es"):
        return gettext(message)


def checked_in_spanish(page, name: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_accessible(page)
    phone_shot(page, name)


def log(page, *, pain: int, sign: str | None = None) -> None:
    page.goto("/me/sessions/new/")
    page.get_by_label("Caminar", exact=True).check()
    page.get_by_label("Dolor antes del ejercicio, de 0 a 10").fill("1")
    page.get_by_label("Dolor después del ejercicio, de 0 a 10").fill(str(pain))
    page.get_by_label("Se quitó en menos de 2 horas", exact=True).check()
    page.get_by_label(sign or NONE, exact=True).check()
    page.get_by_role("button", name=SAVE).click()


def test_a_spanish_speaking_patient_logs_reports_and_reads_her_programme(phone_page, ana):
    ana.user.language = Language.SPANISH
    ana.user.save(update_fields=["language"])
    load_library()  # the starter library, stored in English: the programme has lines to read
    plan_from(ana, days_ago=9)
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")

    page.goto("/me/sessions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar una sesión")
    expect(page.get_by_role("group", name="Cómo se sintió")).to_be_visible()
    expect(page.locator("#programme-done")).to_contain_text("Inclinación pélvica")
    checked_in_spanish(page, "es-journey-log-form")

    log(page, pain=2)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sesión guardada")
    expect(page.locator(".saved-summary")).to_contain_text("2 de 10")
    checked_in_spanish(page, "es-journey-saved")

    log(page, pain=8)  # red: above the plan's pain limit, below severe
    expect(page.locator("#pain-advice-heading")).to_have_text(
        spanish("Go gently for the rest of this week")
    )
    expect(page.locator(".pain-advice")).to_contain_text("equipo de atención")
    checked_in_spanish(page, "es-journey-red-session")

    page.goto("/me/programme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Su programa de ejercicios en casa")
    expect(page.locator(".programme-footer")).to_contain_text("llame al 911")
    expect(page.locator(".programme-exercise .dose").first).to_contain_text("al día")
    tilts = page.locator(".programme-exercise").filter(has_text="Inclinación pélvica")
    expect(tilts).to_contain_text("Acuéstese boca arriba con las rodillas dobladas")
    expect(tilts).to_contain_text("Siga respirando todo el tiempo.")
    expect(page.locator("main")).not_to_contain_text("Pelvic tilts")
    checked_in_spanish(page, "es-journey-programme")

    log(page, pain=3, sign=EMERGENCY_SIGN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Busque ayuda de emergencia ahora")
    expect(page.get_by_role("link", name="Llamar al 911")).to_have_attribute("href", "tel:911")
    checked_in_spanish(page, "es-journey-emergency")

    page.goto("/me/symptoms/new/")
    page.get_by_label(SAME_DAY_SIGN, exact=True).check()
    page.get_by_role("button", name="Enviar a mi equipo de atención").click()
    expect(page.locator("main")).to_contain_text(SAME_DAY_SIGN)
    expect(page.locator("main")).not_to_contain_text("Warning sign")
    checked_in_spanish(page, "es-journey-symptom")

    page.goto("/me/settings/")
    page.get_by_label("Día de la semana").select_option(label=spanish("Friday"))
    page.get_by_label("Hora del día").select_option(label="6 p. m. (18:00)")
    page.get_by_role("button", name="Guardar los recordatorios").click()
    expect(page.get_by_text("Su configuración de recordatorios está guardada.")).to_be_visible()
    checked_in_spanish(page, "es-journey-settings")
