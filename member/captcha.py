"""The captcha: make a challenge, render it (an image, or speech), verify an answer against the
session.

This module is the only place an answer is compared. A challenge lives server-side, in the
visitor's session (``SESSION_KEY``: the answer and when it was issued; the session engine keeps
the data server-side, ``member.E002``), never in a cookie, the page, a URL or a header. It is valid
for ``CAPTCHA_TIMEOUT`` seconds and is used up by the first answer checked against it, right or
wrong.

Using a challenge up is one atomic step that exactly one request wins, however many arrive at once
with the same session: ``verify()`` takes the challenge out of the session and *retires the
session's key* (``member.session_engines``): the stored copy is deleted, and only the request
whose delete removed it compares an answer; the request goes on under a new key. Popping the
answer alone (the first design) was not atomic: every request loaded the same session row, popped
its own copy in memory, and the row was written back only with the response, so a burst of POSTs
on one session all got past one solved captcha.

Keeping the challenge in the session, rather than in a store of its own, makes a new visitor's
image one write (the session) instead of two, and there is nothing to keep in step: a challenge
ends with its session, and ``clearsessions`` clears both. django-allauth keeps its sign-in codes
in the session the same way.

Time is injectable (``now=``) so expiry is tested without sleeping.
"""

from __future__ import annotations

import hmac
import secrets
import time
import unicodedata
from collections.abc import Mapping, MutableMapping
from functools import cache
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

from member import captcha_audio
from member.captcha_image import render_png
from member.conf import member_settings
from member.session_engines import RetiringSession

SESSION_KEY = "member_captcha"
DEFAULT_FONT = "fonts/Kavivanar-Regular.woff"

# A bound on what is worth comparing: longer input cannot be a right answer and is not looked at.
MAX_ANSWER_LENGTH = 64


def make_challenge(session: MutableMapping[str, Any], *, now: float | None = None) -> str:
    """Draw a new answer, bind it to ``session`` (replacing any earlier one) and return it.

    The answer has ``CAPTCHA_LENGTH`` distinct characters of ``CAPTCHA_ALPHABET``, drawn with
    ``secrets`` as the design does with ``random.sample``.
    """
    alphabet = list(member_settings.CAPTCHA_ALPHABET)
    answer = "".join(secrets.SystemRandom().sample(alphabet, member_settings.CAPTCHA_LENGTH))
    session[SESSION_KEY] = {"answer": answer, "issued_at": _now() if now is None else now}
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


def verify(session: RetiringSession, answer: str | None, *, now: float | None = None) -> bool:
    """Whether ``answer`` solves the session's challenge; the challenge is used up either way.

    Of many concurrent calls for one challenge, only the one that retired the session's key
    compares; the others fail. No challenge, an expired one or a missing answer is simply wrong.
    The comparison takes constant time.
    """
    challenge = session.pop(SESSION_KEY, None)
    if challenge is None:
        return False
    if not session.retire_key():
        return False  # another request used it up first (or the session was never stored)
    if not isinstance(answer, str) or len(answer) > MAX_ANSWER_LENGTH:
        return False
    expected = _unexpired_answer(challenge, _now() if now is None else now)
    if expected is None:
        return False
    given = normalise_answer(answer)
    return hmac.compare_digest(given.encode(), expected.upper().encode())


def current_answer(session: Mapping[str, Any], *, now: float | None = None) -> str | None:
    """The session's unexpired answer without using it up or replacing it: for the audio captcha
    (which reads out the challenge the image shows) and the test-only debug hook."""
    return _unexpired_answer(session.get(SESSION_KEY), _now() if now is None else now)


def font_path() -> str:
    """The configured font file, or the design's Kavivanar found through the static files."""
    return member_settings.CAPTCHA_FONT or _find_static(DEFAULT_FONT)


@cache
def _find_static(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise ImproperlyConfigured(f"The captcha font {path} is missing from the static files.")
    return str(found)


def _unexpired_answer(challenge: Any, now: float) -> str | None:
    """The challenge's answer, or ``None`` for a missing, malformed or expired one."""
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
