"""Sign-in, sign-out, automatic log-off and lockout."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recovery.models import AuditEvent, OutboxEmail
from tests.conftest import PASSWORD
from tests.support import LOGIN_PAGE, sign_in


def test_each_role_lands_on_its_home(client, ana, dr_cho, dee):
    for user, home in (("ana", "/me/"), ("drcho", "/clinic/"), ("dee", "/admin/")):
        client.logout()
        sign_in(client, user)
        assert client.get("/").url == home


def test_login_changes_the_session_key_and_is_audited(client, ana):
    client.get(LOGIN_PAGE)
    before = client.cookies.get("sessionid")
    response = sign_in(client, "ana")
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != (before.value if before else None)
    event = AuditEvent.objects.get(action="login")
    assert event.actor == ana.user and event.ip == "127.0.0.1"


def test_logout_kills_the_old_cookie(client, ana):
    sign_in(client, "ana")
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/me/").status_code == 302


def test_failed_login_gives_one_message_for_unknown_and_wrong(client, ana):
    wrong = sign_in(client, "ana", "nope-nope-nope")
    unknown = sign_in(client, "nobody", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 200
    message = "That e-mail or username and password did not match"
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert AuditEvent.objects.filter(action="login_failed").count() == 2
    assert "nope" not in str(list(AuditEvent.objects.values("detail")))


@pytest.mark.parametrize(
    ("username", "minutes", "signed_out"),
    [("drcho", 14, False), ("drcho", 16, True), ("ana", 29, False), ("ana", 31, True)],
)
def test_idle_log_off_by_role(client, ana, dr_cho, username, minutes, signed_out):
    import time as real_time

    sign_in(client, username)
    start = real_time.time()
    with mock.patch("infra.middleware.time.time", return_value=start):
        client.get("/")
    with mock.patch("infra.middleware.time.time", return_value=start + minutes * 60):
        response = client.get("/")
    assert (response.status_code == 302 and "timeout=1" in response.url) is signed_out


def test_absolute_cap_even_when_active(client, ana):
    import time as real_time

    sign_in(client, "ana")
    now = real_time.time()
    with mock.patch("infra.middleware.time.time", return_value=now):
        client.get("/")
    # Active every 20 minutes for 12 hours and a bit: still signed out at the cap.
    for step in range(1, 38):
        with mock.patch("infra.middleware.time.time", return_value=now + step * 20 * 60):
            response = client.get("/")
    assert "timeout=1" in response.url


def test_a_page_view_does_not_write_the_session(client, ana):
    sign_in(client, "ana")
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []


def test_password_change_ends_other_sessions(client, ana):
    sign_in(client, "ana")
    other = Client()
    sign_in(other, "ana")
    user = ana.user
    user.set_password("a-brand-new-passphrase")
    user.save()
    assert client.get("/me/").status_code == 302
    assert other.get("/me/").status_code == 302


def test_disabled_account_is_signed_out(client, ana):
    sign_in(client, "ana")
    ana.user.is_active = False
    ana.user.save()
    assert client.get("/me/").status_code == 302


def test_lockout_after_five_failures_keyed_on_user_and_address(client, ana, ben):
    for _ in range(5):
        sign_in(client, "ana", "wrong-password-1", ip="10.0.0.9")
    locked = sign_in(client, "ana", PASSWORD, ip="10.0.0.9")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    # The same account from another address, and another account from this one, still get in.
    assert sign_in(Client(), "ana", PASSWORD, ip="10.0.0.10").status_code == 302
    assert sign_in(Client(), "ben", PASSWORD, ip="10.0.0.9").status_code == 302
    lockout = AuditEvent.objects.filter(action="lockout").first()  # the 5th failure and the 6th try
    assert (lockout.outcome, lockout.ip, lockout.detail) == (
        "denied",
        "10.0.0.9",
        {"username": "ana"},
    )


def test_password_reset_is_rate_limited_and_says_the_same_for_anyone(client, ana, mailoutbox):
    resets = OutboxEmail.objects.filter(kind="password_reset")
    known = client.post("/accounts/password_reset/", {"email": ana.user.email})
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    # The e-mail waits in the outbox (tests/test_email_outbox.py): nothing is sent in the request.
    assert [row.to for row in resets] == [ana.user.email] and mailoutbox == []
    for _ in range(3):
        client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    limited = client.post("/accounts/password_reset/", {"email": ana.user.email})
    assert limited.status_code == 429
    assert limited["Retry-After"] == str(15 * 60)
    assert resets.count() == 1
