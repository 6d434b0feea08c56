"""The member app's settings: one typed property each, read from Django settings on access.

``member_settings.CAPTCHA_LENGTH`` is ``settings.MEMBER_CAPTCHA_LENGTH`` or its default. Reading
lazily (rather than copying values at import) keeps ``override_settings`` and pytest-django's
``settings`` fixture working, the way django-cors-headers' ``conf.py`` does. Every setting has a
system check (``member/checks.py``) that refuses a value of the wrong type or range at start-up,
so a mistake never waits for a request to surface.

Adding a setting: a property here (type, default, unit in the docstring) and a rule in
``checks.SETTING_RULES``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, f"MEMBER_{name}", default)


class MemberSettings:
    @property
    def CAPTCHA_ALPHABET(self) -> str:
        """Characters a challenge draws from, distinct ignoring letter case."""
        return _setting("CAPTCHA_ALPHABET", "0123456789ABCDEF")

    @property
    def CAPTCHA_LENGTH(self) -> int:
        """How many distinct characters a challenge has."""
        return _setting("CAPTCHA_LENGTH", 5)

    @property
    def CAPTCHA_TIMEOUT(self) -> int:
        """Seconds a challenge stays valid after its image was made."""
        return _setting("CAPTCHA_TIMEOUT", 300)

    @property
    def CAPTCHA_IMAGE_SIZE(self) -> tuple[int, int]:
        """Displayed width and height of the image in CSS pixels."""
        return _setting("CAPTCHA_IMAGE_SIZE", (150, 50))

    @property
    def CAPTCHA_IMAGE_SCALE(self) -> int:
        """The image is drawn this many times its displayed size (sharp on dense screens)."""
        return _setting("CAPTCHA_IMAGE_SCALE", 2)

    @property
    def CAPTCHA_FONT(self) -> str | None:
        """Font file for the image: a path, or ``None`` for the design's Kavivanar."""
        return _setting("CAPTCHA_FONT", None)

    @property
    def CAPTCHA_DEBUG_HOOK(self) -> bool:
        """The /member/debug/captcha/ hook for browser tests; never on in production (E001)."""
        return _setting("CAPTCHA_DEBUG_HOOK", False)

    @property
    def CAPTCHA_RATE_LIMIT(self) -> int:
        """Captcha images one client address may fetch per minute; 0 turns the limit off."""
        return _setting("CAPTCHA_RATE_LIMIT", 30)

    @property
    def LOGIN_FAILURES_PER_ACCOUNT(self) -> int:
        """Password checks an account (known or not) gets per LOGIN_FAILURE_WINDOW."""
        return _setting("LOGIN_FAILURES_PER_ACCOUNT", 10)

    @property
    def LOGIN_FAILURES_PER_CLIENT(self) -> int:
        """Failures (wrong captchas included) a client address may have per window."""
        return _setting("LOGIN_FAILURES_PER_CLIENT", 100)

    @property
    def LOGIN_FAILURE_WINDOW(self) -> int:
        """Seconds a sign-in counter's window lasts."""
        return _setting("LOGIN_FAILURE_WINDOW", 15 * 60)

    @property
    def DEVICE_TOKEN_AGE(self) -> int:
        """Seconds a browser keeps the device token it gets on signing in."""
        return _setting("DEVICE_TOKEN_AGE", 180 * 24 * 60 * 60)

    @property
    def DEVICE_FAILURES(self) -> int:
        """Password checks a remembered device gets per window (beside the account's lockout)."""
        return _setting("DEVICE_FAILURES", 5)

    @property
    def TRUSTED_PROXY_COUNT(self) -> int:
        """Reverse proxies in front that append to X-Forwarded-For; 0 trusts REMOTE_ADDR only."""
        return _setting("TRUSTED_PROXY_COUNT", 0)

    @property
    def REMEMBER_ME_AGE(self) -> int:
        """Seconds a "remember me" session lasts after sign-in."""
        return _setting("REMEMBER_ME_AGE", 7 * 24 * 60 * 60)


member_settings = MemberSettings()
