"""Security headers on public, private, missing and failing pages."""

from __future__ import annotations

import pytest

from tests.support import sign_in

CSP_PARTS = ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_login_page_headers(client, db):
    assert_security_headers(client.get("/accounts/login/"))


def test_not_found_page_headers_and_body(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response)
    assert b"We could not find that page" in response.content


def test_private_pages_are_not_stored(client, ana):
    sign_in(client, "ana")
    response = client.get("/", follow=True)
    assert "no-store" in response["Cache-Control"]
    assert_security_headers(response)


def test_server_error_is_generic(client, db, settings):
    from django.urls import path

    def boom(request):
        raise RuntimeError("secret detail: patient 42 has saddle numbness")

    import stepwise.urls

    settings.ROOT_URLCONF = type(
        "Urls", (), {"urlpatterns": [path("boom/", boom)], "handler500": stepwise.urls.handler500}
    )
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and "secret" not in body and "saddle" not in body
    assert_security_headers(response)


@pytest.mark.parametrize("size", [300 * 1024])
def test_oversized_post_is_refused(client, db, size):
    response = client.post("/accounts/login/", {"username": "x" * size, "password": "y"})
    assert response.status_code == 400
