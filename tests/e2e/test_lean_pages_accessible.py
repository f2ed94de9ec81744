"""The pages issue 25 made lean stay accessible (axe: no serious or critical violation) at a
desktop width and at 200 % zoom (a 640 px viewport), with a year of history: the record, the
clearance page and the triage for the clinician; this week and the history for the patient.
Scrolling regions must be reachable by keyboard (axe `scrollable-region-focusable`), and at
phone width nothing may push the record wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recovery.models import User
from tests.conftest import PASSWORD, make_patient
from tests.e2e.conftest import assert_accessible, login, screenshot
from tests.support import patients_today, with_history

YEAR = 52


@pytest.fixture
def a_year(ana, dr_cho):
    """Ana with a year of weeks and sessions; Wen waiting for a clearance decision."""
    with_history(ana, weeks=YEAR)
    wen = make_patient(
        "wen",
        "Wen",
        dr_cho,
        treatment="Physical therapy / conservative care",
        procedure_date=patients_today() - timedelta(days=30),
    )
    return ana, wen


def wider_than_the_window(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)"
    )


@pytest.mark.parametrize("width", [1280, 640])
def test_clinician_pages_with_a_year_of_history(page, a_year, width):
    ana, wen = a_year
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    for name, path in (
        ("triage", "/clinic/"),
        ("record", f"/clinic/patients/{ana.pk}/"),
        ("record-weeks", f"/clinic/patients/{ana.pk}/?kind=weeks"),
        ("clearance", f"/clinic/patients/{wen.pk}/clearance/"),
        ("clearance-decided", f"/clinic/patients/{ana.pk}/clearance/"),
    ):
        page.goto(path)
        assert wider_than_the_window(page) == 0, f"{name} scrolls sideways at {width} px"
        assert_accessible(page)
        screenshot(page, f"lean-{name}-{width}")


@pytest.mark.parametrize("width", [1280, 640])
def test_patient_pages_with_a_year_of_history(page, a_year, width):
    ana, _wen = a_year
    ana.user.set_password(PASSWORD)
    ana.user.save()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "ana")
    page.wait_for_url("**/me/")
    for name, path in (("dashboard", "/me/"), ("history", "/me/sessions/")):
        page.goto(path)
        assert wider_than_the_window(page) == 0, f"{name} scrolls sideways at {width} px"
        assert_accessible(page)
        screenshot(page, f"lean-{name}-{width}")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_record_fits_a_phone(phone_page, a_year, dr_cho, language):
    """The weeks table's current-week row (its "this week" badge) once made the record ~10 px
    wider than a 390 px phone; Spanish has the longer words."""
    ana, _wen = a_year
    User.objects.filter(pk=dr_cho.pk).update(language=language)
    login(phone_page, "drcho")
    phone_page.wait_for_url("**/clinic/")
    phone_page.goto(f"/clinic/patients/{ana.pk}/")
    assert wider_than_the_window(phone_page) == 0
    cut = phone_page.evaluate(
        "[...document.querySelectorAll('#weeks th, #weeks td')]"
        ".filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth)"
        ".length"
    )
    assert cut == 0
    screenshot(phone_page, f"lean-record-390-{language}")
