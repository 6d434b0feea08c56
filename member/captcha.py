"""The captcha: make a challenge, render it (an image, or speech), verify an answer against the
session.

This module is the only place an answer is compared. A challenge lives server-side: the session
holds only a random challenge id, and the answer sits in Django's default cache under that id
(never in a cookie, the page, a URL or a header). It is valid for ``CAPTCHA_TIMEOUT`` seconds and
is used up by the first answer checked against it, right or wrong.

Using a challenge up is one atomic step that exactly one request wins, however many arrive at once
with the same session: ``verify()`` deletes the cache entry and compares only if *its* delete
removed it. ``cache.delete()`` reports whether it removed the key, and on every cache the project
supports that report comes from one atomic operation of the shared store:

- the database cache (SQLite or PostgreSQL): ``DELETE … WHERE cache_key = …`` and its row count;
  concurrent deletes of one row see a count of 1 exactly once (PostgreSQL row lock; SQLite's single
  writer);
- Redis: ``DEL`` returns the number of keys it removed, and Redis runs commands one at a time.

Popping the answer out of the session instead (the first design) was not atomic: every request
loaded the same session row, popped its own copy in memory, and the row was written back only
with the response, so a burst of POSTs on one session all got past one solved captcha.

Time is injectable (``now=``) so expiry is tested without sleeping.
"""

from __future__ import annotations

import hmac
import secrets
import time
import unicodedata
from functools import cache
from typing import Any

from django.contrib.staticfiles import finders
from django.core.cache import cache as shared_store
from django.core.exceptions import ImproperlyConfigured

from member import captcha_audio
from member.captcha_image import render_png
from member.conf import member_settings

SESSION_KEY = "member_captcha"
DEFAULT_FONT = "fonts/Kavivanar-Regular.woff"
STORE_PREFIX = "member:captcha:"
# The store keeps an entry a little past its validity, so expiry is decided by ``issued_at``
# (which tests can move) rather than by the store's clock.
STORE_SLACK = 30  # seconds

# A bound on what is worth comparing: longer input cannot be a right answer and is not looked at.
MAX_ANSWER_LENGTH = 64


def make_challenge(session: Any, *, now: float | None = None) -> str:
    """Draw a new answer, bind it to ``session`` (replacing any earlier one) and return it.

    The answer has ``CAPTCHA_LENGTH`` distinct characters of ``CAPTCHA_ALPHABET``, drawn with
    ``secrets`` as the design does with ``random.sample``.
    """
    alphabet = list(member_settings.CAPTCHA_ALPHABET)
    answer = "".join(secrets.SystemRandom().sample(alphabet, member_settings.CAPTCHA_LENGTH))
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str):
        shared_store.delete(_store_key(previous))
    challenge_id = secrets.token_urlsafe(18)
    shared_store.set(
        _store_key(challenge_id),
        {"answer": answer, "issued_at": _now() if now is None else now},
        timeout=member_settings.CAPTCHA_TIMEOUT + STORE_SLACK,
    )
    session[SESSION_KEY] = challenge_id
    return answer


def render(answer: str) -> bytes:
    """The PNG image of ``answer`` at the configured size and scale."""
    width, height = member_settings.CAPTCHA_IMAGE_SIZE
    return render_png(
        answer,
        width=width,
        height=height,
        scale=member_settings.CAPTCHA_IMAGE_SCALE,
        font_path=font_path(),
    )


def speak(answer: str, *, language: str) -> bytes:
    """The WAV of ``answer`` spoken character by character in ``language`` (a page language such
    as ``request.LANGUAGE_CODE``), with fresh variation each time it is asked for."""
    return captcha_audio.speak(answer, language=language, rng=secrets.SystemRandom())


def normalise_answer(answer: str) -> str:
    """What people type, read as the image means it: full-width forms (a Chinese input method's
    default) as ASCII (NFKC), surrounding spaces ignored, letter case ignored."""
    return unicodedata.normalize("NFKC", answer).strip().upper()


def verify(session: Any, answer: str | None, *, now: float | None = None) -> bool:
    """Whether ``answer`` solves the session's challenge; the challenge is used up either way.

    Of many concurrent calls for one challenge, only the one whose delete removed it compares;
    the others fail. No challenge, an expired one or a missing answer is simply wrong. The
    comparison takes constant time.
    """
    challenge_id = session.pop(SESSION_KEY, None)
    if not isinstance(challenge_id, str):
        return False
    key = _store_key(challenge_id)
    challenge = shared_store.get(key)
    if not shared_store.delete(key):
        return False  # another request used it up first (or it never existed)
    if not isinstance(answer, str) or len(answer) > MAX_ANSWER_LENGTH:
        return False
    expected = _unexpired_answer(challenge, _now() if now is None else now)
    if expected is None:
        return False
    given = normalise_answer(answer)
    return hmac.compare_digest(given.encode(), expected.upper().encode())


def current_answer(session: Any, *, now: float | None = None) -> str | None:
    """The session's unexpired answer without using it up or replacing it: for the audio captcha
    (which reads out the challenge the image shows) and the test-only debug hook."""
    challenge_id = session.get(SESSION_KEY)
    if not isinstance(challenge_id, str):
        return None
    challenge = shared_store.get(_store_key(challenge_id))
    return _unexpired_answer(challenge, _now() if now is None else now)


def font_path() -> str:
    """The configured font file, or the design's Kavivanar found through the static files."""
    return member_settings.CAPTCHA_FONT or _find_static(DEFAULT_FONT)


@cache
def _find_static(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise ImproperlyConfigured(f"The captcha font {path} is missing from the static files.")
    return str(found)


def _store_key(challenge_id: str) -> str:
    return STORE_PREFIX + challenge_id


def _unexpired_answer(challenge: Any, now: float) -> str | None:
    """The stored answer, or ``None`` for a missing, malformed or expired entry."""
    if not isinstance(challenge, dict):
        return None
    answer = challenge.get("answer")
    issued_at = challenge.get("issued_at")
    if not isinstance(answer, str) or not answer or not isinstance(issued_at, int | float):
        return None
    if not 0 <= now - issued_at <= member_settings.CAPTCHA_TIMEOUT:
        return None
    return answer


def _now() -> float:
    return time.time()
