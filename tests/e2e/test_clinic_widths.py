"""Every clinician page at phone, tablet and desktop width: axe clean, nothing cut off
(issue 17). The alert e-mail sends clinicians to these pages, often on a phone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from plans.models import Alert
from recovery.models import PatientProfile
from tests.conftest import make_patient
from tests.e2e.conftest import WIDTHS, assert_accessible, login, screenshot
from tests.support import patients_today, six_good_weeks, stopped_by_a_warning_sign

LONG_NOTE = "Walked to the shop and back, slower on the hill. " * 30


# Buttons, links and table cells whose right edge lies past the right edge of the screen or of a
# scrolling box they are in: what the phone cut off before (triage's actions).
CUT_OFF = """() => {
    const limit = document.documentElement.clientWidth + 0.5;
    return [...document.querySelectorAll('main a, main button, main td, main th')]
        .filter(el => el.getClientRects().length && !el.closest('details:not([open])'))
        .filter(el => {
            const right = el.getBoundingClientRect().right;
            const box = el.closest('.table-responsive');
            return right > limit || (box && right > box.getBoundingClientRect().right + 0.5);
        })
        .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 40));
}"""


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.fixture
def clinic_day(dr_cho):
    """A clinician with an open alert (a warning sign with a note), a long-noted session and a
    patient waiting for clearance."""
    today = patients_today()
    plan = six_good_weeks("cas", "Cas", dr_cho, today)
    stopped_by_a_warning_sign(plan, today)
    waiting = make_patient(
        "wen",
        "Wen",
        dr_cho,
        treatment="Physical therapy / conservative care",
        procedure_date=today - timedelta(days=30),
    )
    return plan.patient, waiting


@pytest.mark.parametrize("width", WIDTHS)
def test_every_clinician_page_is_usable_at(page, clinic_day, width):
    cas, wen = clinic_day
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    for name, path in (
        ("triage", "/clinic/"),
        ("enrol", "/clinic/patients/new/"),
        ("record", f"/clinic/patients/{cas.pk}/"),
        ("clearance", f"/clinic/patients/{wen.pk}/clearance/"),
        ("details", f"/clinic/patients/{cas.pk}/details/"),
        ("alert-close", f"/clinic/alerts/{Alert.objects.get(patient=cas).pk}/close/"),
    ):
        page.goto(path)
        assert not scrolls_sideways(page), f"{name} scrolls sideways at {width} px"
        cut = page.evaluate(CUT_OFF)
        assert cut == [], f"{name} at {width} px cuts off {cut}"
        assert_accessible(page)
        screenshot(page, f"clinic-{name}-{width}")


@pytest.mark.parametrize("width", (390, 1280))
def test_find_a_patient_by_record_number_or_birth_date_and_call_them(page, clinic_day, width):
    cas, _waiting = clinic_day
    PatientProfile.objects.filter(pk=cas.pk).update(
        record_number="MRN-4410", date_of_birth=date(1961, 4, 23), phone="(555) 010-2077"
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    for typed in ("mrn-4410", "04/23/1961"):
        page.get_by_label("Find a patient").fill(typed)
        page.get_by_role("button", name="Search").click()
        results = page.locator("#search-results")
        expect(results).to_contain_text("Search results for")
        expect(results.get_by_role("link", name="Cas Tester")).to_be_visible()
        expect(results).not_to_contain_text("Wen Tester")
    assert_accessible(page)
    screenshot(page, f"clinic-search-{width}")
    results.get_by_role("link", name="Cas Tester").click()
    call = page.locator("#patient-identity").get_by_role("link", name="(555) 010-2077")
    expect(call).to_have_attribute("href", "tel:5550102077")
    assert not scrolls_sideways(page)
