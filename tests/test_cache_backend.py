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
