"""System checks: configurations that would break the captcha's promises, and every app setting's
type and range (the rules live beside each setting in ``member.conf``, one id per setting), so a
mistake stops start-up instead of failing each request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, register

from member import captcha_audio
from member.conf import MemberSettings, member_settings

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


@register()
def check_speech_engine(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The audio captcha's engine and voices load: a broken install fails at start-up, not at the
    first visitor who presses the audio button."""
    try:
        captcha_audio.engine.check()
    except captcha_audio.SpeechUnavailable as error:
        return [
            Error(
                f"The audio captcha cannot speak: {error}",
                hint="Install the locked dependencies again (espeakng-loader bundles the voices).",
                id="member.E005",
            )
        ]
    return []


@register()
def check_setting_types(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every app setting against its rule (``member.conf``), each with its own id."""
    errors: list[CheckMessage] = []
    for setting in MemberSettings.all():
        value = getattr(member_settings, setting.name)
        if not setting.rule(value):
            errors.append(
                Error(
                    f"MEMBER_{setting.name} must be {setting.expected}, not {value!r}.",
                    id=setting.check_id,
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_mail_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG and not getattr(settings, "EMAIL_URL", ""):
        return [
            Info(
                "EMAIL_URL is not set: password-reset mails are printed on the server console "
                "instead of being sent.",
                hint="Set EMAIL_URL, e.g. smtp://user:password@mail.example.com:587/?tls=True",
                id="member.I001",
            )
        ]
    return []
