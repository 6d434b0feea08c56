"""Headers everywhere: pages, static files and every error answer carry the same protections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from member.tests.helpers import CAPTCHA_URL, LOGIN_URL
from qa.servers import Site, Visitor, serve_site

pytestmark = pytest.mark.django_db


def assert_protected(response: Any) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def assert_not_cached(response: Any) -> None:
    assert "no-store" in response.headers["Cache-Control"]


def test_pages_are_protected_and_never_cached(client: Client) -> None:
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert_protected(response)
    assert_not_cached(response)


def test_a_404_is_protected_and_never_cached(client: Client) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert_protected(response)
    assert_not_cached(response)


def test_an_unknown_host_gets_a_protected_400(client: Client) -> None:
    response = client.get(LOGIN_URL, HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert_protected(response)
    assert_not_cached(response)


def test_a_post_without_csrf_token_gets_a_protected_403() -> None:
    response = Client(enforce_csrf_checks=True).post(LOGIN_URL, {})

    assert response.status_code == 403
    assert_protected(response)
    assert_not_cached(response)


def test_a_wrong_method_gets_a_protected_405(client: Client) -> None:
    response = client.post(CAPTCHA_URL)

    assert response.status_code == 405
    assert_protected(response)
    assert_not_cached(response)


def test_a_refusal_gets_a_protected_429(client: Client, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 1
    client.get(CAPTCHA_URL)
    response = client.get(CAPTCHA_URL)

    assert response.status_code == 429
    assert_protected(response)
    assert_not_cached(response)


def test_a_server_error_gets_a_protected_500() -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("member.views.captcha.render", side_effect=RuntimeError("boom")):
        response = client.get(CAPTCHA_URL)

    assert response.status_code == 500
    assert_protected(response)
    assert_not_cached(response)


# Static files, as real servers serve them (WhiteNoise, also under the development server)


@pytest.fixture(scope="module", params=["runserver", "gunicorn"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    with serve_site(members=0, kind=request.param, workers=1) as running:
        yield running


def test_static_files_are_protected(site: Site) -> None:
    answer = Visitor(site).get("/static/css/member.css")

    assert answer.status == 200
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    ["/static/../../memberproj/settings.py", "/static/..%2f..%2fmemberproj/settings.py"],
)
def test_a_path_out_of_the_static_folder_is_a_404(site: Site, path: str) -> None:
    answer = Visitor(site).get(path)

    assert answer.status == 404
    assert b"SECRET_KEY" not in answer.body
