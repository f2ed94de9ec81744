"""The patient's side in Chromium: logging sessions, the weeks that follow, warnings, accessibility.

Moving the clock: the pages read the real clock (the live server runs in a thread of this process).
Patching `timezone.now` there would also age the sign-in session past its expiry, so instead each
test moves the *plan* into the past: its start date and every logged date go back seven days,
which is exactly what a week passing looks like to the product (`one_week_passes`).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from plans.models import Alert, Plan, PlanStatus, SessionLog
from plans.services import patient_today
from tests.e2e.conftest import assert_accessible, login, screenshot
from tests.support import SAVE, add_exercises, log_session, plan_from


def one_week_passes(plan: Plan) -> None:
    """Seven days go by: the plan and its sessions move a week into the past."""
    week = timedelta(days=7)
    Plan.objects.filter(pk=plan.pk).update(start_date=plan.start_date - week)
    plan.start_date -= week
    for log in SessionLog.objects.filter(plan=plan):
        log.date -= week
        log.save(update_fields=["date"])


@pytest.mark.readme_picture
def test_a_good_week_moves_the_next_week_up(page, phone_page, ana):
    add_exercises()
    plan = plan_from(ana, days_ago=6)
    login(page, "ana")
    page.wait_for_url("**/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Week 1 of your plan")
    expect(page.locator(".big-number")).to_contain_text("15 minutes")
    assert_accessible(page)

    for offset in (0, 2, 4):
        log_session(page, day=plan.start_date + timedelta(days=offset), minutes=15, pain=1)
        page.wait_for_url(re.compile(r"/me/sessions/\d+/saved/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Session saved")
    expect(page.get_by_role("heading", name="You're on track")).to_be_visible()
    expect(page.locator("#outlook-heading + p")).to_contain_text("next week adds 10 minutes")
    assert_accessible(page)
    assert SessionLog.objects.filter(plan=plan).count() == 3

    one_week_passes(plan)
    page.goto("/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Week 2 of your plan")
    expect(page.locator(".big-number")).to_contain_text("25 minutes")
    expect(page.locator("#week-explanation")).to_contain_text(
        "This week adds 10 minutes, to 25 minutes per session, because last week you completed "
        "3 of 3 sessions with comfortable pain."
    )
    expect(page.locator("#sessions-done")).to_contain_text("0 of 3")
    expect(page.get_by_role("heading", name="Pelvic tilt")).to_be_visible()
    # The chart is drawn, and its numbers are one click away as a table.
    expect(page.get_by_role("img", name="Minutes per week and pain after exercise")).to_be_visible()
    page.get_by_text("Show the numbers as a table").click()
    expect(
        page.get_by_role("row", name=re.compile(r"^1 15 min × 3 = 45 min 45 min 3 of 3"))
    ).to_be_visible()
    assert_accessible(page)
    screenshot(page, "me-desktop")

    login(phone_page, "ana")
    phone_page.wait_for_url("**/me/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Week 2 of your plan")
    # Nothing sideways at phone width: the page is no wider than the screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone_page)
    screenshot(phone_page, "me-phone")  # the README's picture: `make screenshots` copies it


def test_a_week_with_sharp_pain_lowers_the_next_week(page, ana):
    plan = plan_from(ana, days_ago=6)
    login(page, "ana")
    page.wait_for_url("**/me/")
    log_session(page, day=plan.start_date, minutes=15, pain=2)
    log_session(page, day=plan.start_date + timedelta(days=2), minutes=15, pain=3, sharp=True)
    page.wait_for_url(re.compile(r"/saved/$"))
    expect(page.get_by_role("heading", name="We'll lower next week")).to_be_visible()
    expect(page.get_by_text("next week eases back to 10 minutes")).to_be_visible()

    one_week_passes(plan)
    page.goto("/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Week 2 of your plan")
    expect(page.locator(".big-number")).to_contain_text("10 minutes")
    expect(page.locator("#week-explanation")).to_contain_text(
        "This week eases back from 15 to 10 minutes because last week you reported sharp pain "
        "during or after exercise."
    )


@pytest.mark.parametrize(
    ("flag", "tier", "instruction"),
    [
        (
            "New numbness in an arm, leg, hand or foot (numbness around the scar is expected)",
            "same_day",
            "Stop exercising and call your care team today",
        ),
        (
            "New numbness or weakness in both legs",
            "emergency",
            "Call 911 or go to the nearest emergency department now",
        ),
    ],
    ids=["same-day", "emergency"],
)
def test_a_red_flag_shows_the_urgent_page_and_pauses_the_plan(page, ana, flag, tier, instruction):
    plan = plan_from(ana, days_ago=2)
    login(page, "ana")
    page.wait_for_url("**/me/")
    log_session(page, minutes=10, flags=(flag,))
    page.wait_for_url(re.compile(r"/saved/$"))
    expect(page.get_by_role("heading", level=2, name=instruction)).to_be_visible()
    expect(page.locator(".saved-summary")).to_contain_text(flag)
    if tier == "same_day":
        expect(page.get_by_role("link", name="Call (555) 010-2030")).to_have_attribute(
            "href", "tel:5550102030"
        )
    assert_accessible(page)
    assert Alert.objects.get(plan=plan).tier == tier

    page.goto("/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your plan is paused")
    expect(page.get_by_role("heading", level=2, name=instruction)).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=flag).first).to_be_visible()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    assert_accessible(page)


def test_a_bad_form_keeps_what_was_typed_and_stores_nothing(page, ana):
    plan_from(ana, days_ago=3)
    tomorrow = patient_today(ana) + timedelta(days=1)
    login(page, "ana")
    page.wait_for_url("**/me/")
    log_session(page, day=tomorrow, minutes=0, pain=4, notes="Knee felt odd on the stairs")

    expect(page.get_by_role("heading", name="Please check your answers")).to_be_visible()
    # Focus moves to the summary, so a screen reader hears it first.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    date_field = page.get_by_label("Date of the session")
    minutes_field = page.get_by_label("How many minutes did you exercise?")
    expect(date_field).to_have_value(tomorrow.isoformat())
    expect(minutes_field).to_have_value("0")
    expect(page.get_by_label("Pain after exercise, from 0 to 10")).to_have_value("4")
    expect(page.get_by_label("Anything else your care team should know? (optional)")).to_have_value(
        "Knee felt odd on the stairs"
    )
    expect(date_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#div_id_date")).to_contain_text("The date cannot be in the future.")
    expect(page.locator("#div_id_minutes")).to_contain_text("Enter at least 1 minute.")
    assert SessionLog.objects.count() == 0
    assert_accessible(page)

    # The summary's link takes the patient to the field.
    page.get_by_role("link", name="How many minutes did you exercise?").click()
    expect(minutes_field).to_be_focused()
    date_field.fill(patient_today(ana).isoformat())
    minutes_field.fill("15")
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url(re.compile(r"/saved/$"))
    log = SessionLog.objects.get()
    assert (log.minutes, log.pain, log.notes) == (15, 4, "Knee felt odd on the stairs")


def test_a_double_click_stores_the_session_once(page, ana):
    plan_from(ana, days_ago=1)
    login(page, "ana")
    page.wait_for_url("**/me/")
    page.goto("/me/sessions/new/")
    page.get_by_label("Walking", exact=True).check()
    page.get_by_label("Pain before exercise, from 0 to 10").fill("1")
    page.get_by_label("Pain after exercise, from 0 to 10").fill("2")
    page.get_by_label("Gone within 2 hours", exact=True).check()
    page.get_by_label("None of these", exact=True).check()
    page.get_by_role("button", name=SAVE).dblclick()
    page.wait_for_url(re.compile(r"/saved/$"))
    assert SessionLog.objects.count() == 1


def test_every_patient_page_passes_axe(page, ana):
    login(page, "ana")
    page.wait_for_url("**/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your exercise clearance")
    assert_accessible(page)
    screenshot(page, "me-pending")

    add_exercises()
    plan = plan_from(ana, days_ago=9)
    SessionLog.objects.create(
        plan=plan, date=plan.start_date, week=1, activity="walking", minutes=15, pain=3
    )
    for path, heading in (
        ("/me/", "Week 2 of your plan"),
        ("/me/sessions/new/", "Log a session"),
        ("/me/sessions/", "Your history"),
        ("/me/settings/", "Weekly reminders"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)


def test_at_200_percent_zoom_nothing_scrolls_sideways(browser, live_server, ana):
    """200 % zoom on a 1280-pixel screen is a 640-pixel layout at twice the size."""
    add_exercises()
    plan_from(ana, days_ago=9)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 640, "height": 450}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        login(page, "ana")
        page.wait_for_url("**/me/")
        for path in ("/me/", "/me/sessions/new/", "/me/sessions/", "/me/settings/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 640, path
    finally:
        context.close()


def test_a_first_save_keeps_the_clinics_time_zone_on_a_utc_device(browser, live_server, ana):
    """The probe's patient saved reminders from a device on UTC: the clinic's America/New_York
    was replaced without a word. The clinic's zone now stays unless the patient picks another."""
    context = browser.new_context(base_url=live_server.url, timezone_id="UTC")
    page = context.new_page()
    try:
        login(page, "ana")
        page.wait_for_url("**/me/")
        page.goto("/me/settings/")
        expect(page.get_by_label("Your time zone")).to_have_value("America/New_York")
        expect(page.get_by_role("button", name="Use UTC")).to_be_visible()
        page.get_by_role("button", name="Save reminder settings").click()
        expect(page.get_by_text("Your reminder settings are saved.")).to_be_visible()
        ana.refresh_from_db()
        assert ana.timezone == "America/New_York"
    finally:
        context.close()


