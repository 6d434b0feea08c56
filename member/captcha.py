"""The captcha: make a challenge, render it (an image, or speech), verify an answer against the
session.

This module is the only place an answer is compared. A challenge lives server-side, in the
visitor's session (``SESSION_KEY``: the answer, when it was issued, and a random id), never in a
cookie, the page, a URL or a header. It is valid for ``CAPTCHA_TIMEOUT`` seconds and is used up by
the first answer checked against it, right or wrong: exactly one of many requests that arrive at
once with the same session gets to compare, because spending a challenge is one atomic step of
the shared counter store (``ratelimit.consume`` on the challenge's id, with a limit of one).

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

from member import captcha_audio, ratelimit
from member.captcha_image import render_png
from member.conf import member_settings

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
    session[SESSION_KEY] = {
        "answer": answer,
        "issued_at": _now() if now is None else now,
        "id": secrets.token_urlsafe(16),
    }
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


def verify(
    session: MutableMapping[str, Any], answer: str | None, *, now: float | None = None
) -> bool:
    """Whether ``answer`` solves the session's challenge; the challenge is used up either way.

    Of many concurrent calls for one challenge, only the one that spends it compares; the others
    fail. No challenge, an expired one or a missing answer is simply wrong. The comparison takes
    constant time.
    """
    challenge = session.pop(SESSION_KEY, None)
    if not isinstance(challenge, dict) or not spend(challenge):
        return False  # none, or another request used it up first
    if not isinstance(answer, str) or len(answer) > MAX_ANSWER_LENGTH:
        return False
    expected = _unexpired_answer(challenge, _now() if now is None else now)
    if expected is None:
        return False
    given = normalise_answer(answer)
    return hmac.compare_digest(given.encode(), expected.upper().encode())


def spend(challenge: Mapping[str, Any]) -> bool:
    """Use ``challenge`` up for good: True for the one caller that does, whoever else tries.

    A counter with a limit of one in the store every app server shares: the same atomic step
    that bounds password checks (a primary-key insert in the database, ``INCR`` in Redis).
    """
    challenge_id = challenge.get("id")
    if not isinstance(challenge_id, str) or not challenge_id:
        return False
    refusal = ratelimit.consume(
        f"captcha:{challenge_id}", limit=1, window=member_settings.CAPTCHA_TIMEOUT
    )
    return refusal is None


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
