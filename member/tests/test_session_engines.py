"""New sessions cost no "is this key taken?" round trip, and a collision is still caught."""

from __future__ import annotations

from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from member.session_engines import db

pytestmark = pytest.mark.django_db


def test_the_site_uses_the_probe_free_engines() -> None:
    assert settings.SESSION_ENGINE in {"member.session_engines.db", "member.session_engines.cache"}


def test_a_new_database_session_is_one_insert_without_a_lookup() -> None:
    session = db.SessionStore()
    session["member_captcha"] = "id"

    with CaptureQueriesContext(connection) as queries:
        session.save()

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert "SELECT" not in statements
    assert statements.count("INSERT") == 1


def test_a_colliding_key_is_caught_by_the_store_and_redrawn() -> None:
    taken = db.SessionStore()
    taken.create()
    keys = iter([taken.session_key, "a" * 32])

    fresh = db.SessionStore()
    with mock.patch.object(db.SessionStore, "_get_new_session_key", lambda self: next(keys)):
        fresh.create()

    assert fresh.session_key == "a" * 32
    assert db.SessionStore(taken.session_key).exists(taken.session_key)


def test_the_configured_engine_round_trips_a_session() -> None:
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session["key"] = "value"
    session.save()

    assert engine.SessionStore(session.session_key)["key"] == "value"
