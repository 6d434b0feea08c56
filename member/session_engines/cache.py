"""``django.contrib.sessions.backends.cache`` without the new-key probe (see the package)."""

from __future__ import annotations

from django.contrib.sessions.backends import cache

from member.session_engines import KeyWithoutProbe


class SessionStore(KeyWithoutProbe, cache.SessionStore):
    pass
