"""Rough edges of issue 17 seen on a phone: the chart's text and the shared page frame."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from plans.services import patient_today
from tests.conftest import approve
from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, screenshot

# The smallest text a phone shows in the chart, in CSS pixels (it was ~10 px).
SMALLEST_CHART_TEXT_PX = 12


def test_the_chart_text_is_readable_on_a_phone(phone_page, ana):
    start = patient_today(ana) - timedelta(days=3)
    approve(ana, start=start, today=start)
    login(phone_page, "ana@example.org")
    phone_page.wait_for_url("**/me/")
    chart = phone_page.get_by_role("img", name="Minutes per week and pain after exercise")
    expect(chart).to_be_visible()
    sizes = chart.evaluate(
        """svg => {
            const scale = svg.getScreenCTM().a;
            return [...svg.querySelectorAll('text')].map(t =>
                parseFloat(getComputedStyle(t).fontSize) * scale);
        }"""
    )
    assert sizes and min(sizes) >= SMALLEST_CHART_TEXT_PX, sizes
    # Nothing in the drawing runs past its right edge.
    overflow = chart.evaluate(
        """svg => {
            const right = svg.getBoundingClientRect().right + 0.5;
            return [...svg.querySelectorAll('text')]
                .filter(t => t.getBoundingClientRect().right > right).map(t => t.textContent);
        }"""
    )
    assert overflow == []
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / "me-chart-phone-chart.png"))
    # The current page is marked in the navigation (open the phone menu to see it).
    phone_page.get_by_role("button", name="Show menu").click()
    current = phone_page.locator('nav a[aria-current="page"]')
    expect(current).to_have_text("This week")
    assert_accessible(phone_page)
    screenshot(phone_page, "me-chart-phone")


def test_a_clinician_page_has_no_patient_footer(page, ana, dr_cho):
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    expect(page.get_by_role("contentinfo")).not_to_contain_text("Questions about your recovery")
    expect(page.locator('nav a[aria-current="page"]')).to_have_text("Triage")
