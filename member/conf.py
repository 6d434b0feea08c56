"""The member app's settings: one typed descriptor each, read from Django settings on access.

``member_settings.CAPTCHA_LENGTH`` is ``settings.MEMBER_CAPTCHA_LENGTH`` or its default. Reading
lazily (rather than copying values at import) keeps ``override_settings`` and pytest-django's
``settings`` fixture working, the way django-cors-headers' ``conf.py`` does. Each setting carries
its rule and check id: ``member/checks.py`` refuses a value of the wrong type or range at start-up
(``manage.py check``, ``make serve``), so a mistake never waits for a request to surface.

Adding a setting is one declaration below: default, rule, check id, and a comment with its unit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.conf import settings

T = TypeVar("T")


def whole(minimum: int) -> Callable[[Any], bool]:
    """A rule: an ``int`` (not a ``bool``) of at least ``minimum``."""
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def networks(value: Any) -> bool:
    """A rule: a list or tuple of IP addresses or CIDR ranges (``10.0.0.0/8``)."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        return False
    try:
        for item in value:
            ipaddress.ip_network(item.strip(), strict=False)
    except ValueError:
        return False
    return True


def size_pair(value: Any) -> bool:
    return isinstance(value, tuple | list) and len(value) == 2 and all(map(whole(1), value))


def whole_list(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(map(whole(0), value))


@dataclass(frozen=True)
class Setting(Generic[T]):
    """``MEMBER_<name>`` with ``default``; ``rule`` says what a valid value is (``expected``)."""

    default: T
    rule: Callable[[Any], bool]
    expected: str
    check_id: str
    name: str = ""

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> T | Setting[T]:
        if instance is None:
            return self
        return getattr(settings, f"MEMBER_{self.name}", self.default)


class MemberSettings:
    # Characters a challenge draws from (distinct, ignoring letter case), and how many it has.
    CAPTCHA_ALPHABET = Setting[str](
        "0123456789ABCDEF", lambda v: isinstance(v, str) and bool(v), "a string", "member.E010"
    )
    CAPTCHA_LENGTH = Setting[int](5, whole(1), "a whole number of at least 1", "member.E011")
    # Seconds a challenge stays valid after its image was made.
    CAPTCHA_TIMEOUT = Setting[int](300, whole(1), "a whole number of seconds", "member.E012")
    # Displayed size of the image in CSS pixels; drawn at CAPTCHA_IMAGE_SCALE times that.
    CAPTCHA_IMAGE_SIZE = Setting[tuple[int, int]](
        (150, 50), size_pair, "a (width, height) pair of whole numbers", "member.E013"
    )
    CAPTCHA_IMAGE_SCALE = Setting[int](2, whole(1), "a whole number of at least 1", "member.E014")
    # Font file for the image: a path, or None for the design's Kavivanar from static/fonts/.
    CAPTCHA_FONT = Setting[str | None](
        None,
        lambda v: v is None or (isinstance(v, str) and bool(v)),
        "None or the path of a font file",
        "member.E015",
    )
    # The /member/debug/captcha/ hook for browser tests. Never on in production (member.E001).
    CAPTCHA_DEBUG_HOOK = Setting[bool](
        False, lambda v: isinstance(v, bool), "True or False", "member.E016"
    )
    # Captcha images and audio (one budget) a client address may fetch per minute; 0: no limit.
    CAPTCHA_RATE_LIMIT = Setting[int](30, whole(0), "a whole number, 0 for none", "member.E017")
    # Password checks per account and failures per client address (wrong captchas included) in
    # a window of LOGIN_FAILURE_WINDOW seconds.
    LOGIN_FAILURES_PER_ACCOUNT = Setting[int](
        10, whole(1), "a whole number of at least 1", "member.E018"
    )
    LOGIN_FAILURES_PER_CLIENT = Setting[int](
        100, whole(1), "a whole number of at least 1", "member.E019"
    )
    LOGIN_FAILURE_WINDOW = Setting[int](
        15 * 60, whole(1), "a whole number of seconds", "member.E020"
    )
    # A browser that signed in to an account holds a device token for it this many seconds; its
    # attempts skip the account-wide lockout and have DEVICE_FAILURES checks of their own.
    DEVICE_TOKEN_AGE = Setting[int](
        180 * 24 * 3600, whole(1), "a whole number of seconds", "member.E021"
    )
    DEVICE_FAILURES = Setting[int](5, whole(1), "a whole number of at least 1", "member.E022")
    # Password-reset mails one email address may be sent per hour, and reset requests one client
    # address may make per hour (both counted the same for known and unknown addresses).
    PASSWORD_RESET_MAILS_PER_ADDRESS = Setting[int](
        3, whole(1), "a whole number of at least 1", "member.E025"
    )
    PASSWORD_RESET_REQUESTS_PER_CLIENT = Setting[int](
        20, whole(1), "a whole number of at least 1", "member.E026"
    )
    # Seconds to wait before each further attempt at a mail the mail server did not take (down,
    # refused, timed out); after the last one the mail is given up and logged as an error. The
    # default tries five times over about an hour and a half; () tries once.
    MAIL_RETRY_DELAYS = Setting[tuple[int, ...]](
        (60, 300, 1800, 3600), whole_list, "a list of whole numbers of seconds", "member.E027"
    )
    # Reverse proxies in front that append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
    TRUSTED_PROXY_COUNT = Setting[int](0, whole(0), "a whole number, 0 for none", "member.E023")
    # Or the trusted proxies by address: X-Forwarded-For is walked from the right over these.
    TRUSTED_PROXIES = Setting[list[str] | tuple[str, ...]](
        (), networks, "a list of IP addresses or CIDR ranges", "member.E030"
    )
    # Seconds a "remember me" session lasts after sign-in.
    REMEMBER_ME_AGE = Setting[int](
        7 * 24 * 3600, whole(1), "a whole number of seconds", "member.E024"
    )

    @classmethod
    def all(cls) -> list[Setting[Any]]:
        return [value for value in vars(cls).values() if isinstance(value, Setting)]


member_settings = MemberSettings()
