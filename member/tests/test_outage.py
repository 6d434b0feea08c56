"""A shared service down: 503 with Retry-After and a short text in the visitor's language.

In-process, with the cache pointed at a Redis nobody listens on (a free loopback port); the real
servers stopped and started under a running site are in qa/tests/test_faults.py.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from member.tests.helpers import CAPTCHA_URL, LOGIN_URL, recording_password_work
from qa.contract import CAPTCHA_WRONG
from qa.throwaway_servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"


def test_with_redis_down_a_captcha_gets_503_in_chinese(redis_down: None) -> None:
    response = Client(raise_request_exception=False).get(CAPTCHA_URL)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "網站暫時無法使用" in response.content.decode()


def test_with_redis_down_a_sign_in_signs_nobody_in_and_checks_no_password(
    redis_down: None,
) -> None:
    """Django reads a session it cannot load as an empty one: no challenge, so the captcha is
    wrong, and the image the page then asks for answers 503."""
    client = Client(raise_request_exception=False)
    data = {"useremail": "ada@example.com", "userpassword": "x", "captcha": "ABCDE"}

    with recording_password_work() as work:
        response = client.post(LOGIN_URL, data)

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert work.none
    assert client.get(CAPTCHA_URL).status_code == 503


def test_with_redis_down_the_login_page_itself_still_shows(redis_down: None) -> None:
    """It needs nothing Redis holds: Django reads a session it cannot load as an empty one."""
    assert Client(raise_request_exception=False).get(LOGIN_URL).status_code == 200


def test_with_redis_down_an_english_visitor_reads_english(redis_down: None) -> None:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")

    response = client.get(CAPTCHA_URL)

    assert response.status_code == 503
    assert "briefly unavailable" in response.content.decode()


def test_with_the_database_down_a_request_gets_503() -> None:
    with mock.patch("member.views.captcha.make_challenge", side_effect=OperationalError("down")):
        response = Client(raise_request_exception=False).get(CAPTCHA_URL)

    assert response.status_code == 503


def test_any_other_error_is_still_a_500() -> None:
    with mock.patch("member.views.captcha.make_challenge", side_effect=ValueError("bug")):
        response = Client(raise_request_exception=False).get(CAPTCHA_URL)

    assert response.status_code == 500
