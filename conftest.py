"""Fixtures shared by every suite: ready objects, not setup steps.

The QA harness's fixtures (``browser``, ``login_page``, ``register_page``, ``site_member``,
``make_member``, ...), its command-line options and its failure artifacts come from the plugins
in ``qa/fixtures/``, one module per concern.
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "qa.fixtures.options",
    "qa.fixtures.site",
    "qa.fixtures.browsers",
    "qa.fixtures.browser_errors",
    "qa.fixtures.artifacts",
    "qa.fixtures.report",
    "qa.fixtures.visual",
    "qa.fixtures.members",
]

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fast_password_hasher(settings):
    """For tests that are not about hashing: MD5 instead of Argon2's ~0.1 s a hash."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _shared_cache_starts_empty(request: pytest.FixtureRequest) -> None:
    """In the PostgreSQL + Redis pass, each test starts with an empty Redis: the database rolls
    back after every test, Redis (counters, sessions) does not."""
    from django.conf import settings

    if getattr(settings, "REDIS_URL", "") and "django_db_setup" in request.fixturenames:
        from django.core.cache import cache

        cache.clear()
