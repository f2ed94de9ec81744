"""A patient connects a phone app in Chromium: the settings page's Devices section makes a token
that the next page shows once, the token reads the API, and disconnecting it stops it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from api.models import DeviceToken
from tests.e2e.conftest import assert_accessible, login
from tests.support import plan_from

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patient_connects_a_phone_uses_its_token_and_disconnects_it(page, ana):
    plan = plan_from(ana, days_ago=3)
    login(page, "ana")
    page.wait_for_url("**/me/")
    page.goto("/me/settings/")
    devices = page.get_by_role("region", name="Devices")
    expect(devices.get_by_text("No devices are connected.")).to_be_visible()
    assert_accessible(page)

    devices.get_by_label("Name of the device").fill("Ana's phone")
    devices.get_by_role("button", name="Connect a device").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The key for Ana's phone")
    assert_accessible(page)
    token = page.locator("#device-token").inner_text().strip()
    assert token.startswith("sw_")

    # The phone app: no cookie, only the token.
    phone = page.context.browser.new_context(base_url=page.url.split("/me/")[0])
    try:
        answer = phone.request.get("/api/v1/me/week/", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200 and answer.json()["plan"]["id"] == plan.pk

        # Back on the settings page: the device is listed, its token is not shown again.
        page.get_by_role("link", name="Back to settings").click()
        expect(devices.get_by_text("Ana's phone", exact=True)).to_be_visible()
        assert token not in page.content()
        devices.get_by_role("button", name="Disconnect Ana's phone").click()
        expect(
            page.get_by_text("Ana's phone is disconnected: its token no longer works.")
        ).to_be_visible()
        expect(devices.get_by_text("No devices are connected.")).to_be_visible()
        refused = phone.request.get(
            "/api/v1/me/week/", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status == 401
    finally:
        phone.close()
    assert DeviceToken.objects.get().revoked_at is not None
