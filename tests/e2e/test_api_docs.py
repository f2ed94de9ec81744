"""The API's docs page (/api/docs/) in Chromium: Swagger UI draws the schema from the app's own
assets (drf-spectacular-sidecar, no CDN) under the site's Content-Security-Policy, which forbids
inline scripts and styles; not one violation is reported."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# Reported by the page itself: every Content-Security-Policy violation, as it happens.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_the_docs_page_draws_the_schema_without_a_csp_violation(page, live_server):
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.add_init_script(WATCH_CSP)

    response = page.goto("/api/docs/")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy

    # Swagger UI has fetched the schema and drawn it: the title and the operations.
    page.locator(".swagger-ui .info .title").filter(has_text="StepWise API").wait_for()
    page.get_by_text("/api/v1/me/sessions/", exact=True).first.wait_for()
    page.get_by_text("/api/v1/clinic/triage/", exact=True).first.wait_for()

    # Every asset came from this server.
    sources = page.evaluate(
        "[...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href))"
    )
    assert sources and all(src.startswith(live_server.url) for src in sources), sources
    assert not failed, failed

    assert page.evaluate("window.__csp") == []
    assert not [line for line in console if "Content Security Policy" in line], console
    # The page's own style rules came from a file: the body's background is docs.css's.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 250, 250)"
