"""Production settings: the deploy check passes, HTTPS behind the proxy, headers, caching, cookies.

The request-level tests run the project's own settings module with the production environment
(``DJANGO_DEBUG=0``) and apply its security settings to the test process, so they test what
``memberproj/settings.py`` really sets rather than a copy written here. The deploy check runs as
a subprocess with a clean environment, as an operator would run it.
"""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client

from member import captcha
from member.models import Member
from member.tests.helpers import CAPTCHA_URL, DEBUG_HOOK_URL, HOME_URL, LOGIN_URL, REGISTER_URL
from member.tests.helpers import MEMBER_EMAIL as EMAIL
from member.tests.helpers import MEMBER_PASSWORD as PASSWORD
from qa import site_under_test

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "memberproj" / "settings.py"

HTTPS = {"X-Forwarded-Proto": "https"}


# The settings a production deployment takes from memberproj/settings.py.
PRODUCTION_KEYS = (
    "DEBUG",
    "MIDDLEWARE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "MEMBER_CAPTCHA_DEBUG_HOOK",
)
PRODUCTION_PREFIXES = ("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_")


def production_environment(**extra: str) -> dict[str, str]:
    """A clean environment for a production process: nothing inherited but the path."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "memberproj.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "member.example.com",
        **extra,
    }


def production_settings() -> dict[str, Any]:
    """The security settings ``memberproj/settings.py`` makes under ``DJANGO_DEBUG=0``."""
    environment = production_environment(DJANGO_ALLOWED_HOSTS="testserver")
    with mock.patch.dict(os.environ, environment, clear=True):
        namespace = runpy.run_path(str(SETTINGS_FILE))
    return {
        name: value
        for name, value in namespace.items()
        if name in PRODUCTION_KEYS or name.startswith(PRODUCTION_PREFIXES)
    }


@pytest.fixture
def production(settings: Any, db: None, fast_password_hasher: None) -> dict[str, Any]:
    """The test process with production's security settings (the debug hook as they set it)."""
    values = production_settings()
    assert values["DEBUG"] is False
    for name, value in values.items():
        setattr(settings, name, value)
    return values


@pytest.fixture
def https_client(production: dict[str, Any]) -> Client:
    return Client(headers=HTTPS)


def run_manage(
    *args: str, environment: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess:
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}"}
    return site_under_test.run_manage({**database, **environment}, *args)


def post_solved(client: Client, url: str, data: dict[str, str]) -> HttpResponse:
    """POST ``data`` with the answer of a challenge put in ``client``'s session just now."""
    session = client.session
    answer = captcha.make_challenge(session)
    session.save()
    return client.post(url, {**data, "captcha": answer})


def signed_in(client: Client) -> HttpResponse:
    """Sign ``client`` in as the member; returns the sign-in response."""
    response = post_solved(client, LOGIN_URL, {"useremail": EMAIL, "userpassword": PASSWORD})
    assert response.status_code == 302, response.status_code
    return response


@pytest.fixture
def production_member(production: dict[str, Any]) -> Member:
    return Member.objects.create_user(EMAIL, PASSWORD, username="Ada Lovelace")


# The deploy check


def test_deploy_check_passes_at_warning_level_with_the_production_environment(
    tmp_path: Path,
) -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment=production_environment(
            EMAIL_URL="smtp://mailer:secret@mail.example.com:587/?tls=True"
        ),
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_without_a_mail_server_says_so_and_still_passes(tmp_path: Path) -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment=production_environment(),
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "member.I001" in result.stdout + result.stderr


def test_the_wsgi_entry_point_is_production_by_default(tmp_path: Path) -> None:
    """A WSGI server given nothing but the path runs production: without a secret key it stops,
    naming the variable."""
    bare = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "import memberproj.wsgi"]

    result = site_under_test.run_command(command, cwd=tmp_path, env=bare, timeout=60)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0" in result.stderr


def test_production_refuses_to_start_while_the_debug_hook_is_on(tmp_path: Path) -> None:
    """Not only ``check --deploy``: any command, at start-up."""
    result = run_manage(
        "migrate",
        environment=production_environment(MEMBER_CAPTCHA_DEBUG_HOOK="1"),
        tmp_path=tmp_path,
    )

    assert result.returncode != 0
    assert "MEMBER_CAPTCHA_DEBUG_HOOK" in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_refuses_to_serve_production_while_the_debug_hook_is_on(tmp_path: Path) -> None:
    """Started directly, without ``make serve`` and its deploy check."""
    environment = production_environment(
        MEMBER_CAPTCHA_DEBUG_HOOK="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    command = site_under_test.server_command(
        "gunicorn", site_under_test.free_port(), workers=1, threads=1
    )

    result = site_under_test.run_command(
        command, cwd=site_under_test.ROOT, env=environment, timeout=60
    )

    assert result.returncode != 0
    assert "MEMBER_CAPTCHA_DEBUG_HOOK" in result.stdout + result.stderr


def test_deploy_check_fails_while_the_debug_hook_is_on_in_development(tmp_path: Path) -> None:
    """A development server exposed by mistake: the deploy check names the hook."""
    result = run_manage(
        "check",
        "--deploy",
        environment=production_environment(DJANGO_DEBUG="1", MEMBER_CAPTCHA_DEBUG_HOOK="1"),
        tmp_path=tmp_path,
    )

    assert result.returncode != 0
    assert "member.E001" in result.stdout + result.stderr


