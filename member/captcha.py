"""The image captcha: make a challenge, render it, verify an answer against the session.

This module is the only place an answer is compared. A challenge lives server-side in the session
(never in a cookie, the page, a URL or a header), is valid for ``CAPTCHA_TIMEOUT`` seconds and is
used up by the first answer checked against it, right or wrong.

Time is injectable (``now=``) so expiry is tested without sleeping.
"""

from __future__ import annotations

import hmac
import secrets
import time
from functools import cache
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

from member.captcha_image import render_png
from member.conf import member_settings

SESSION_KEY = "member_captcha"
DEFAULT_FONT = "fonts/Kavivanar-Regular.woff"

# A bound on what is worth comparing: longer input cannot be a right answer and is not looked at.
MAX_ANSWER_LENGTH = 64


def make_challenge(session: Any, *, now: float | None = None) -> str:
    """Draw a new answer, store it in ``session`` (replacing any earlier one) and return it.

    The answer has ``CAPTCHA_LENGTH`` distinct characters of ``CAPTCHA_ALPHABET``, drawn with
    ``secrets`` as the design does with ``random.sample``.
    """
    alphabet = list(member_settings.CAPTCHA_ALPHABET)
    pool = secrets.SystemRandom()
    answer = "".join(pool.sample(alphabet, member_settings.CAPTCHA_LENGTH))
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


def verify(session: Any, answer: str | None, *, now: float | None = None) -> bool:
    """Whether ``answer`` solves the session's challenge; the challenge is used up either way.

    Case and surrounding spaces are ignored; the comparison takes constant time. No challenge, an
    expired one or a missing answer is simply wrong.
    """
    challenge = session.pop(SESSION_KEY, None)
    if not isinstance(challenge, dict) or not isinstance(answer, str):
        return False
    if _expired(challenge, _now() if now is None else now):
        return False
    given = answer.strip().upper()
    if len(given) > MAX_ANSWER_LENGTH:
        return False
    expected = challenge.get("answer")
    if not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.upper().encode())


def current_answer(session: Any, *, now: float | None = None) -> str | None:
    """The session's unexpired answer without using it up: for the test-only debug hook."""
    challenge = session.get(SESSION_KEY)
    if not isinstance(challenge, dict) or _expired(challenge, _now() if now is None else now):
        return None
    answer = challenge.get("answer")
    return answer if isinstance(answer, str) else None


def font_path() -> str:
    """The configured font file, or the design's Kavivanar found through the static files."""
    return member_settings.CAPTCHA_FONT or _find_static(DEFAULT_FONT)


@cache
def _find_static(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise ImproperlyConfigured(f"The captcha font {path} is missing from the static files.")
    return str(found)


def _expired(challenge: dict, now: float) -> bool:
    issued_at = challenge.get("issued_at")
    if not isinstance(issued_at, int | float):
        return True
    return not 0 <= now - issued_at <= member_settings.CAPTCHA_TIMEOUT


def _now() -> float:
    return time.time()
