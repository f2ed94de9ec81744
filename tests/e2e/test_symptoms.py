"""Clinical safety v2 in Chromium at phone width: the answered warning list, the pain follow-up,
the advice after a red or severe session, and a symptom reported without a session.

Each page is checked with axe and photographed at 390 px into test-artifacts/phone (or
the folder SHOTS_DIR names), to be looked at.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from plans import services as plan_services
from plans.models import Alert, PainFollowUp, PlanStatus, SessionLog, SymptomReport
from plans.services import patient_today
from tests.e2e.conftest import assert_accessible, login, phone_shot
from tests.support import SAVE, log_session, plan_from


def in_page(page):
    """The page's own content (on a phone the menu is folded away)."""
    return page.get_by_role("main")


def test_a_patient_reports_a_symptom_while_paused(phone_page, ana):
    plan = plan_from(ana, days_ago=9)
    plan_services.plan_pause(plan=plan, actor=ana.clinician, reason="Seen in clinic this week.")
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your plan is paused")
    in_page(page).get_by_role("link", name="report a symptom").click()
    page.wait_for_url("**/me/symptoms/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a symptom")
    # Emergency signs first, then same day, then "None of these".
    legends = page.locator("fieldset.warning-signs legend").all_inner_texts()
    assert legends[1].startswith("Call 911 or go to the nearest emergency department now")
    assert legends[2].startswith("Stop exercising and call your care team today: (555) 010-2030")
    assert_accessible(page)
    phone_shot(page, "symptom-new")

    page.get_by_label("New weakness in an arm or a leg", exact=True).check()
    page.get_by_label("Your pain right now, 0–10 (optional)").fill("6")
    page.get_by_role("button", name="Send to my care team").click()
    page.wait_for_url(re.compile(r"/me/symptoms/\d+/$"))
    expect(
        page.get_by_role("heading", level=2, name="Stop exercising and call your care team today")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Call (555) 010-2030")).to_have_attribute(
        "href", "tel:5550102030"
    )
    expect(page.locator(".saved-summary")).to_contain_text("New weakness in an arm or a leg")
    expect(page.locator(".saved-summary")).to_contain_text("6 out of 10")
    assert_accessible(page)
    phone_shot(page, "symptom-urgent-paused")

    report = SymptomReport.objects.get()
    assert (report.plan_id, report.red_flags, report.pain_now) == (plan.pk, ["weakness"], 6)
    assert Alert.objects.get().symptom_report_id == report.pk
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED


def test_severe_pain_reported_without_a_sign_says_rest(phone_page, ana):
    plan_from(ana, days_ago=3)
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    page.goto("/me/symptoms/new/")
    page.get_by_role("button", name="Send to my care team").click()
    # Nothing answered: both messages, nothing stored.
    expect(page.locator("#warning-signs-error")).to_contain_text(
        "Tick each sign you have, or tick “None of these”."
    )
    assert not SymptomReport.objects.exists()
    assert_accessible(page)
    phone_shot(page, "symptom-refused")
    page.get_by_label("None of these", exact=True).check()
    page.get_by_label("Your pain right now, 0–10 (optional)").fill("9")
    page.get_by_role("button", name="Send to my care team").click()
    page.wait_for_url(re.compile(r"/me/symptoms/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rest until the pain settles")
    expect(page.get_by_text("If it is not easing by tomorrow, or it gets worse")).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "symptom-severe")
    assert Alert.objects.get().kind == "severe_pain"


def test_the_log_form_refuses_an_unanswered_warning_list_and_keeps_what_was_typed(phone_page, ana):
    plan_from(ana, days_ago=3)
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    log_session(
        page,
        minutes=14,
        pain_before=3,
        pain=6,
        lasted="It has not settled yet",
        none_of_these=False,
        notes="Stiff on the stairs",
    )
    expect(page.get_by_role("heading", name="Please check your answers")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    message = "Tick each sign you have, or tick “None of these”."
    expect(page.locator("#warning-signs-error")).to_have_text(re.compile(re.escape(message)))
    expect(page.locator("#warning-signs")).to_have_attribute(
        "aria-describedby", "warning-signs-hint warning-signs-error"
    )
    # Everything typed is still there.
    expect(page.get_by_label("How many minutes did you exercise?")).to_have_value("14")
    expect(page.get_by_label("Pain before exercise, from 0 to 10")).to_have_value("3")
    expect(page.get_by_label("Pain after exercise, from 0 to 10")).to_have_value("6")
    expect(page.get_by_label("It has not settled yet", exact=True)).to_be_checked()
    expect(page.get_by_label("Anything else your care team should know? (optional)")).to_have_value(
        "Stiff on the stairs"
    )
    assert not SessionLog.objects.exists()
    assert_accessible(page)
    phone_shot(page, "log-refused")

    # The summary's link takes the patient to the list's first box.
    page.locator("#error-summary").get_by_role("link", name="Warning signs").click()
    expect(page.locator("#id_red_flags_emergency_0")).to_be_focused()
    page.get_by_label("None of these", exact=True).check()
    page.get_by_role("button", name=SAVE).click()
    page.wait_for_url(re.compile(r"/saved/$"))
    log = SessionLog.objects.get()
    assert (log.minutes, log.pain_before, log.pain, log.pain_duration) == (14, 3, 6, "not_settled")
    assert log.notes == "Stiff on the stairs" and log.red_flags == []


def test_new_and_changed_pages_pass_axe_at_phone_width(phone_page, ana):
    """The log form, the saved page after a red session, /me/ asking yesterday's follow-up, the
    saved page after a severe session."""
    plan = plan_from(ana, days_ago=9)  # week 2, at 15 minutes
    yesterday = patient_today(ana) - timedelta(days=1)
    plan_services.session_log_create(
        patient=ana,
        day=yesterday,
        activity="walking",
        minutes=15,
        pain_before=2,
        pain=4,
        pain_duration="not_settled",
    )
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    question = f"Has the pain from your session on {yesterday:%A %-d %B} settled?"

    page.goto("/me/sessions/new/")
    expect(page.get_by_role("group", name=question)).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "log-form")

    log_session(page, minutes=15, pain_before=2, pain=7)
    page.wait_for_url(re.compile(r"/saved/$"))
    advice = (
        "For the rest of this week keep sessions to 10 minutes, and only once the pain has settled."
    )
    expect(page.get_by_text(advice)).to_be_visible()
    expect(page.get_by_role("heading", name="We'll lower next week")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("normal part of recovery")
    assert_accessible(page)
    phone_shot(page, "saved-red")

    page.goto("/me/")
    expect(page.get_by_role("group", name=question)).to_be_visible()
    expect(page.get_by_text(advice)).to_be_visible()
    assert_accessible(page)
    phone_shot(page, "me-follow-up")

    page.get_by_role("group", name=question).get_by_label("Later that day").check()
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_url("**/me/")
    expect(
        page.get_by_text(f"Your answer is saved with your session on {yesterday:%A %-d %B}.")
    ).to_be_visible()
    expect(page.get_by_role("group", name=question)).to_have_count(0)
    assert PainFollowUp.objects.get().settled == "later"

    log_session(page, minutes=10, pain_before=3, pain=9)
    page.wait_for_url(re.compile(r"/saved/$"))
    expect(page.get_by_role("heading", name="Rest until the pain settles")).to_be_visible()
    expect(page.get_by_role("link", name="(555) 010-2030").first).to_have_attribute(
        "href", "tel:5550102030"
    )
    assert_accessible(page)
    phone_shot(page, "saved-severe")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
