"""Playwright driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: Chromium is launched from its path with `executable_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are synchronous by design.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = (390, 640, 1280)  # a phone, a small tablet, a desktop
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.context.clear_cookies()


def fits_width(page) -> bool:
    """Nothing pushes the page wider than the window (tables scroll inside their wrapper)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def admin_sign_in(page, user) -> None:
    """Password on /accounts/login/, then the authenticator code the admin demands."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("E-mail or username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/**")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label("6-digit code").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def sized_page(request, browser, live_server):
    """A page in a browser window `request.param` pixels wide (parametrize it indirectly), on
    a phone's pixel density below 600 px; `page.width` says which."""
    width = request.param
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        device_scale_factor=2 if width < 600 else 1,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.width = width
    yield page
    context.close()


def assert_accessible(page) -> None:
    """axe-core (carried by axe-playwright-python) finds no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        f"{', '.join(str(n['target']) for n in v['nodes'][:3])}; "
        f"{(v['nodes'][0].get('any') or [{}])[0].get('message', '')})"
        for v in bad
    )


def screenshot(page, name: str) -> Path:
    """Photograph the whole page into test-artifacts/ (git-ignored): a test run never changes a
    committed file. `make screenshots` copies the README's pictures into docs/img/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Pages photographed at phone width go here (or to the folder SHOTS_DIR names), to be looked at.
PHONE_SHOTS = Path(os.environ.get("SHOTS_DIR") or ARTIFACTS / "phone")
PHONE = 390


def phone_shot(page, name: str) -> None:
    """Photograph the whole page, and check nothing scrolls sideways at phone width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, name
    PHONE_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PHONE_SHOTS / f"{name}.png"), full_page=True)
