"""Fixtures for the member tests: ready objects, not setup steps."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.test import Client

from member import ratelimit
from member.models import Member
from member.ratelimit import DatabaseCounters
from member.tests.helpers import (
    ATTACKER,
    MEMBER_EMAIL,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    LogRecorder,
)
from qa.throwaway_servers import redis_server


@pytest.fixture
def member(db: None, fast_password_hasher: None) -> Member:
    """An active member who signs in with ``MEMBER_EMAIL`` and ``MEMBER_PASSWORD``.

    Hashed with the fast hasher: tests that use this member are not about hashing.
    """
    return Member.objects.create_user(MEMBER_EMAIL, MEMBER_PASSWORD, username=MEMBER_NAME)


@pytest.fixture
def attacker() -> Client:
    """A browser at an address of its own, trying sign-ins that are not its to try."""
    return Client(REMOTE_ADDR=ATTACKER)


@pytest.fixture
def inactive_member(member: Member) -> Member:
    member.is_active = False
    member.save(update_fields=["is_active"])
    return member


@pytest.fixture
def session_store(db: None) -> SessionBase:
    """An empty, stored session of the configured engine, for the captcha module's API.

    Stored, as a request's session is once its response is sent: ``captcha.verify`` uses a
    challenge up by retiring the stored copy.
    """
    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session.create()
    return session


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway real Redis server (Debian's ``redis-server``) for this test session."""
    with redis_server() as server:
        yield server.url()


@pytest.fixture
def redis_cache(redis_url: str, settings: Any) -> Iterator[None]:
    """The default cache on the real Redis, as ``REDIS_URL`` makes it; emptied before and after."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def database_counters(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate-limit counters in the database store whatever the cache is, for tests that look at
    its rows or move its clock (the Redis store keeps time by TTL, which no test can move)."""
    monkeypatch.setattr(ratelimit, "counters", DatabaseCounters)


@pytest.fixture
def logged() -> Iterator[LogRecorder]:
    """Every record of every logger at every level while the test runs.

    pytest's ``caplog`` listens on the root logger only, and the project's ``member`` logger does
    not propagate; so the recorder is attached to the root and to every logger that stops
    propagation, and every logger is opened to DEBUG.
    """
    recorder = LogRecorder()
    for name in ("member", "member.events", "member.mail"):
        logging.getLogger(name)  # exist before the list is taken, even if nothing logged yet
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = {logger: (logger.level, logger.disabled) for logger in loggers}
    attached = [logger for logger in loggers if logger is root or not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    for logger in attached:
        logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger in attached:
            logger.removeHandler(recorder)
        for logger, (level, disabled) in saved.items():
            logger.setLevel(level)
            logger.disabled = disabled
