"""Traditional Chinese by default, English when the browser asks for it."""

from __future__ import annotations

import pytest
from django.test import Client

from member.models import Member
from member.tests.helpers import (
    HOME_URL,
    LOGIN_URL,
    REGISTER_URL,
    new_captcha,
    post_login,
    register_data,
)
from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG, SIGNED_IN

pytestmark = pytest.mark.django_db

ENGLISH = {"accept-language": "en"}


def test_login_page_is_in_traditional_chinese_by_default(client: Client) -> None:
    content = client.get(LOGIN_URL).content.decode()

    assert '<html lang="zh-hant">' in content
    assert "<title>會員登入</title>" in content


@pytest.mark.parametrize("accept_language", ["zh-TW", "zh-Hant", "zh-TW,zh;q=0.9,en;q=0.8"])
def test_chinese_browsers_get_traditional_chinese(client: Client, accept_language: str) -> None:
    content = client.get(LOGIN_URL, headers={"accept-language": accept_language}).content.decode()

    assert "<title>會員登入</title>" in content


def test_english_browsers_get_the_english_login_page(client: Client) -> None:
    content = client.get(LOGIN_URL, headers=ENGLISH).content.decode()

    assert '<html lang="en">' in content
    assert "<title>Member sign-in</title>" in content


def test_unsupported_language_falls_back_to_traditional_chinese(client: Client) -> None:
    content = client.get(LOGIN_URL, headers={"accept-language": "fr"}).content.decode()

    assert "<title>會員登入</title>" in content


def test_wrong_captcha_message_in_both_languages(client: Client, member: Member) -> None:
    chinese = post_login(client, answer=new_captcha(client)[::-1]).content.decode()
    english = post_login(client, answer=new_captcha(client)[::-1], headers=ENGLISH).content.decode()

    assert CAPTCHA_WRONG in chinese
    assert "The captcha is wrong." in english
    assert CAPTCHA_WRONG not in english


def test_bad_credentials_message_in_both_languages(client: Client, member: Member) -> None:
    chinese = post_login(client, password="not-the-password").content.decode()
    english = post_login(client, password="not-the-password", headers=ENGLISH).content.decode()

    assert BAD_CREDENTIALS in chinese
    assert "Sign-in failed: wrong email or password." in english
    assert BAD_CREDENTIALS not in english


def test_signed_in_message_in_english(client: Client, member: Member) -> None:
    post_login(client, headers=ENGLISH)

    assert "Signed in." in client.get(HOME_URL, headers=ENGLISH).content.decode()


def test_signed_in_message_in_chinese(client: Client, member: Member) -> None:
    post_login(client)

    assert SIGNED_IN in client.get(HOME_URL).content.decode()


def test_password_validator_messages_are_translated(
    client: Client, fast_password_hasher: None
) -> None:
    chinese = client.post(REGISTER_URL, register_data(client, password="k9!x")).content.decode()
    english = client.post(
        REGISTER_URL, register_data(client, password="k9!x"), headers=ENGLISH
    ).content.decode()

    assert "密碼太短" in chinese
    assert "This password is too short" in english


def test_register_page_in_english(client: Client) -> None:
    content = client.get(REGISTER_URL, headers=ENGLISH).content.decode()

    assert "<title>Sign up</title>" in content
    assert "Password again" in content