def test_production_without_a_secret_key_fails_clearly(tmp_path: Path) -> None:
    environment = production_environment()
    del environment["DJANGO_SECRET_KEY"]

    result = run_manage("check", "--deploy", environment=environment, tmp_path=tmp_path)

    assert result.returncode != 0
    # The message alone: no traceback through Django's settings loader to scroll past.
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_load_what_the_deploy_check_asks_for() -> None:
    values = production_settings()

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


# HTTPS behind the TLS-terminating proxy


def test_plain_http_request_is_redirected_to_https(production: dict[str, Any]) -> None:
    response = Client().get(LOGIN_URL)

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/member/login/"


def test_request_forwarded_as_https_is_treated_as_secure(https_client: Client) -> None:
    response = https_client.get(LOGIN_URL)

    assert response.status_code == 200
    assert response.wsgi_request.is_secure()
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_forwarded_proto_other_than_https_is_not_secure(production: dict[str, Any]) -> None:
    response = Client(headers={"X-Forwarded-Proto": "http"}).get(LOGIN_URL)

    assert response.status_code == 301
    assert not response.wsgi_request.is_secure()


# Headers on every HTML page


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in names
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline <script>")


def inline_code(response: HttpResponse) -> list[str]:
    parser = _InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def html_pages(client: Client, settings: Any) -> dict[str, HttpResponse]:
    """Every kind of HTML page the site answers with, as a member would meet them."""
    pages = {
        "login": client.get(LOGIN_URL),
        "login with an error": client.post(LOGIN_URL, {"useremail": EMAIL, "captcha": "x"}),
        "sign-up": client.get(REGISTER_URL),
        "sign-up with an error": client.post(REGISTER_URL, {"username": "x", "captcha": "x"}),
        "not found": client.get("/member/no-such-page/"),
    }
    signed_in(client)
    pages["member home"] = client.get(HOME_URL)
    client.post("/member/logout/")
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 1
    # Strangers' browsers, with no device token of the account.
    post_solved(Client(headers=HTTPS), LOGIN_URL, {"useremail": EMAIL, "userpassword": "wrong"})
    pages["locked out"] = post_solved(
        Client(headers=HTTPS), LOGIN_URL, {"useremail": EMAIL, "userpassword": "x"}
    )
    assert pages["locked out"].status_code == 429
    return pages


PAGE_NAMES = [
    "login",
    "login with an error",
    "sign-up",
    "sign-up with an error",
    "not found",
    "member home",
    "locked out",
]


@pytest.fixture
def pages(
    production_member: Member, https_client: Client, settings: Any
) -> dict[str, HttpResponse]:
    return html_pages(https_client, settings)


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_html_page_carries_a_content_security_policy_without_unsafe_inline(
    pages: dict[str, HttpResponse], page: str
) -> None:
    response = pages[page]
    assert response["Content-Type"].startswith("text/html")

    policy = response["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_html_page_carries_referrer_nosniff_and_frame_headers(
    pages: dict[str, HttpResponse], page: str
) -> None:
    response = pages[page]

    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_html_page_has_no_inline_script_or_style_the_policy_would_block(
    pages: dict[str, HttpResponse], page: str
) -> None:
    assert inline_code(pages[page]) == []


def test_inline_code_finder_finds_inline_code() -> None:
    page = HttpResponse(
        '<p style="color:red" onclick="x()"><script>alert(1)</script>'
        '<script src="/a.js"></script><a href="javascript:x()">x</a><style>p{}</style>'
    )

    assert inline_code(page) == [
        "<p style=...>",
        "<p onclick=...>",
        "inline <script>",
        "<a href=javascript:...>",
        "<style>",
    ]


# Never cached


@pytest.mark.parametrize("url", [LOGIN_URL, REGISTER_URL, CAPTCHA_URL])
def test_login_sign_up_and_captcha_are_never_cached(https_client: Client, url: str) -> None:
    response = https_client.get(url)

    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control


def test_answered_forms_and_member_home_are_never_cached(
    production_member: Member, https_client: Client
) -> None:
    failed = https_client.post(LOGIN_URL, {"useremail": EMAIL, "captcha": "x"})
    signed_in(https_client)
    home = https_client.get(HOME_URL)

    for response in (failed, home):
        assert "no-store" in response["Cache-Control"]


# Cookies


def test_session_cookie_after_sign_in_is_secure_http_only_and_same_site(
    production_member: Member, https_client: Client
) -> None:
    cookie = signed_in(https_client).cookies[django_settings.SESSION_COOKIE_NAME]

    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_anonymous_session_cookie_from_the_captcha_is_secure_and_http_only(
    https_client: Client,
) -> None:
    cookie = https_client.get(CAPTCHA_URL).cookies[django_settings.SESSION_COOKIE_NAME]

    assert cookie["secure"] is True
    assert cookie["httponly"] is True


def test_csrf_cookie_is_secure(https_client: Client) -> None:
    cookie = https_client.get(LOGIN_URL).cookies[django_settings.CSRF_COOKIE_NAME]

    assert cookie["secure"] is True


def test_debug_hook_is_not_found_in_production(https_client: Client) -> None:
    https_client.get(CAPTCHA_URL)

    assert https_client.get(DEBUG_HOOK_URL).status_code == 404
