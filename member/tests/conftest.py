"""Fixtures for the member tests: ready objects, not setup steps."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase

from member.models import Member
from member.tests.helpers import MEMBER_EMAIL, MEMBER_NAME, MEMBER_PASSWORD


@pytest.fixture
def member(db: None, fast_password_hasher: None) -> Member:
    """An active member who signs in with ``MEMBER_EMAIL`` and ``MEMBER_PASSWORD``.

    Hashed with the fast hasher: tests that use this member are not about hashing.
    """
    return Member.objects.create_user(MEMBER_EMAIL, MEMBER_PASSWORD, username=MEMBER_NAME)


@pytest.fixture
def inactive_member(member: Member) -> Member:
    member.is_active = False
    member.save(update_fields=["is_active"])
    return member


@pytest.fixture
def session_store(db: None) -> SessionBase:
    """An empty, unsaved session of the configured engine, for the captcha module's API.

    The answers it is bound to live in the shared cache, which is the database here.
    """
    return import_module(django_settings.SESSION_ENGINE).SessionStore()
