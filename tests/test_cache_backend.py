"""The project's Redis cache backend against a real Redis server."""

from __future__ import annotations

import pytest

from recovery.cache import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": "stepwise-test-cache", "TIMEOUT": 60})
    cache.clear()
    yield cache
    cache.clear()


def test_reads_writes_counts_and_deletes(redis_cache):
    redis_cache.set("page", (1.5, b"<html>"), timeout=30)
    assert redis_cache.get("page") == (1.5, b"<html>")
    assert redis_cache.add("hits", 0) is True
    assert redis_cache.incr("hits") == 1
    redis_cache.delete("page")
    assert redis_cache.get("page", "gone") == "gone"


def test_one_client_serves_every_call(redis_cache):
    """The point of the class: no new redis.Redis (and its callback table) per operation."""
    client = redis_cache._cache
    first = client.get_client("a")
    assert client.get_client("b") is first
    assert client.get_client("c", write=True) is client.get_client("d", write=True)


def test_a_counter_counts_in_one_window(redis_cache):
    assert [redis_cache.count("rl:x", 30) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client("rl:x")
    key = redis_cache.make_and_validate_key("rl:x")
    assert 0 < client.ttl(key) <= 30
    client.expire(key, 100)
    redis_cache.count("rl:x", 30)  # a later count does not push the window back
    assert client.ttl(key) > 30


def test_rate_limits_count_through_redis(redis_cache, monkeypatch):
    from recovery import ratelimit

    monkeypatch.setattr(ratelimit, "cache", redis_cache)
    results = [ratelimit.hit("test", "someone", limit=2, window=60) for _ in range(3)]
    assert results == [True, True, False]


# --- Redis down ----------------------------------------------------------------------------------
# Nothing listens on port 1: every cache call fails at once. Pages, sessions and rate limits must
# go on without the cache; the database is the record.

DEAD_REDIS = {
    "default": {"BACKEND": "recovery.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DEAD_REDIS
    settings.SESSION_ENGINE = "recovery.sessions"


@pytest.mark.django_db
def test_with_redis_down_people_sign_in_see_their_pages_and_sign_out(
    redis_down, ana_plan, dr_cho, client
):
    from django.urls import reverse

    patient = ana_plan.patient
    patient.user.set_password("a-long-pass-phrase")
    patient.user.save()
    response = client.post(
        reverse("login"), {"username": patient.user.username, "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    for _ in range(2):
        page = client.get(reverse("me:dashboard"))
        assert page.status_code == 200 and b"This week" in page.content
    log = client.get(reverse("me:session_new"))
    assert log.status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("me:dashboard")).status_code == 302  # signed out for real


@pytest.mark.django_db
def test_with_redis_down_rate_limits_let_requests_through(redis_down):
    from recovery import ratelimit

    assert all(ratelimit.hit("test", "someone", limit=1, window=60) for _ in range(3))


@pytest.mark.django_db
def test_with_redis_down_a_clinician_sees_triage_and_records(redis_down, ana_plan, dr_cho):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(dr_cho)
    for path in (reverse("clinic:triage"), reverse("clinic:patient", args=[ana_plan.patient.pk])):
        for _ in range(2):
            assert client.get(path).status_code == 200


# --- the last-seen time, kept in Redis only (recovery.sessions.SessionStore.touch) ---------------


@pytest.fixture
def redis_sessions(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "recovery.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "stepwise-test-sessions",
        }
    }
    settings.SESSION_ENGINE = "recovery.sessions"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _at(seconds: float):
    from unittest import mock

    return mock.patch("recovery.middleware.time.time", return_value=seconds)


def _signed_in(client, username: str, now: float):
    from django.urls import reverse

    from tests.conftest import PASSWORD

    with _at(now):
        client.post(reverse("login"), {"username": username, "password": PASSWORD})
        assert client.get(reverse("me:dashboard")).status_code == 200  # stores the clocks
    return client.session.session_key


def _stored(session_key: str) -> dict:
    from django.contrib.sessions.models import Session

    return Session.objects.get(pk=session_key).get_decoded()


@pytest.mark.django_db
def test_a_page_view_a_minute_later_writes_last_seen_to_redis_not_the_database(
    redis_sessions, ana_plan, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recovery.middleware import SEEN_KEY
    from recovery.sessions import SessionStore

    start = 1_900_000_000.0
    key = _signed_in(client, ana_plan.patient.user.username, start)
    in_database = _stored(key)
    with _at(start + 90), CaptureQueriesContext(connection) as queries:
        response = client.get("/me/")
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]
    assert "sessionid" not in "".join(response.cookies)  # nothing to send back either
    assert _stored(key) == in_database
    assert SessionStore(key).load()[SEEN_KEY] == start + 90  # Redis has it


@pytest.mark.django_db
def test_activity_kept_in_redis_keeps_a_patient_signed_in(redis_sessions, ana_plan, client):
    start = 1_900_000_000.0
    _signed_in(client, ana_plan.patient.user.username, start)
    with _at(start + 20 * 60):
        assert client.get("/me/").status_code == 200
    with _at(start + 40 * 60):  # 20 idle minutes since the last view: within the 30
        assert client.get("/me/").status_code == 200


@pytest.mark.django_db
def test_losing_the_redis_copy_can_only_end_a_session_sooner(redis_sessions, ana_plan, client):
    from django.core.cache import cache

    from recovery.sessions import SessionStore

    start = 1_900_000_000.0
    key = _signed_in(client, ana_plan.patient.user.username, start)
    with _at(start + 20 * 60):
        assert client.get("/me/").status_code == 200
    cache.delete(SessionStore(key).cache_key)  # evicted, or Redis restarted empty
    with _at(start + 40 * 60):  # the database says last seen at sign-in: 40 minutes idle
        response = client.get("/me/")
    assert response.status_code == 302 and "timeout=1" in response.url


@pytest.mark.django_db
def test_with_redis_down_last_seen_is_saved_to_the_database(redis_down, ana_plan, client):
    from recovery.middleware import SEEN_KEY

    start = 1_900_000_000.0
    key = _signed_in(client, ana_plan.patient.user.username, start)
    with _at(start + 90):
        assert client.get("/me/").status_code == 200
    assert _stored(key)[SEEN_KEY] == start + 90
