"""Fixtures shared by every suite: ready objects, not setup steps."""

from __future__ import annotations

import pytest

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fast_password_hasher(settings):
    """For tests that are not about hashing: MD5 instead of Argon2's ~0.1 s a hash."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
