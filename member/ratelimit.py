"""One way to refuse for a while: atomic counters with a fixed window, and one 429 shape.

``consume(key, limit=…, window=…)`` takes one unit from ``key``'s budget and returns ``None``, or a
``Refusal`` (with the seconds left in the window) once ``limit`` units are taken. Every limit of
the site goes through it (``member.throttle`` has the table), and so does using a captcha
challenge up (a budget of one). ``release()`` gives a unit back (a sign-in that turned out right);
``reset()`` forgets a key (a lockout lifted); ``counts(prefix)`` lists the live counters (the
operator's "why is this blocked?").

Taking a unit is one atomic step in the store every app server shares, so a burst of concurrent
requests can never take more than ``limit`` units (allauth's ``core/ratelimit.py`` is the model;
its cache ``incr`` is not atomic on Django's database cache, hence the two stores below):

- Redis (when the default cache is Redis): one Lua script, which Redis runs atomically: ``INCR``
  only below the limit, and the window's expiry on a new counter. Keys are the counter's key,
  percent-quoted, under the cache's prefix.
- otherwise the database (SQLite or PostgreSQL): ``UPDATE … SET count = count + 1 WHERE key = …
  AND count < limit AND expires_at > now``. PostgreSQL re-checks the ``WHERE`` on the locked row,
  SQLite has one writer at a time, so the row count says whether this request got a unit; a new
  window is an ``INSERT`` that the primary key lets only one request win.

Time is injectable (``now=``) in the database store, so windows are tested without sleeping.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, unquote

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from member.models import ThrottleCounter

TOO_MANY_REQUESTS = _("Too many requests. Please wait a moment.")
UNLIMITED = 2**31 - 1  # a budget nothing reaches: ``tally``


@dataclass(frozen=True)
class Refusal:
    """A limit was reached: come back in ``retry_after`` seconds (at least 1)."""

    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class Count:
    """A live counter: ``count`` units taken in a window that ends in ``seconds_left`` seconds."""

    key: str
    count: int
    seconds_left: int


class CounterStore(Protocol):
    def consume(self, key: str, limit: int, window: int, now: float) -> Refusal | None: ...
    def exhausted(self, key: str, limit: int, now: float) -> Refusal | None: ...
    def release(self, key: str) -> None: ...
    def reset(self, key: str) -> None: ...
    def reset_all(self) -> None: ...
    def counts(self, prefix: str, now: float) -> list[Count]: ...


class DatabaseCounters:
    """Counters as rows of ``member.ThrottleCounter``; see the module docstring for atomicity."""

    def consume(self, key: str, limit: int, window: int, now: float) -> Refusal | None:
        for _attempt in range(3):
            with transaction.atomic():
                taken = ThrottleCounter.objects.filter(
                    key=key, expires_at__gt=now, count__lt=limit
                ).update(count=F("count") + 1)
                if taken:
                    return None
                refusal = self.exhausted(key, limit, now)
                if refusal:
                    return refusal
                # No current window: start one. Of concurrent starters the primary key lets one
                # insert; the others go round again and count in its window.
                ThrottleCounter.objects.filter(key=key, expires_at__lte=now).delete()
                try:
                    with transaction.atomic():
                        ThrottleCounter.objects.create(key=key, count=1, expires_at=now + window)
                except IntegrityError:
                    continue
                return None
        return Refusal(retry_after=1)  # three lost races in a row: a burst; refuse this one

    def exhausted(self, key: str, limit: int, now: float) -> Refusal | None:
        row = (
            ThrottleCounter.objects.filter(key=key, expires_at__gt=now, count__gte=limit)
            .values_list("expires_at", flat=True)
            .first()
        )
        return None if row is None else Refusal(retry_after=max(1, math.ceil(row - now)))

    def release(self, key: str) -> None:
        ThrottleCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)

    def reset(self, key: str) -> None:
        ThrottleCounter.objects.filter(key=key).delete()

    def reset_all(self) -> None:
        ThrottleCounter.objects.all().delete()

    def counts(self, prefix: str, now: float) -> list[Count]:
        rows = ThrottleCounter.objects.filter(key__startswith=prefix, expires_at__gt=now)
        return [
            Count(row.key, row.count, max(1, math.ceil(row.expires_at - now)))
            for row in rows.order_by("key")
        ]


class RedisCounters:
    """Counters as Redis integers under the cache's key prefix, expiring with their window."""

    def __init__(self, redis_cache: RedisCache):
        self.cache = redis_cache

    PREFIX = "member:ratelimit:"
    # One script, so one atomic step: a unit is taken only below the limit (a refusal counts
    # nothing, as in the database), and a new window gets its expiry.
    CONSUME = """
    local count = tonumber(redis.call('get', KEYS[1]) or '0')
    if count >= tonumber(ARGV[1]) then return {0, redis.call('ttl', KEYS[1])} end
    redis.call('incr', KEYS[1])
    if redis.call('ttl', KEYS[1]) < 0 then redis.call('expire', KEYS[1], ARGV[2]) end
    return {1, redis.call('ttl', KEYS[1])}
    """
    # DECR only a key that is there: on a missing one it would make a counter that never expires.
    RELEASE = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end"

    def _full_key(self, key: str) -> str:
        # Percent-quoted: keys hold what visitors typed (an email), and SCAN patterns need
        # their glob characters escaped.
        return self.cache.make_key(self.PREFIX + quote(key, safe=":@.-_/"))

    def _client(self) -> Any:
        # Django's Redis cache has no atomic "increment below a limit, with expiry" of its own:
        # its redis-py client (the private ``_cache``, stable since Django 4.0) runs the scripts,
        # on the same connection pool as the rest of the cache.
        return self.cache._cache.get_client(write=True)

    def _client_and_key(self, key: str) -> tuple[Any, str]:
        return self._client(), self._full_key(key)

    def consume(self, key: str, limit: int, window: int, now: float) -> Refusal | None:
        client, full_key = self._client_and_key(key)
        taken, ttl = client.eval(self.CONSUME, 1, full_key, limit, window)
        return None if taken else Refusal(retry_after=max(1, ttl))

    def exhausted(self, key: str, limit: int, now: float) -> Refusal | None:
        client, full_key = self._client_and_key(key)
        pipe = client.pipeline(transaction=True)
        pipe.get(full_key)
        pipe.ttl(full_key)
        count, ttl = pipe.execute()
        if count is not None and int(count) >= limit:
            return Refusal(retry_after=max(1, ttl))
        return None

    def release(self, key: str) -> None:
        client, full_key = self._client_and_key(key)
        client.eval(self.RELEASE, 1, full_key)

    def reset(self, key: str) -> None:
        client, full_key = self._client_and_key(key)
        client.delete(full_key)

    def reset_all(self) -> None:
        self._delete_matching("")

    def counts(self, prefix: str, now: float) -> list[Count]:
        client = self._client()
        full_keys = sorted(client.scan_iter(match=self._full_key(prefix) + "*"))
        pipe = client.pipeline(transaction=False)
        for full_key in full_keys:
            pipe.get(full_key)
            pipe.ttl(full_key)
        values = pipe.execute()
        strip = len(self._full_key(""))
        found = []
        for full_key, count, ttl in zip(full_keys, values[::2], values[1::2], strict=True):
            if count is not None and ttl > 0:
                key = unquote(full_key.decode()[strip:])
                found.append(Count(key, int(count), ttl))
        return found

    def _delete_matching(self, prefix: str) -> None:
        client = self._client()
        for full_key in client.scan_iter(match=self._full_key(prefix) + "*"):
            client.delete(full_key)


