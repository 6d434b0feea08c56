"""System checks: the captcha's promises (member.E001-E005), every app setting's type (E010-E030).

``manage.py check --deploy`` in a production environment is tested in test_production.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks

from member import captcha_audio

REPOSITORY = Path(django_settings.BASE_DIR)
SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


def check_ids(*, deploy: bool = False) -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=deploy)}


def test_debug_hook_on_fails_the_deploy_check(settings: Any) -> None:
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = True

    assert "member.E001" in check_ids(deploy=True)


def test_debug_hook_is_a_deploy_check_only(settings: Any) -> None:
    # Tests and development run with the hook on; only ``check --deploy`` refuses it.
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = True

    assert "member.E001" not in check_ids(deploy=False)


def test_debug_hook_off_passes_the_deploy_check(settings: Any) -> None:
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = False

    assert "member.E001" not in check_ids(deploy=True)


def test_signed_cookie_sessions_are_refused(settings: Any) -> None:
    settings.SESSION_ENGINE = SIGNED_COOKIES

    assert "member.E002" in check_ids()


def test_server_side_sessions_are_accepted() -> None:
    assert "member.E002" not in check_ids()


@pytest.mark.parametrize(
    ("length", "alphabet"),
    [(0, "0123456789ABCDEF"), (17, "0123456789ABCDEF"), ("5", "0123456789ABCDEF"), (4, "ABC")],
    ids=["zero", "longer-than-alphabet", "not-a-number", "alphabet-too-small"],
)
def test_impossible_length_is_refused(settings: Any, length: Any, alphabet: str) -> None:
    settings.MEMBER_CAPTCHA_LENGTH = length
    settings.MEMBER_CAPTCHA_ALPHABET = alphabet

    assert "member.E003" in check_ids()


@pytest.mark.parametrize("alphabet", ["0123456789ABCDEFA", "0123456789ABCDEFa"])
def test_alphabet_repeating_a_character_is_refused(settings: Any, alphabet: str) -> None:
    settings.MEMBER_CAPTCHA_ALPHABET = alphabet

    assert "member.E004" in check_ids()


def test_default_captcha_settings_pass_the_checks() -> None:
    assert not check_ids() & {"member.E003", "member.E004"}


# Every app setting: its type and range are checked at start-up, each with its own id.


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("CAPTCHA_ALPHABET", 12345, "member.E010"),
        ("CAPTCHA_LENGTH", "5", "member.E011"),
        ("CAPTCHA_TIMEOUT", 0, "member.E012"),
        ("CAPTCHA_IMAGE_SIZE", (150,), "member.E013"),
        ("CAPTCHA_IMAGE_SCALE", 1.5, "member.E014"),
        ("CAPTCHA_FONT", "", "member.E015"),
        ("CAPTCHA_DEBUG_HOOK", "yes", "member.E016"),
        ("CAPTCHA_RATE_LIMIT", -1, "member.E017"),
        ("LOGIN_FAILURES_PER_ACCOUNT", 0, "member.E018"),
        ("LOGIN_FAILURES_PER_CLIENT", True, "member.E019"),
        ("LOGIN_FAILURE_WINDOW", "900", "member.E020"),
        ("DEVICE_TOKEN_AGE", None, "member.E021"),
        ("DEVICE_FAILURES", 0, "member.E022"),
        ("TRUSTED_PROXY_COUNT", "1", "member.E023"),
        ("REMEMBER_ME_AGE", 7.5, "member.E024"),
        ("PASSWORD_RESET_MAILS_PER_ADDRESS", 0, "member.E025"),
        ("PASSWORD_RESET_REQUESTS_PER_CLIENT", "20", "member.E026"),
        ("TRUSTED_PROXIES", "10.0.0.0/8", "member.E030"),
        ("TRUSTED_PROXIES", ["10.0.0.0/33"], "member.E030"),
        ("TRUSTED_PROXIES", ["proxy.internal"], "member.E030"),
    ],
)
def test_a_setting_of_the_wrong_type_or_range_is_refused(
    settings: Any, name: str, value: Any, check_id: str
) -> None:
    setattr(settings, f"MEMBER_{name}", value)

    assert check_id in check_ids()


def test_the_default_settings_pass_every_setting_check() -> None:
    assert not {found for found in check_ids() if found.startswith("member.E0")} - {"member.E001"}


def test_speech_engine_loads() -> None:
    assert "member.E005" not in check_ids()


def test_a_missing_speech_engine_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise captcha_audio.SpeechUnavailable("libespeak-ng could not be loaded: no such file")

    monkeypatch.setattr(captcha_audio.engine, "check", broken)

    assert "member.E005" in check_ids()
