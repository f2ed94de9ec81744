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
