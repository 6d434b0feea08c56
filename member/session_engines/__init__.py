"""Session engines that make a new session key without asking the store whether it is taken.

Django's ``_get_new_session_key()`` draws 32 random characters and then queries the store until
it finds an unused key: one extra round trip for every new session, and every captcha image for a
new visitor makes one. A collision of 32 characters from a 36-letter alphabet (about 165 bits) is
impossible in practice, and ``create()`` still saves with ``must_create=True``, so the store's own
uniqueness (the primary key; ``cache.add``) would catch one anyway and a new key is drawn.

``SESSION_ENGINE = "member.session_engines.db"`` (or ``.cache`` with Redis).
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.utils.crypto import get_random_string


class KeyWithoutProbe:
    """Mixin for a Django session store: a new key is drawn, not looked up."""

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)
