"""The resume path in Chromium (issue 17): the clinician's record and the patient's history
before and after a warning sign and a resume, at phone, small tablet and desktop width.

Cas logged six good weeks; today's session reports new numbness with a note, which stops the
plan (STOP prescribed for next week). Before the resume the record shows the warning sign and the
note and no future week; Dr Cho resumes at 10 minutes; afterwards the record still holds the
earlier plan's sessions and note, calls that plan "ended by a warning sign" (never "completed")
and narrows to it from its link, and the patient's history lists each plan's weeks once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plans import services
from plans.models import Plan, PlanStatus
from tests.e2e.conftest import (
    ARTIFACTS,
    WIDTHS,
    assert_accessible,
    fits_width,
    login,
    screenshot,
    sign_out,
)
from tests.support import (
    NUMB_NOTE,
    patients_today,
    six_good_weeks,
    stopped_by_a_warning_sign,
)


def nothing_cut_off(page) -> list[str]:
    """Elements of the record whose content is wider than the box that shows it (clipped or
    scrolled away), or that reach past the window's right edge."""
    return page.evaluate(
        """() => {
        const bad = [];
        const width = window.innerWidth;
        for (const el of document.querySelectorAll(
            '#weeks tbody th, #weeks tbody td, #timeline li, #timeline dd, #plans li, '
            + '#open-alerts li, .clinic-page form button, .clinic-page .btn')) {
            const box = el.getBoundingClientRect();
            if (box.width === 0) continue;  // hidden (a closed <details>)
            if (box.right > width + 1 || el.scrollWidth > el.clientWidth + 1) {
                bad.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40));
            }
        }
        return bad;
    }"""
    )


def too_wide(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`)
            .slice(0, 12)"""
    )


def check(page, name: str) -> None:
    assert fits_width(page), (name, too_wide(page))
    assert nothing_cut_off(page) == [], name
    assert_accessible(page)
    screenshot(page, f"record-{name}-{page.width}")
    # The whole page shrinks to a thumbnail when looked at: keep the record's first screen too.
    for part, where in (("screen", "#weeks-heading, .history-plan"), ("timeline", "#timeline")):
        anchor = page.locator(where).first
        if anchor.count():
            anchor.evaluate(
                "el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 8)"
            )
            page.screenshot(path=str(ARTIFACTS / f"record-{name}-{page.width}-{part}.png"))


@pytest.mark.parametrize("sized_page", WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_the_resume_path_in_the_record_and_the_history(sized_page, dr_cho):
    page = sized_page
    plan = six_good_weeks("cas", "Cas", dr_cho, patients_today())
    today = services.patient_today(plan.patient)
    stopped_by_a_warning_sign(plan, today)
    patient = plan.patient

    # The patient's history before the resume: the stopped week ends today, no week after it.
    login(page, "cas")
    page.wait_for_url("**/me/")
    page.goto("/me/sessions/")
    history = page.get_by_role("main")
    expect(history).to_contain_text("Your plan, paused")
    expect(history).not_to_contain_text("Week 8")
    expect(page.locator(f'[data-plan="{plan.pk}"][data-week="7"] .week-dates')).to_contain_text(
        f"{today:%-d %b %Y}"
    )
    expect(page.locator(f'[data-plan="{plan.pk}"][data-week="3"]')).to_contain_text(
        "Week 3 stays at 25 minutes because in week 2 you completed 1 of 3 sessions."
    )
    check(page, "history-before")
    sign_out(page)

    # The clinician's record before the resume.
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{patient.pk}/")
    expect(page.locator("#plan-summary")).to_contain_text("Paused by a warning sign")
    expect(page.locator("#timeline")).to_contain_text(NUMB_NOTE)
    expect(page.locator("#weeks")).to_contain_text(
        "Stays at 25 minutes: completed 1 of 3 sessions in week 2"
    )
    expect(page.locator("#weeks")).not_to_contain_text("none (stopped)")
    expect(page.get_by_role("button", name="Resume plan")).to_be_visible()
    check(page, "clinic-before")

    page.get_by_label("Restart at (minutes per session)").fill("10")
    page.get_by_role("button", name="Resume plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan resumed at week 1")
    new = Plan.objects.get(patient=patient, status=PlanStatus.ACTIVE)
    assert new.restarted_from_id == plan.pk

    # After: the record is the patient's, across both plans.
    plans = page.locator("#plans")
    expect(plans).to_contain_text("Ended by a warning sign")
    expect(page.get_by_role("main")).not_to_contain_text("Completed")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Plan resumed as a new plan")
    expect(timeline).to_contain_text(NUMB_NOTE)
    expect(timeline).to_contain_text("Plan ended by a warning sign")
    expect(page.locator("#weeks")).to_contain_text(
        "Starts again at 10 minutes: the level set when the plan was resumed."
    )
    check(page, "clinic-after")

    # The earlier plan's link narrows the record to it; the filters are links too.
    plans.get_by_role("link", name=re.compile(r"^Plan 1, started")).click()
    page.wait_for_url(re.compile(rf"\?plan={plan.pk}$"))
    expect(timeline).to_contain_text(NUMB_NOTE)
    expect(timeline).not_to_contain_text("Plan resumed as a new plan")
    page.get_by_role("link", name="Sessions", exact=True).click()
    page.wait_for_url(re.compile(r"kind=sessions"))
    expect(timeline.locator("[data-log]")).to_have_count(17)
    expect(timeline.locator("[data-week]")).to_have_count(0)
    check(page, "clinic-after-filtered")
    sign_out(page)

    # The patient's history after the resume: newest plan first, no dates listed twice.
    login(page, "cas")
    page.wait_for_url("**/me/")
    expect(page.locator("#week-explanation")).to_contain_text(
        "This week starts again at 10 minutes per session"
    )
    page.goto("/me/sessions/")
    main = page.get_by_role("main")
    expect(main).not_to_contain_text("Week 8")
    text = main.inner_text()
    assert text.index("Your current plan") < text.index("An earlier plan")
    dates = page.locator(".history-week .week-dates").all_inner_texts()
    assert len(dates) == len(set(dates)) == 8, dates
    check(page, "history-after")
