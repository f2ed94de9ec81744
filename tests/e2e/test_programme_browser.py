"""The home programme in Chromium (issue 22): the patient's page at phone width and as printed,
the log form's "which did you do?", and the clinician tailoring it on its own page.

Each page is checked with axe and photographed into test-artifacts (phone shots into
test-artifacts/phone, or the folder SHOTS_DIR names), to be looked at.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from plans import services as plan_services
from plans.models import Exercise, ProgrammeItem, SessionExercise
from plans.services import ItemDose, patient_today
from tests.e2e.conftest import PHONE, assert_accessible, login, phone_shot, screenshot
from tests.e2e.conftest import PHONE_SHOTS as SHOTS
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


def test_the_record_says_when_nothing_is_left_for_the_patient(phone_page, ana, dr_cho):
    made = ana_with_a_programme(ana)
    # The library retires every exercise Ana was given: the card says so, and names them.
    Exercise.objects.filter(pk__in=[e.pk for e in made.values()]).update(active=False)
    page = phone_page
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{ana.pk}/#programme")
    card = page.locator("#programme")
    expect(card.locator("#programme-empty")).to_have_text(
        "No home exercises for this patient at this stage."
    )
    expect(card.locator("#programme-hidden")).to_contain_text("Pelvic tilt")
    expect(card.locator("#programme-lines")).to_have_count(0)
    expect(card.get_by_role("link", name="Tailor the programme")).to_be_visible()
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SHOTS / "record-programme-card-empty.png"))


@pytest.mark.parametrize("sized_page", [1280, PHONE], indirect=True, ids=lambda w: f"{w}px")
def test_the_clinician_tailors_the_programme_on_its_own_page(sized_page, ana, dr_cho):
    made = ana_with_a_programme(ana)
    page = sized_page
    width = page.width
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    # The record's card: what Ana does now, one line an exercise, and the way to tailor it.
    page.goto(f"/clinic/patients/{ana.pk}/#programme")
    card = page.locator("#programme")
    expect(card).to_contain_text("Tailored by you or a colleague.")
    lines = page.locator("#programme-lines li")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_have_text(
        "Pelvic tilt: 10 repetitions, hold 5 seconds, 1 set, twice a day"
    )
    expect(lines.nth(2)).to_have_text("Bird dog: 8 repetitions, 2 sets, once a day")
    expect(page.locator("#programme-form")).to_have_count(0)
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SHOTS / f"record-programme-card-{width}.png"))

    card.get_by_role("link", name="Tailor the programme").click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/programme/tailor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ana.user.display_name())
    form = page.locator("#programme-form")
    assert_accessible(page)
    screenshot(page, f"programme-tailor-{width}")
    bird = form.locator("fieldset", has_text="Bird dog")
    bird.get_by_label("Repetitions").fill("80")
    form.get_by_role("button", name="Save programme").click()
    expect(page.locator("#programme-errors")).to_contain_text("Nothing was saved")
    expect(page.locator("#programme-form fieldset", has_text="Bird dog")).to_contain_text(
        "Repetitions: at most 50."
    )
    assert page.url.endswith(f"/clinic/patients/{ana.pk}/programme/tailor/")
    assert_accessible(page)
    # The page fits a phone.
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > width)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8)""",
        width,
    )
    assert not wide, wide
    screenshot(page, f"programme-tailor-error-{width}")
    page.locator("#programme-form fieldset", has_text="Bird dog").get_by_label("Repetitions").fill(
        "6"
    )
    page.get_by_role("button", name="Save programme").click()
    page.wait_for_url(re.compile(rf"/clinic/patients/{ana.pk}/#programme$"))
    expect(page.get_by_text("The home programme is saved.")).to_be_visible()
    expect(page.locator("#programme-lines li").nth(2)).to_have_text(
        "Bird dog: 6 repetitions, 2 sets, once a day"
    )
    assert ProgrammeItem.objects.get(exercise=made["bird_dog"]).reps == 6
    if width != PHONE:
        return

    page.goto(f"/clinic/patients/{ana.pk}/programme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Home exercise programme")
    assert_accessible(page)
    phone_shot(page, "clinic-programme")
