"""``django.contrib.sessions.backends.db`` with keys drawn in one go and ``retire_key()``."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from member.session_engines import MemberSessionStore


class SessionStore(MemberSessionStore, db.SessionStore):
    def _delete_stored(self, session_key: str) -> bool:
        # One DELETE whose row count says whether this request removed the row (Django's own
        # delete() looks the row up first, so two requests could both "delete" it).
        deleted, _ = self.model.objects.filter(session_key=session_key).delete()
        return deleted == 1
