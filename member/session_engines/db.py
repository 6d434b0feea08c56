"""``django.contrib.sessions.backends.db`` with keys drawn in one go, ``retire_key()``, and saves
that hold no transaction open around the ORM's work."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router

from member.session_engines import MemberSessionStore


class SessionStore(MemberSessionStore, db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        """Django's ``save()``, without its ``transaction.atomic()`` in autocommit mode.

        The save is one INSERT or UPDATE, a transaction of its own in autocommit mode. Django's
        ``atomic()`` around it begins the transaction first, which on SQLite (``BEGIN
        IMMEDIATE``) takes the database's one write lock, and then does the ORM's Python work
        while holding it; a second worker's write meanwhile waits in SQLite's busy handler, which
        sleeps a millisecond or more at a time. Every new visitor's captcha image saves a session:
        under ``bench.captcha``'s load the captcha request without the drawing served 1113-1420
        images a second with Django's save and 1157-1650 without the ``atomic()``. Inside a
        caller's transaction Django's own save runs: its savepoint keeps a failed save from
        breaking that transaction.
        """
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        session = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=session)
        if connections[using].in_atomic_block:
            return super().save(must_create)
        try:
            session.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        return None

    def _delete_stored(self, session_key: str) -> bool:
        # One DELETE whose row count says whether this request removed the row (Django's own
        # delete() looks the row up first, so two requests could both "delete" it).
        deleted, _ = self.model.objects.filter(session_key=session_key).delete()
        return deleted == 1
