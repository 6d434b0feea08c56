"""Headers everywhere: pages, static files and every error answer carry the same protections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import Client

from member.tests.helpers import CAPTCHA_URL, LOGIN_URL, one_worker_each
from qa.site_under_test import Site, Visitor, serve_site

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


# Each server's tests on one xdist worker (--dist loadgroup): the server starts once.
@pytest.fixture(
    scope="module",
    params=one_worker_each("headers", ("runserver", "gunicorn")),
)
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


# The site-wide policy, built once


# Signed-in pages


def member_url_names() -> set[str]:
    from member import urls

    return {f"member:{pattern.name}" for pattern in urls.urlpatterns if pattern.name}


SIGNED_IN_GETS = {
    "member:home": "/member/",
    "member:login": "/member/login/",
    "member:logout": "/member/logout/",
    "member:register": "/member/register/",
    "member:captcha": "/member/captcha/",
    "member:captcha_audio": "/member/captcha/audio/",
    "member:captcha_debug_hook": "/member/debug/captcha/",
    "member:password_change": "/member/password/change/",
    "member:password_reset": "/member/password/reset/",
    "member:password_reset_done": "/member/password/reset/sent/",
    "member:password_reset_confirm": "/member/password/reset/MQ/set-password/",
}


def test_the_list_of_signed_in_pages_names_every_url_of_the_site() -> None:
    assert set(SIGNED_IN_GETS) == member_url_names()


@pytest.mark.parametrize("name", sorted(SIGNED_IN_GETS))
def test_every_page_a_signed_in_member_gets_is_never_cached(
    name: str, member: Any, client: Client
) -> None:
    client.force_login(member)

    response = client.get(SIGNED_IN_GETS[name])

    assert "no-store" in response.headers["Cache-Control"], (name, response.status_code)
    assert (
        "private" in response.headers["Cache-Control"]
        or "no-cache" in response.headers["Cache-Control"]
    )


def test_the_admin_a_staff_member_sees_is_never_cached(member: Any, client: Client) -> None:
    member.is_staff = member.is_superuser = True
    member.save()
    client.force_login(member)

    for path in ("/admin/", "/admin/member/member/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path


def test_a_page_that_sets_its_own_caching_keeps_it(rf: Any, member: Any) -> None:
    """The rule fills a gap; it does not overrule a view that decided."""
    from django.contrib.auth import SESSION_KEY

    from member.middleware import NeverCachedMiddleware

    class SignedInSession(dict):
        accessed = True

    request = rf.get("/")
    request.session = SignedInSession({SESSION_KEY: str(member.pk)})
    response = HttpResponse("public")
    response["Cache-Control"] = "public, max-age=60"

    answered = NeverCachedMiddleware(lambda request: response)(request)

    assert answered["Cache-Control"] == "public, max-age=60"
