"""The one counting mechanism: a budget per key and window, taken atomically, in both stores."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.test import override_settings

from member import ratelimit
from member.ratelimit import DatabaseCounters, RedisCounters

NOW = 1_700_000_000.0


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest) -> Any:
    """Each store the site can run on; the Redis one on a real Redis server."""
    if request.param == "database":
        request.getfixturevalue("database_counters")
        return "database"
    request.getfixturevalue("redis_cache")
    return "redis"


def test_the_store_follows_the_default_cache(redis_url: str) -> None:
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    database = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"}

    with override_settings(CACHES={"default": redis}):
        assert isinstance(ratelimit.counters(), RedisCounters)
    with override_settings(CACHES={"default": database}):
        assert isinstance(ratelimit.counters(), DatabaseCounters)


def test_a_budget_of_three_lets_three_through_then_refuses(store: str) -> None:
    results = [ratelimit.consume("k", limit=3, window=60) for _ in range(5)]

    assert results[:3] == [None, None, None]
    assert all(result is not None for result in results[3:])


def redis_milliseconds_left(key: str) -> int:
    """The Redis counter's own time to live (-1: it never expires, -2: it is not there)."""
    store = ratelimit.counters()
    assert isinstance(store, RedisCounters)
    client, full_key = store._client_and_key(key)
    return client.pttl(full_key)


def test_redis_windows_expire_and_refusals_do_not_extend_them(redis_cache: None) -> None:
    for _ in range(3):
        ratelimit.consume("k", limit=3, window=60)
    assert 0 < redis_milliseconds_left("k") <= 60_000
    client, full_key = ratelimit.counters()._client_and_key("k")
    client.pexpire(full_key, 30_000)  # half the window has passed

    refusals = [ratelimit.consume("k", limit=3, window=60) for _ in range(3)]

    assert [refusal.retry_after for refusal in refusals if refusal] == [30, 30, 30]
    assert 0 < redis_milliseconds_left("k") <= 30_000


def test_redis_release_of_a_gone_counter_leaves_nothing_behind(redis_cache: None) -> None:
    """A DECR on a missing key would make a counter of -1 that never expires."""
    ratelimit.consume("k", limit=3, window=60)
    ratelimit.reset("k")

    ratelimit.release("k")

    assert redis_milliseconds_left("k") == -2


def test_database_refusals_do_not_extend_the_window(database_counters: None) -> None:
    for offset in range(3):
        ratelimit.consume("k", limit=3, window=60, now=NOW + offset)

    refusals = [ratelimit.consume("k", limit=3, window=60, now=NOW + t) for t in (10, 20, 59)]

    assert [refusal.retry_after for refusal in refusals if refusal] == [50, 40, 1]
    assert ratelimit.consume("k", limit=3, window=60, now=NOW + 60) is None


def test_counts_lists_the_live_counters_under_a_prefix(store: str) -> None:
    for key, times in (
        ("signin:device:ada@example.com:a", 2),
        ("signin:device:ada@example.com:b", 1),
    ):
        for _ in range(times):
            ratelimit.consume(key, limit=5, window=60)
    ratelimit.consume("signin:device:bob@example.com:c", limit=5, window=60)
    ratelimit.consume("odd key * [x]?", limit=5, window=60)

    found = ratelimit.counts("signin:device:ada@example.com:")
    odd = ratelimit.counts("odd key * ")

    assert [(count.key, count.count) for count in found] == [
        ("signin:device:ada@example.com:a", 2),
        ("signin:device:ada@example.com:b", 1),
    ]
    assert all(0 < count.seconds_left <= 60 for count in found)
    assert [count.key for count in odd] == ["odd key * [x]?"]


def test_released_units_can_be_taken_again(store: str) -> None:
    for _ in range(3):
        assert ratelimit.consume("k", limit=3, window=60) is None
    ratelimit.release("k")

    assert ratelimit.consume("k", limit=3, window=60) is None
    assert ratelimit.consume("k", limit=3, window=60) is not None


def test_exhausted_looks_without_taking(store: str) -> None:
    assert ratelimit.exhausted("k", limit=2) is None
    ratelimit.consume("k", limit=2, window=60)
    assert ratelimit.exhausted("k", limit=2) is None
    ratelimit.consume("k", limit=2, window=60)

    assert ratelimit.exhausted("k", limit=2) is not None
    assert ratelimit.exhausted("other", limit=2) is None


def test_reset_starts_the_budget_afresh(store: str) -> None:
    for _ in range(3):
        ratelimit.consume("k", limit=2, window=60)
    ratelimit.reset("k")

    assert ratelimit.consume("k", limit=2, window=60) is None


def test_reset_all_forgets_every_key(store: str) -> None:
    for key in ("a", "b"):
        for _ in range(2):
            ratelimit.consume(key, limit=1, window=60)
    ratelimit.reset_all()

    assert ratelimit.consume("a", limit=1, window=60) is None
    assert ratelimit.consume("b", limit=1, window=60) is None


def test_zero_means_unlimited(store: str) -> None:
    assert all(ratelimit.consume("k", limit=0, window=60) is None for _ in range(50))


def test_threads_racing_for_one_budget_take_exactly_the_limit(redis_cache: None) -> None:
    """Twenty threads at once against a budget of five (Redis; the database store is raced by
    real servers in qa/tests/test_races.py, where each worker has its own connection)."""
    start = threading.Barrier(20)
    results: list[object] = []
    lock = threading.Lock()

    def take() -> None:
        start.wait(timeout=10)
        result = ratelimit.consume("burst", limit=5, window=60)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert results.count(None) == 5
    assert len(results) == 20


def test_database_window_ends_and_a_new_one_begins(database_counters: None) -> None:
    for offset in range(3):
        ratelimit.consume("k", limit=3, window=60, now=NOW + offset)
    refused = ratelimit.consume("k", limit=3, window=60, now=NOW + 30)

    assert refused is not None
    assert refused.retry_after == 30  # the window began at NOW and ends at NOW + 60
    assert ratelimit.consume("k", limit=3, window=60, now=NOW + 60) is None


def test_respond_429_has_one_shape() -> None:
    response = ratelimit.respond_429(ratelimit.Refusal(retry_after=42))

    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response["Content-Type"].startswith("text/plain")
