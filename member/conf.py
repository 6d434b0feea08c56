"""The member app's settings, each read from Django settings on access with a documented default.

Reading lazily (rather than copying values at import) keeps ``override_settings`` and
pytest-django's ``settings`` fixture working, the way django-cors-headers' ``conf.py`` does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Characters a challenge draws from, and how many distinct ones it has.
    "CAPTCHA_ALPHABET": "0123456789ABCDEF",
    "CAPTCHA_LENGTH": 5,
    # Seconds a challenge stays valid after its image was made.
    "CAPTCHA_TIMEOUT": 300,
    # Displayed size of the image in CSS pixels; it is drawn at CAPTCHA_IMAGE_SCALE times that so
    # it stays sharp on high-density screens.
    "CAPTCHA_IMAGE_SIZE": (150, 50),
    "CAPTCHA_IMAGE_SCALE": 2,
    # Font file for the image: a path, or None for the design's Kavivanar from static/fonts/.
    "CAPTCHA_FONT": None,
    # The /member/debug/captcha/ hook for browser tests. Never on in production (check member.E001).
    "CAPTCHA_DEBUG_HOOK": False,
    # Captcha images one client address may fetch per minute; 0 turns the limit off.
    "CAPTCHA_RATE_LIMIT": 30,
    # Failed sign-ins within LOGIN_FAILURE_WINDOW seconds that lock an account (known or not)
    # or a client address out for that long. Wrong captchas count for the address only.
    "LOGIN_FAILURES_PER_ACCOUNT": 10,
    "LOGIN_FAILURES_PER_CLIENT": 100,
    "LOGIN_FAILURE_WINDOW": 15 * 60,
    # A browser that signed in to an account holds a device token for it this many seconds; its
    # attempts at that account skip the account-wide lockout and have DEVICE_FAILURES of their own
    # per LOGIN_FAILURE_WINDOW.
    "DEVICE_TOKEN_AGE": 180 * 24 * 60 * 60,
    "DEVICE_FAILURES": 5,
    # Reverse proxies in front that append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
    "TRUSTED_PROXY_COUNT": 0,
    # Seconds a "remember me" session lasts after sign-in.
    "REMEMBER_ME_AGE": 7 * 24 * 60 * 60,
}


class MemberSettings:
    """``member_settings.CAPTCHA_LENGTH`` is ``settings.MEMBER_CAPTCHA_LENGTH`` or its default."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, f"MEMBER_{name}", DEFAULTS[name])


member_settings = MemberSettings()
