"""System checks: configurations that would break the captcha's promises, and every app setting's
type and range (``SETTING_RULES``, one id per setting), so a mistake stops start-up instead of
failing each request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from member.conf import member_settings

SIGNED_COOKIE_SESSIONS = "django.contrib.sessions.backends.signed_cookies"


@register(Tags.security, deploy=True)
def check_debug_hook_off(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if member_settings.CAPTCHA_DEBUG_HOOK:
        return [
            Error(
                "The captcha debug hook is on: anyone can read the captcha answer.",
                hint="Unset MEMBER_CAPTCHA_DEBUG_HOOK (it is for tests and development only).",
                id="member.E001",
            )
        ]
    return []


@register(Tags.security)
def check_session_kept_server_side(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.SESSION_ENGINE == SIGNED_COOKIE_SESSIONS:
        return [
            Error(
                "Sessions are stored in a signed cookie, so the captcha answer would be readable "
                "by the browser.",
                hint="Use a server-side SESSION_ENGINE (db, cache or cached_db).",
                id="member.E002",
            )
        ]
    return []


@register()
def check_captcha_alphabet(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    length = member_settings.CAPTCHA_LENGTH
    alphabet = member_settings.CAPTCHA_ALPHABET
    if not isinstance(alphabet, str):
        return []  # member.E010 says what is wrong
    if not isinstance(length, int) or not 1 <= length <= len(set(alphabet)):
        return [
            Error(
                f"MEMBER_CAPTCHA_LENGTH is {length!r}, but a challenge needs that many distinct "
                f"characters and MEMBER_CAPTCHA_ALPHABET has {len(set(alphabet))}.",
                id="member.E003",
            )
        ]
    if len(set(alphabet)) != len(alphabet) or len({c.upper() for c in alphabet}) != len(alphabet):
        return [
            Error(
                "MEMBER_CAPTCHA_ALPHABET repeats a character (answers ignore letter case).",
                id="member.E004",
            )
        ]
    return []


def _whole(minimum: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _image_size(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(_whole(1)(side) for side in value)
    )


# (check id, setting without the MEMBER_ prefix, rule, what the rule asks for)
SETTING_RULES: list[tuple[str, str, Callable[[Any], bool], str]] = [
    ("member.E010", "CAPTCHA_ALPHABET", lambda v: isinstance(v, str) and bool(v), "a string"),
    ("member.E011", "CAPTCHA_LENGTH", _whole(1), "a whole number of at least 1"),
    ("member.E012", "CAPTCHA_TIMEOUT", _whole(1), "a whole number of seconds, at least 1"),
    ("member.E013", "CAPTCHA_IMAGE_SIZE", _image_size, "a (width, height) pair of whole numbers"),
    ("member.E014", "CAPTCHA_IMAGE_SCALE", _whole(1), "a whole number of at least 1"),
    (
        "member.E015",
        "CAPTCHA_FONT",
        lambda v: v is None or (isinstance(v, str) and bool(v)),
        "None or the path of a font file",
    ),
    ("member.E016", "CAPTCHA_DEBUG_HOOK", lambda v: isinstance(v, bool), "True or False"),
    ("member.E017", "CAPTCHA_RATE_LIMIT", _whole(0), "a whole number, 0 for no limit"),
    ("member.E018", "LOGIN_FAILURES_PER_ACCOUNT", _whole(1), "a whole number of at least 1"),
    ("member.E019", "LOGIN_FAILURES_PER_CLIENT", _whole(1), "a whole number of at least 1"),
    ("member.E020", "LOGIN_FAILURE_WINDOW", _whole(1), "a whole number of seconds, at least 1"),
    ("member.E021", "DEVICE_TOKEN_AGE", _whole(1), "a whole number of seconds, at least 1"),
    ("member.E022", "DEVICE_FAILURES", _whole(1), "a whole number of at least 1"),
    ("member.E023", "TRUSTED_PROXY_COUNT", _whole(0), "a whole number, 0 for no proxy"),
    ("member.E024", "REMEMBER_ME_AGE", _whole(1), "a whole number of seconds, at least 1"),
]


@register()
def check_setting_types(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for check_id, name, rule, expected in SETTING_RULES:
        value = getattr(member_settings, name)
        if not rule(value):
            errors.append(Error(f"MEMBER_{name} must be {expected}, not {value!r}.", id=check_id))
    return errors
