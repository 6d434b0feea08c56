"""``django.contrib.sessions.backends.db`` with keys drawn in one go, ``retire_key()``, and saves
that are one statement each, with no transaction held open around the ORM's work."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from member.session_engines import MemberSessionStore


class SessionStore(MemberSessionStore, db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        """Django's ``save()``, in autocommit mode without its ``transaction.atomic()``, and a new
        session written by one plain INSERT.

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
        using = router.db_for_write(self.model)
        connection = connections[using]
        if connection.in_atomic_block:
            return super().save(must_create)
        data = self._get_session(no_load=must_create)
        try:
            if must_create:
                self._insert(connection, self.create_model_instance(data))
            else:
                self.create_model_instance(data).save(force_update=True, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        return None

    def _insert(self, connection: BaseDatabaseWrapper, session: Any) -> None:
        """Insert ``session`` (a session model instance) as a new row, in one statement.

        What ``Model.save(force_insert=True)`` sends, without its per-save machinery (signals,
        the insert compiler): 91 us against 134 us for a new session in-process, a tenth of a
        new visitor's captcha request. No model has signal receivers for sessions here, and the
        values go through each field's own ``pre_save()`` and ``get_db_prep_save()``.
        """
        meta = self.model._meta
        fields = meta.concrete_fields
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names quoted, values bound)
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        values = [
            field.get_db_prep_save(field.pre_save(session, add=True), connection)
            for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)

    def _delete_stored(self, session_key: str) -> bool:
        # One DELETE whose row count says whether this request removed the row (Django's own
        # delete() looks the row up first, so two requests could both "delete" it).
        deleted, _ = self.model.objects.filter(session_key=session_key).delete()
        return deleted == 1
