"""``django.contrib.sessions.backends.db`` without the new-key probe (see the package)."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from member.session_engines import KeyWithoutProbe


class SessionStore(KeyWithoutProbe, db.SessionStore):
    pass
