"""POST /member/logout/ and GET /member/: the member home behind Django's session."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client

from member.models import Member
from member.tests.helpers import (
    HOME_URL,
    LOGIN_URL,
    LOGOUT_URL,
    MEMBER_NAME,
    csrf_token_of,
    post_login,
    signed_in_member_id,
)
from qa.contract import SIGNED_IN, SIGNED_OUT

pytestmark = pytest.mark.django_db


def session_exists(session_key: str) -> bool:
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key)


def test_anonymous_home_redirects_to_login_with_next(client: Client) -> None:
    response = client.get(HOME_URL)

    assert response.status_code == 302
    assert response["Location"] == "/member/login/?next=/member/"


def test_home_greets_the_member_by_name(client: Client, member: Member) -> None:
    client.force_login(member)

    response = client.get(HOME_URL)

    assert response.status_code == 200
    assert MEMBER_NAME in response.content.decode()


def test_signed_in_message_shows_once_right_after_sign_in(client: Client, member: Member) -> None:
    post_login(client)

    first = client.get(HOME_URL).content.decode()
    second = client.get(HOME_URL).content.decode()

    assert SIGNED_IN in first
    assert SIGNED_IN not in second
    assert MEMBER_NAME in second


def test_home_is_not_cached(client: Client, member: Member) -> None:
    client.force_login(member)

    assert "no-store" in client.get(HOME_URL)["Cache-Control"]


def test_home_has_a_logout_form_that_posts(client: Client, member: Member) -> None:
    client.force_login(member)

    content = client.get(HOME_URL).content.decode()

    assert f'method="post" action="{LOGOUT_URL}"' in content


def test_a_name_cookie_is_not_identity(client: Client, member: Member) -> None:
    # The seed trusted a browser-writable ``name`` cookie; only the session signs a member in.
    client.cookies["name"] = MEMBER_NAME

    response = client.get(HOME_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_logout_signs_out_and_redirects_to_login(client: Client, member: Member) -> None:
    post_login(client)
    session_key = client.cookies["sessionid"].value
    assert session_exists(session_key)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not session_exists(session_key)
    assert signed_in_member_id(client) is None
    assert client.get(HOME_URL).status_code == 302


def test_logout_by_get_asks_to_confirm_and_signs_nobody_out(client: Client, member: Member) -> None:
    client.force_login(member)

    response = client.get(LOGOUT_URL)

    assert response.status_code == 200
    assert 'id="logout_confirm_form"' in response.content.decode()
    assert signed_in_member_id(client) == str(member.pk)


def test_logout_by_get_when_signed_out_goes_to_the_login_page(client: Client) -> None:
    response = client.get(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


def test_the_login_page_says_the_member_signed_out(client: Client, member: Member) -> None:
    client.force_login(member)

    page = client.post(LOGOUT_URL, follow=True).content.decode()

    assert SIGNED_OUT in page
    assert SIGNED_OUT not in client.get(LOGIN_URL).content.decode()  # said once


def test_a_signed_in_member_on_the_login_page_is_told_so(client: Client, member: Member) -> None:
    client.force_login(member)

    page = client.get(LOGIN_URL).content.decode()

    assert 'id="signed_in_notice"' in page
    assert member.email in page
    assert f'href="{HOME_URL}"' in page


def test_logout_needs_the_csrf_token(member: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    token = csrf_token_of(client.get(HOME_URL))

    assert client.post(LOGOUT_URL).status_code == 403
    assert signed_in_member_id(client) == str(member.pk)
    assert client.post(LOGOUT_URL, {"csrfmiddlewaretoken": token}).status_code == 302
    assert signed_in_member_id(client) is None


def test_site_root_sends_visitors_to_the_login_page(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
