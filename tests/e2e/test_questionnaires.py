"""Outcome questionnaires in Chromium at phone width (DESIGN section 8): /me/'s notice, the pain
question, the PSFS named and rated, and the PGIC at six weeks, each checked with axe and
photographed at 390 px into test-artifacts/phone (or the folder SHOTS_DIR names)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from outcomes import services
from outcomes.models import Option, Questionnaire, Response
from plans.models import Plan
from plans.services import patient_today
from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, phone_shot


def test_a_patient_answers_pain_and_psfs_then_pgic_at_six_weeks(phone_page, ana_plan):
    services.questionnaires_schedule()
    page = phone_page
    login(page, "ana")
    page.wait_for_url("**/me/")
    notice = page.get_by_role("region", name="A short questionnaire is waiting")
    expect(notice).to_be_visible()
    phone_shot(page, "questionnaire-notice")
    notice.get_by_role("link", name="Answer the questionnaire").click()
    page.wait_for_url(re.compile(r"/me/questionnaires/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Average pain")
    assert_accessible(page)
    phone_shot(page, "questionnaire-pain")

    # Nothing chosen: said at the top and beside the question, nothing stored.
    page.get_by_role("button", name="Save my answers").click()
    expect(page.locator("#error-summary")).to_contain_text("Please choose one answer.")
    expect(page.locator("#id_item_1_error")).to_have_text("Please choose one answer.")
    assert not Response.objects.exists()
    assert_accessible(page)
    phone_shot(page, "questionnaire-pain-error")

    page.get_by_label("6", exact=True).check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Everyday activities (PSFS)")
    page.get_by_label("Activity 1: What is it?").fill("Putting on socks")
    page.get_by_label("Activity 1: How well can you do it today?").select_option("3")
    page.get_by_label("Activity 2: What is it? (optional)").fill("Carrying shopping home")
    page.get_by_label("Activity 2: How well can you do it today?").select_option("5")
    assert_accessible(page)
    phone_shot(page, "questionnaire-psfs")
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url("**/me/")
    expect(page.get_by_text("Thank you. Your answers are saved.")).to_be_visible()
    expect(page.get_by_role("region", name="A short questionnaire is waiting")).to_have_count(0)
    assert sorted(Response.objects.values_list("instrument__code", "score")) == [
        ("pain", 6),
        ("psfs", 4),
    ]

    # Six weeks on (the plan is moved back, the clock stays): the same activities, and PGIC.
    Plan.objects.filter(pk=ana_plan.pk).update(
        start_date=patient_today(ana_plan.patient) - timedelta(weeks=6)
    )
    services.questionnaires_schedule()
    pgic = Questionnaire.objects.get(visit="week_6", instrument__code="pgic")
    psfs = Questionnaire.objects.get(visit="week_6", instrument__code="psfs")
    page.goto(f"/me/questionnaires/{psfs.pk}/")
    expect(page.get_by_label("Putting on socks: how well can you do it now?")).to_be_visible()
    page.get_by_label("Putting on socks: how well can you do it now?").select_option("6")
    page.get_by_label("Carrying shopping home: how well can you do it now?").select_option("7")
    assert_accessible(page)
    phone_shot(page, "questionnaire-psfs-follow-up")
    page.get_by_role("button", name="Save my answers").click()

    page.goto(f"/me/questionnaires/{pgic.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How things have changed (PGIC)")
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(7)
    assert_accessible(page)
    phone_shot(page, "questionnaire-pgic")
    page.get_by_label("Much better", exact=True).check()
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url(re.compile(r"/me/(questionnaires/\d+/)?$"))
    assert Response.objects.get(questionnaire=pgic).score == 2
    assert Response.objects.get(questionnaire=psfs).score == 6.5


def test_the_clinician_reads_the_outcomes_card(page, ana_plan):
    """Baseline and six weeks answered (by the services), the PGIC missed: the card on the
    record, at desktop width, axe clean."""
    ana = ana_plan.patient
    services.questionnaires_schedule()
    pain = {o.score: o.pk for o in Option.objects.filter(item__instrument__code="pain")}

    def answer(visit: str, code: str, **answers) -> None:
        q = Questionnaire.objects.get(visit=visit, instrument__code=code)
        services.questionnaire_answer(patient=ana, questionnaire_id=q.pk, **answers)

    answer("baseline", "pain", choices={1: pain[7]})
    answer("baseline", "psfs", named=[("Putting on socks", 3), ("Gardening", 2)])
    start = patient_today(ana) - timedelta(weeks=6)
    Plan.objects.filter(pk=ana_plan.pk).update(start_date=start)
    services.questionnaires_schedule()
    answer("week_6", "pain", choices={1: pain[4]})
    answer("week_6", "psfs", ratings=[6, 4])
    services.questionnaires_schedule(now=timezone.now() + timedelta(days=15))

    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{ana.pk}/")
    card = page.get_by_role("region", name="Outcomes")
    expect(card).to_contain_text("better by 3 points, more than the 2 points that matter")
    expect(card).to_contain_text("Putting on socks: better by 3 points, as much as the 3 points")
    expect(card).to_contain_text("Missed: 6 weeks")
    # Each instrument with two scores is drawn, named for a screen reader, its table beside it.
    expect(card.get_by_role("img", name="Average pain over time")).to_be_visible()
    expect(card.get_by_role("img", name="Everyday activities (PSFS) over time")).to_be_visible()
    assert_accessible(page)
    card.screenshot(path=str(ARTIFACTS / "clinic-outcomes-card.png"))


def test_the_clinicians_outcome_report_at_desktop_phone_and_zoom(page, ana_plan, dr_cho):
    """/clinic/outcomes/ with Ana's baseline and 6-week pain: axe clean at 1280, 640 (200 %
    zoom) and 390 px, nothing scrolling sideways but its table's own region."""
    services.questionnaires_schedule()
    patient = ana_plan.patient
    pain = {o.score: o.pk for o in Option.objects.filter(item__instrument__code="pain")}
    baseline = Questionnaire.objects.get(patient=patient, visit="baseline", instrument__code="pain")
    services.questionnaire_answer(
        patient=patient, questionnaire_id=baseline.pk, choices={1: pain[7]}
    )
    Plan.objects.filter(pk=ana_plan.pk).update(
        start_date=patient_today(patient) - timedelta(weeks=6)
    )
    services.questionnaires_schedule()
    week_6 = Questionnaire.objects.get(patient=patient, visit="week_6", instrument__code="pain")
    services.questionnaire_answer(patient=patient, questionnaire_id=week_6.pk, choices={1: pain[4]})
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.get_by_role("link", name="Outcomes").click()
    page.wait_for_url("**/clinic/outcomes/")
    expect(page.get_by_role("heading", name="Outcomes of your patients")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Average pain"))).to_contain_text("1 (100%)")
    for width in (1280, 640, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        page.screenshot(path=str(ARTIFACTS / f"clinic-outcomes-{width}.png"), full_page=True)
