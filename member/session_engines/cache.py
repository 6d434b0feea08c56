"""``django.contrib.sessions.backends.cache`` with keys drawn in one go and ``retire_key()``."""

from __future__ import annotations

from django.contrib.sessions.backends import cache

from member.session_engines import MemberSessionStore


class SessionStore(MemberSessionStore, cache.SessionStore):
    def _delete_stored(self, session_key: str) -> bool:
        # Django's cache.delete() reports whether the key was there (Redis: DEL's count).
        return bool(self._cache.delete(self.cache_key_prefix + session_key))
