"""The home programme in Chromium (issue 22): the patient's page at phone width and as printed,
the log form's "which did you do?", and the clinician tailoring it on the record.

Each page is checked with axe and photographed into test-artifacts (phone shots into
test-artifacts/phone, or the folder SHOTS_DIR names), to be looked at.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from plans import services as plan_services
from plans.models import Exercise, ProgrammeItem, SessionExercise
from plans.services import ItemDose, patient_today
from tests.e2e.conftest import PHONE_SHOTS as SHOTS
from tests.e2e.conftest import assert_accessible, login, phone_shot, screenshot
from tests.support import add_exercises, plan_from


def ana_with_a_programme(ana):
    plan = plan_from(ana, days_ago=9)
    made = add_exercises()
    Exercise.objects.filter(pk=made["tilt"].pk).update(
        default_sets=1, default_reps=10, default_hold_seconds=5, default_times_per_day=2
    )
    today = patient_today(ana)
    plan_services.clearance_set_precautions(
        clearance=plan.clearance,
        actor=ana.clinician,
        no_bending_until=today + timedelta(days=20),
        lifting_limit_kg=4.5,
        lifting_limit_until=today + timedelta(days=20),
    )
    plan_services.programme_set(
        patient=ana,
        actor=ana.clinician,
        items=[
            ItemDose(made["tilt"].pk, 1, 10, 5, 2, "Morning and evening, before getting up."),
            ItemDose(made["hamstring"].pk, 1, 2, 30, 1),
            ItemDose(made["bird_dog"].pk, 2, 8, None, 1),
        ],
    )
    return made


def test_the_patient_reads_and_prints_the_programme_on_a_phone(phone_page, ana):
    ana_with_a_programme(ana)
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    page.goto("/me/programme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your home exercise programme")
    cards = page.locator(".programme-exercise")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text("10 repetitions, hold 5 seconds, 1 set, twice a day")
    expect(cards.nth(0)).to_contain_text("From your care team: Morning and evening")
    expect(cards.nth(2)).to_contain_text("8 repetitions, 2 sets, once a day")
    expect(page.locator(".precautions")).to_contain_text("No bending, lifting or twisting until")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    expect(page.get_by_role("link", name="Download PDF")).to_have_attribute(
        "href", "/me/programme.pdf"
    )
    assert_accessible(page)
    phone_shot(page, "programme")

    # As printed: no menu, no buttons, the exercises whole.
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("#patient-footer")).to_be_hidden()
    breaks = page.eval_on_selector(".programme-exercise", "e => getComputedStyle(e).breakInside")
    assert breaks == "avoid"
    phone_shot(page, "programme-print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, "programme-print-a4")
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("home-programme-")


def test_the_patient_ticks_what_they_did(phone_page, ana):
    ana_with_a_programme(ana)
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    page.goto("/me/sessions/new/")
    group = page.get_by_role("group", name="Which of your programme exercises did you do?")
    expect(group).to_be_visible()
    group.get_by_label("Pelvic tilt").check()
    group.get_by_label("Bird dog").check()
    page.get_by_role("radio", name="Walking").check()
    page.get_by_label("How many minutes did you exercise?").fill("20")
    page.get_by_label("Pain before exercise, from 0 to 10").fill("1")
    page.get_by_label("Pain after exercise, from 0 to 10").fill("2")
    page.get_by_label("Gone within 2 hours").check()
    page.get_by_label("None of these", exact=False).first.check()
    assert_accessible(page)
    phone_shot(page, "log-programme-ticks")
    page.get_by_role("button", name="Save this session").click()
    page.wait_for_url(re.compile(r"/me/sessions/\d+/saved/"))
    assert set(SessionExercise.objects.values_list("exercise__name", flat=True)) == {
        "Pelvic tilt",
        "Bird dog",
    }


def test_the_clinician_tailors_the_programme_on_the_record(phone_page, ana, dr_cho):
    made = ana_with_a_programme(ana)
    page = phone_page
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{ana.pk}/#programme")
    form = page.locator("#programme-form")
    bird = form.locator("fieldset", has_text="Bird dog")
    bird.get_by_label("Repetitions").fill("80")
    form.get_by_role("button", name="Save programme").click()
    expect(page.locator("#programme-errors")).to_contain_text("Nothing was saved")
    expect(page.locator("#programme-form fieldset", has_text="Bird dog")).to_contain_text(
        "Repetitions: at most 50."
    )
    assert_accessible(page)
    # The programme section fits a phone. (The page as a whole is 10 px too wide at 390 px:
    # the weeks table's current-week row, outside this issue, reported to the lead.)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('#programme *')]
        .filter(e => e.getBoundingClientRect().right > 390)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8)"""
    )
    assert not wide, wide
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#programme").screenshot(path=str(SHOTS / "record-programme-error.png"))
    page.locator("#programme-form fieldset", has_text="Bird dog").get_by_label("Repetitions").fill(
        "6"
    )
    page.get_by_role("button", name="Save programme").click()
    expect(page.get_by_text("The home programme is saved.")).to_be_visible()
    assert ProgrammeItem.objects.get(exercise=made["bird_dog"]).reps == 6

    page.goto(f"/clinic/patients/{ana.pk}/programme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Home exercise programme")
    assert_accessible(page)
    phone_shot(page, "clinic-programme")
