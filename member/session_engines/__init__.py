"""Django's session engines with two additions the captcha relies on.

``SESSION_ENGINE = "member.session_engines.db"`` (or ``.cache`` with Redis).

**A new key without asking the store.** Django's ``_get_new_session_key()`` draws 32 random
characters, one ``secrets.choice`` (one ``os.urandom`` call) each, and then queries the store until
it finds an unused key: a round trip and 32 system calls for every new session, and every captcha
image for a new visitor makes one. Here the 32 characters come from one draw of 168 random bits
(the same ~165 bits of key space). A collision is impossible in practice, and ``create()`` still
saves with ``must_create=True``, so the store's own uniqueness (the primary key; ``cache.add``)
would catch one anyway and a new key is drawn.

**Retiring a key, atomically.** ``retire_key()`` deletes the stored copy of the session and lets
the request go on under a new key, saved with the response (what ``cycle_key()`` does, without
writing the new copy twice). The delete is one atomic operation of the shared store, and it
reports whether *it* removed the copy: of many requests that loaded the same session at once,
exactly one retires it.

- database: ``DELETE … WHERE session_key = …`` and its row count (SQLite has one writer at a
  time; PostgreSQL's row lock makes a second delete wait, then find nothing);
- Redis: ``DEL``, which returns the number of keys it removed; Redis runs commands one at a time.

The captcha (``member.captcha``) keeps its challenge in the session and uses it up by retiring
the key: one write per new visitor's image, and no second store to keep in step with the sessions.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from django.contrib.sessions.backends.base import VALID_KEY_CHARS

KEY_LENGTH = 32
# 36 ** 32 is about 2 ** 165.4: 168 random bits cover it with a negligible bias.
_KEY_BYTES = 21


class RetiringSession(Protocol):
    """What ``member.captcha`` needs of ``request.session`` to use a challenge up."""

    def pop(self, key: str, default: Any = ..., /) -> Any: ...

    def retire_key(self) -> bool: ...


class MemberSessionStore:
    """Mixin for a Django session store: keys drawn in one go, and ``retire_key()``."""

    def _get_new_session_key(self) -> str:
        number = int.from_bytes(secrets.token_bytes(_KEY_BYTES))
        characters = []
        for _ in range(KEY_LENGTH):
            number, digit = divmod(number, len(VALID_KEY_CHARS))
            characters.append(VALID_KEY_CHARS[digit])
        return "".join(characters)

    def retire_key(self) -> bool:
        """Delete the stored copy of this session and go on under a new key, saved (with the
        data as it is then) along with the response.

        True only for the one caller whose delete removed the stored copy: never for a session
        that was not stored, nor for one another request retired or deleted first.
        """
        key = self.session_key
        self._get_session()  # the data stays with the request: load it before the key goes
        self._session_key = None
        self.modified = True
        return key is not None and self._delete_stored(key)

    def _delete_stored(self, session_key: str) -> bool:
        """Delete the stored copy under ``session_key``; True when this call removed it."""
        raise NotImplementedError
