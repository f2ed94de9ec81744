"""A lumbar-fusion patient's week at day 20 (issue 18): the precautions card, no water exercise
(the wound is not recorded as healed), the stage-1 core work only, and none of the starter
library's exercises contraindicated after fusion."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from plans import services
from plans.demo import load_library
from tests.conftest import make_patient
from tests.e2e.conftest import assert_accessible, login, screenshot
from tests.support import patients_today


def test_a_fusion_patient_at_day_20_sees_precautions_and_no_water(phone_page, dr_cho):
    load_library()
    today = patients_today()
    patient = make_patient(
        "fay", "Fay", dr_cho, treatment="Lumbar fusion", procedure_date=today - timedelta(days=20)
    )
    clearance = patient.clearances.get()
    kind = clearance.treatment.treatment_type
    services.clearance_approve(
        clearance=clearance,
        actor=dr_cho,
        rules=kind.default_rules(),
        max_stage=1,
        allowed_activities=["walking", "recumbent_bike"],
        start_date=today,
        today=today,
        override_reason="Surgeon reviewed the wound today; healing well ahead.",
    )
    login(phone_page, "fay")
    phone_page.wait_for_url("**/me/")
    card = phone_page.locator("#precautions")
    expect(card).to_contain_text("No bending, lifting or twisting until")
    expect(card).to_contain_text("Lift nothing heavier than 4.5 kg (10 lb)")
    allowed = phone_page.get_by_role("heading", name="What you may do").locator("..")
    expect(allowed).to_contain_text("Recumbent cycling")
    expect(allowed).not_to_contain_text("water")
    expect(phone_page.get_by_role("heading", name="Pelvic tilts")).to_be_visible()
    expect(phone_page.get_by_role("heading", name="Hamstring stretch")).to_be_visible()
    expect(phone_page.get_by_role("heading", name="Modified plank")).to_have_count(0)
    for never in ("Lower-trunk rotation", "Cat-camel", "Knee-to-chest stretch"):
        expect(phone_page.get_by_text(never)).to_have_count(0)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone_page)
    screenshot(phone_page, "me-fusion-day-20-phone")
