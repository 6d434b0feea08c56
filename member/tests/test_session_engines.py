"""The project's session engines: no "is this key taken?" round trip (a collision is still caught),
saves that hold no transaction open, and ``retire_key()``, which exactly one of the requests that
loaded a session wins."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from member.session_engines import cache, db

pytestmark = pytest.mark.django_db


def test_the_site_uses_the_projects_engines() -> None:
    assert settings.SESSION_ENGINE in {"member.session_engines.db", "member.session_engines.cache"}


def test_a_new_database_session_is_one_insert_without_a_lookup() -> None:
    session = db.SessionStore()
    session["member_captcha"] = "id"

    with CaptureQueriesContext(connection) as queries:
        session.save()

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert "SELECT" not in statements
    assert statements.count("INSERT") == 1


def create_after_a_collision(next_key: str) -> tuple[SessionBase, SessionBase]:
    """A stored session, then a new one whose first drawn key is the stored one's."""
    taken = db.SessionStore()
    taken.create()
    keys = iter([taken.session_key, next_key])
    fresh = db.SessionStore()
    with mock.patch.object(db.SessionStore, "_get_new_session_key", lambda self: next(keys)):
        fresh.create()
    return taken, fresh


def test_a_colliding_key_is_caught_by_the_store_and_redrawn() -> None:
    taken, fresh = create_after_a_collision("a" * 32)

    assert fresh.session_key == "a" * 32
    assert db.SessionStore(taken.session_key).exists(taken.session_key)


@pytest.mark.django_db(transaction=True)
def test_a_new_session_outside_a_transaction_is_one_statement() -> None:
    """No BEGIN/COMMIT around it: on SQLite the write lock is held for the INSERT alone."""
    session = db.SessionStore()
    session["member_captcha"] = "id"
    session.set_expiry(300)
    lifetime = timedelta(seconds=300)

    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        session.save()
    after = timezone.now()

    assert [query["sql"].split()[0].upper() for query in queries.captured_queries] == ["INSERT"]
    loaded = db.SessionStore(session.session_key)
    assert loaded["member_captcha"] == "id"
    assert loaded.get_expiry_age() == 300
    # The row's expiry is the moment of the save plus the lifetime, whenever that moment was.
    row = Session.objects.get(session_key=session.session_key)
    assert before + lifetime <= row.expire_date <= after + lifetime


def test_nothing_listens_to_session_saves() -> None:
    """The plain INSERT of a new session skips Model.save(), so it would skip its signals."""
    for signal in (pre_save, post_save):
        assert not signal.has_listeners(Session)


@pytest.mark.django_db(transaction=True)
def test_an_update_outside_a_transaction_is_one_statement() -> None:
    session = db.SessionStore()
    session["step"] = "one"
    session.save()
    session["step"] = "two"

    with CaptureQueriesContext(connection) as queries:
        session.save()

    assert [query["sql"].split()[0].upper() for query in queries.captured_queries] == ["UPDATE"]
    assert db.SessionStore(session.session_key)["step"] == "two"


@pytest.mark.django_db(transaction=True)
def test_a_colliding_key_outside_a_transaction_is_caught_and_redrawn() -> None:
    taken, fresh = create_after_a_collision("b" * 32)

    assert fresh.session_key == "b" * 32
    assert db.SessionStore(taken.session_key).exists(taken.session_key)


def test_a_failed_save_inside_a_transaction_leaves_the_transaction_usable() -> None:
    with transaction.atomic():
        _, fresh = create_after_a_collision("c" * 32)
        fresh["after"] = "the collision"
        fresh.save()

    assert db.SessionStore("c" * 32)["after"] == "the collision"


def test_keys_are_32_characters_of_the_session_alphabet_and_differ() -> None:
    keys = {db.SessionStore()._get_new_session_key() for _ in range(1000)}

    assert len(keys) == 1000
    assert all(len(key) == 32 and key.isalnum() and key == key.lower() for key in keys)
    # Every one of the 36 characters shows up at every position over 1,000 keys.
    assert {len({key[i] for key in keys}) for i in range(32)} == {36}


ENGINES = [pytest.param(db, id="db"), pytest.param(cache, id="cache")]


def stored(engine: object, **data: str) -> SessionBase:
    session = engine.SessionStore()  # type: ignore[attr-defined]
    session.update(data)
    session.save()
    return session


@pytest.mark.parametrize("engine", ENGINES)
def test_retiring_a_key_moves_the_data_to_a_new_key(engine: object) -> None:
    session = stored(engine, kept="yes")
    old_key = session.session_key

    assert session.retire_key()
    session.save()

    assert session.session_key not in {None, old_key}
    assert not session.exists(old_key)
    assert engine.SessionStore(session.session_key)["kept"] == "yes"  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
def test_of_the_copies_loaded_at_once_exactly_one_retires_the_key(engine: object) -> None:
    key = stored(engine, kept="yes").session_key
    copies = [engine.SessionStore(key) for _ in range(5)]  # type: ignore[attr-defined]
    for copy in copies:
        assert copy["kept"] == "yes"  # each loaded before any retires

    assert [copy.retire_key() for copy in copies] == [True, False, False, False, False]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_session_never_stored_or_already_gone_retires_nothing(engine: object) -> None:
    unsaved = engine.SessionStore()  # type: ignore[attr-defined]
    unsaved["kept"] = "yes"
    gone = stored(engine, kept="yes")
    gone.delete()

    assert not unsaved.retire_key()
    assert not gone.retire_key()


def test_the_configured_engine_round_trips_a_session() -> None:
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session["key"] = "value"
    session.save()

    assert engine.SessionStore(session.session_key)["key"] == "value"