def counters() -> CounterStore:
    """The store every app server shares: Redis if the default cache is Redis, else the database."""
    shared_cache = caches["default"]
    if isinstance(shared_cache, RedisCache):
        return RedisCounters(shared_cache)
    return DatabaseCounters()


def consume(key: str, *, limit: int, window: int, now: float | None = None) -> Refusal | None:
    """Take one unit of ``key``'s budget of ``limit`` per ``window`` seconds; ``0`` is unlimited."""
    if limit <= 0:
        return None
    return counters().consume(key, limit, window, time.time() if now is None else now)


def tally(key: str, *, window: int, now: float | None = None) -> None:
    """Count one for ``key`` in a window of ``window`` seconds, with no limit: a record only."""
    counters().consume(key, UNLIMITED, window, time.time() if now is None else now)


def exhausted(key: str, *, limit: int, now: float | None = None) -> Refusal | None:
    """Whether ``key``'s budget is used up, without taking from it."""
    if limit <= 0:
        return None
    return counters().exhausted(key, limit, time.time() if now is None else now)


def release(key: str) -> None:
    """Give back one unit taken by ``consume`` (the attempt turned out not to count)."""
    counters().release(key)


def reset(key: str) -> None:
    """Forget ``key``'s count: its limit starts afresh."""
    counters().reset(key)


def reset_all() -> None:
    """Forget every counter: every lockout and limit starts afresh."""
    counters().reset_all()


def counts(prefix: str, *, now: float | None = None) -> list[Count]:
    """Every live counter whose key starts with ``prefix``, in key order."""
    return counters().counts(prefix, time.time() if now is None else now)


def respond_429(refusal: Refusal, response: HttpResponse | None = None) -> HttpResponse:
    """Every refusal has one shape: status 429, ``Retry-After`` with the seconds actually left,
    and ``response`` (the page that says why, in the visitor's language) or a short text."""
    if response is None:
        response = HttpResponse(TOO_MANY_REQUESTS, content_type="text/plain; charset=utf-8")
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return response
