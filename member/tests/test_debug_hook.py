"""GET /member/debug/captcha/: the test-only hook, off by default, scoped to the calling session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from member.tests.helpers import DEBUG_HOOK_URL, new_captcha, post_login

pytestmark = pytest.mark.django_db


def test_hook_is_off_without_a_setting(client: Client, settings: Any) -> None:
    del settings.MEMBER_CAPTCHA_DEBUG_HOOK

    assert client.get(DEBUG_HOOK_URL).status_code == 404


def test_hook_answers_404_when_off(client: Client, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = False
    new_captcha(client)

    response = client.get(DEBUG_HOOK_URL)

    assert response.status_code == 404
    assert b"captcha" not in response.content


def test_hook_returns_the_calling_sessions_answer(client: Client) -> None:
    answer = new_captcha(client)

    response = client.get(DEBUG_HOOK_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"captcha": answer}


def test_hook_does_not_use_the_challenge_up(client: Client) -> None:
    answer = new_captcha(client)

    client.get(DEBUG_HOOK_URL)

    assert client.get(DEBUG_HOOK_URL).json() == {"captcha": answer}


def test_hook_returns_null_without_a_challenge(client: Client) -> None:
    response = client.get(DEBUG_HOOK_URL)

    assert response.status_code == 200
    assert response.json() == {"captcha": None}


def test_hook_returns_null_once_a_post_used_the_challenge_up(client: Client) -> None:
    answer = new_captcha(client)
    post_login(client, email="nobody@example.com", answer=answer[::-1])

    assert client.get(DEBUG_HOOK_URL).json() == {"captcha": None}


def test_another_client_does_not_see_the_answer(client: Client) -> None:
    new_captcha(client)
    stranger = Client()

    assert stranger.get(DEBUG_HOOK_URL).json() == {"captcha": None}


def test_hook_is_not_cached(client: Client) -> None:
    assert "no-store" in client.get(DEBUG_HOOK_URL)["Cache-Control"]
