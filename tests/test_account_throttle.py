"""Account-wide sign-in throttling (issue 16, finding 5).

django-axes locks one username from one address after 5 failures. On top of it, 20 failures for
one username within 15 minutes, from any addresses, pause that username: every attempt from an
address the account has not signed in from is refused before its password is checked, for 15
minutes (30 for a second pause within a day, at most 2 hours). The pause ends by itself and
attempts during it do not extend it; unknown usernames are paused the same way. With Redis down
the decision comes from axes' records in the database.
"""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.utils import timezone

from infra.env import redis_cache
from recovery.models import AuditEvent
from tests import support
from tests.conftest import PASSWORD

PAUSED = "Too many attempts for this account, try again in"


def sign_in(username: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    """A new browser's attempt: (the browser, the login form's answer)."""
    client = Client()
    return client, support.sign_in(client, username, password, ip)


def is_signed_in(client: Client) -> bool:
    return client.get("/me/").status_code == 200


def outcome(response) -> str:
    """ "wrong" (the password was checked), "locked" (axes, this address), "paused" (account)."""
    if response.status_code == 200:
        return "wrong"
    assert response.status_code == 429
    return "paused" if PAUSED in response.content.decode() else "locked"


def guess_from_ten_addresses(username: str, guesses: int = 50) -> list[str]:
    """`guesses` wrong passwords, spread evenly over 10 addresses (5 each: axes' own limit)."""
    per_address = guesses // 10
    return [
        outcome(sign_in(username, f"wrong-guess-{i}-{n}", ip=f"203.0.113.{i}")[1])
        for i in range(1, 11)
        for n in range(per_address)
    ]


# Four addresses' five guesses each: the fifth is axes' lockout of that address (and counted).
CHECKED_20 = ["wrong"] * 4 + ["locked"]


def later(seconds: float):
    """Move the throttle's clock (its Redis entries hold a deadline, compared with now)."""
    now = time.time() + seconds
    return mock.patch("recovery.backends.time.time", return_value=now)


def test_fifty_guesses_from_ten_addresses_pause_the_account_everywhere(ana, ben):
    outcomes = guess_from_ten_addresses("ana")
    # 20 wrong passwords were checked; from the 21st on, the pause refused without checking.
    assert outcomes == CHECKED_20 * 4 + ["paused"] * 30

    client, response = sign_in("ana", ip="198.51.100.11")  # the right password, an 11th address
    assert response.status_code == 429
    assert PAUSED + " 15 minutes" in response.content.decode()
    assert 890 <= int(response["Retry-After"]) <= 900
    assert not is_signed_in(client)

    # Another account is not affected, from a new address or from one the guesses came from.
    for ip in ("198.51.100.12", "203.0.113.1"):
        client, response = sign_in("ben", ip=ip)
        assert response.status_code == 302 and is_signed_in(client)

    with later(14 * 60):
        client, response = sign_in("ana", ip="198.51.100.11")
        assert response.status_code == 429
        assert PAUSED + " 1 minute." in response.content.decode()
    with later(15 * 60 + 1):
        client, response = sign_in("ana", ip="198.51.100.11")
        assert response.status_code == 302 and is_signed_in(client)

    refused = AuditEvent.objects.filter(action="lockout", detail__username="ana")
    assert refused.count() >= 30  # every refused attempt is in the audit log


def test_a_second_pause_within_a_day_is_longer_and_none_is_permanent(ana):
    guess_from_ten_addresses("ana", guesses=20)
    with later(15 * 60 + 1):
        assert guess_from_ten_addresses("ana", guesses=20) == ["wrong", "wrong"] * 10
        response = sign_in("ana", ip="198.51.100.11")[1]
        assert PAUSED + " 30 minutes" in response.content.decode()
    # Attempts made during a pause do not extend it: it ends when it said it would.
    with later(15 * 60 + 29 * 60):
        guess_from_ten_addresses("ana", guesses=50)
    with later(15 * 60 + 30 * 60 + 2):
        client, response = sign_in("ana", ip="198.51.100.11")
        assert response.status_code == 302 and is_signed_in(client)


def test_an_unknown_username_is_paused_the_same_way(ana):
    guess_from_ten_addresses("nobody-here", guesses=20)
    response = sign_in("nobody-here", ip="198.51.100.11")[1]
    assert response.status_code == 429 and PAUSED in response.content.decode()
    # Different case, same account key.
    assert sign_in("NOBODY-here", ip="198.51.100.11")[1].status_code == 429


def test_the_patient_at_a_known_address_keeps_signing_in(ana):
    client, response = sign_in("ana", ip="192.0.2.7")  # Ana at home, before the attack
    assert response.status_code == 302
    client.post("/accounts/logout/")
    guess_from_ten_addresses("ana")
    assert sign_in("ana", ip="198.51.100.11")[1].status_code == 429
    client, response = sign_in("ana", ip="192.0.2.7")
    assert response.status_code == 302 and is_signed_in(client)
    # A wrong password from home is still refused (and counted by axes there).
    assert sign_in("ana", "not-her-password", ip="192.0.2.7")[1].status_code == 200


DEAD_REDIS = {"default": redis_cache("redis://127.0.0.1:1/0", timeout=0.2)}


@pytest.fixture
def redis_down(redis_url):
    with override_settings(CACHES=DEAD_REDIS, SESSION_ENGINE="django.contrib.sessions.backends.db"):
        yield


def test_with_redis_down_the_database_records_decide(ana, ben, redis_down):
    assert guess_from_ten_addresses("ana") == CHECKED_20 * 4 + ["paused"] * 30
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 20

    client, response = sign_in("ana", ip="198.51.100.11")
    assert response.status_code == 429 and PAUSED in response.content.decode()
    assert not is_signed_in(client)
    assert sign_in("ben", ip="198.51.100.12")[1].status_code == 302

    now = timezone.now()
    with mock.patch("recovery.backends.timezone.now", return_value=now + timedelta(minutes=16)):
        client, response = sign_in("ana", ip="198.51.100.11")
    assert response.status_code == 302 and is_signed_in(client)