def test_reminder_settings_offer_the_browsers_time_zone(browser, live_server, ana):
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Berlin")
    page = context.new_page()
    try:
        login(page, "ana")
        page.wait_for_url("**/me/")
        page.goto("/me/settings/")
        zone = page.get_by_label("Your time zone")
        expect(zone).to_have_value("America/New_York")  # the clinic's, until the patient picks
        expect(page.get_by_text("Your device is set to Europe/Berlin.")).to_be_visible()
        page.get_by_role("button", name="Use Europe/Berlin").click()
        expect(zone).to_have_value("Europe/Berlin")
        page.get_by_label("Day of the week").select_option(label="Friday")
        page.get_by_label("Time of day").select_option(label="6 pm (18:00)")
        page.get_by_label("Send me a weekly reminder e-mail").uncheck()
        page.get_by_role("button", name="Save reminder settings").click()
        expect(page.get_by_text("Your reminder settings are saved.")).to_be_visible()
        ana.refresh_from_db()
        assert (ana.timezone, ana.reminder_weekday, ana.reminder_hour) == ("Europe/Berlin", 4, 18)
        assert ana.reminders_enabled is False
        assert_accessible(page)
    finally:
        context.close()

    # Once saved, another device's clock does not change the patient's choice.
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        login(page, "ana")
        page.wait_for_url("**/me/")
        page.goto("/me/settings/")
        expect(page.get_by_label("Your time zone")).to_have_value("Europe/Berlin")
    finally:
        context.close()
