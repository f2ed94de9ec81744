"""A patient corrects one session and deletes another on a phone; the clinician's record shows
the correction with the original and the deletion (issue 17)."""

from __future__ import annotations

from playwright.sync_api import expect

from plans import services
from plans.models import SessionLog
from tests.conftest import approve
from tests.e2e.conftest import assert_accessible, login, screenshot
from tests.support import patients_today

ANSWERS = {"activity": "walking", "pain_before": 1, "pain": 2, "pain_duration": "within_2h"}


def test_correct_and_delete_a_session_then_the_clinician_sees_both(phone_page, page, ana, dr_cho):
    today = patients_today()
    approve(ana, start=today, today=today)
    walk = services.session_log_create(
        patient=ana, day=today, minutes=15, notes="Round the park.", **ANSWERS
    ).log
    extra = services.session_log_create(patient=ana, day=today, minutes=40, **ANSWERS).log

    login(phone_page, "ana")
    phone_page.wait_for_url("**/me/")
    phone_page.goto(f"/me/sessions/{walk.pk}/saved/")
    expect(phone_page.locator("#saved-notes")).to_have_text("Round the park.")
    phone_page.get_by_role("link", name="Correct this session").click()
    phone_page.wait_for_url(f"**/me/sessions/{walk.pk}/edit/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Correct your session")
    expect(phone_page.locator("#id_notes_counter")).to_have_text("15 of 2,000 characters")
    phone_page.get_by_label("Minutes").fill("25")
    phone_page.locator("#id_notes").fill("Round the park twice.")
    expect(phone_page.locator("#id_notes_counter")).to_have_text("21 of 2,000 characters")
    assert_accessible(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "me-correct-phone")
    phone_page.get_by_role("button", name="Save the correction").click()
    phone_page.wait_for_url(f"**/me/sessions/{walk.pk}/saved/")
    expect(phone_page.get_by_role("status").first).to_contain_text("Your correction is saved.")
    expect(phone_page.locator("#saved-notes")).to_have_text("Round the park twice.")
    assert SessionLog.objects.get(pk=walk.pk).minutes == 25

    phone_page.goto(f"/me/sessions/{extra.pk}/saved/")
    phone_page.get_by_role("link", name="Delete it").click()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Delete this session?")
    assert_accessible(phone_page)
    phone_page.get_by_role("button", name="Delete the session").click()
    phone_page.wait_for_url("**/me/sessions/")
    expect(phone_page.get_by_role("status").first).to_contain_text("is deleted")
    assert not SessionLog.objects.filter(pk=extra.pk).exists()

    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{ana.pk}/")
    edited = page.locator(f'[data-log="{walk.pk}"]')
    expect(edited).to_contain_text("Edited")
    expect(edited).to_contain_text("Round the park twice.")
    edited.get_by_text("As first saved").click()
    expect(edited).to_contain_text("Round the park.")
    deleted = page.locator(f'[data-log="{extra.pk}"]')
    expect(deleted).to_contain_text("Deleted by the patient")
    assert_accessible(page)
    screenshot(page, "clinic-record-corrections")
