"""Missing, repeated, oversized, binary or non-UTF-8 input and odd methods: a 4xx or a message.

Never a 500 (the test client re-raises a view's exception, so one fails these tests), never a
half-made member, never a password hash for input that cannot be a password.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from member import captcha
from member.models import Member
from member.tests.helpers import (
    CAPTCHA_URL,
    DEBUG_HOOK_URL,
    LOGIN_URL,
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    REGISTER_URL,
    new_captcha,
    post_login,
    recording_password_work,
    register_data,
    session_answer,
    signed_in_member_id,
)
from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"
TWO_MEGABYTES = 2 * 1024 * 1024


def post_raw(client: Client, path: str, body: bytes, content_type: str = URLENCODED) -> Any:
    return client.generic("POST", path, data=body, content_type=content_type)


def test_empty_login_post_asks_for_the_captcha(client: Client, member: Member) -> None:
    new_captcha(client)

    response = client.post(LOGIN_URL, {})

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert session_answer(client) is None
    assert signed_in_member_id(client) is None


@pytest.mark.parametrize("missing", ["useremail", "userpassword"])
def test_login_with_a_missing_field_is_refused_without_password_work(
    client: Client, member: Member, missing: str
) -> None:
    data = {"useremail": MEMBER_EMAIL, "userpassword": MEMBER_PASSWORD}
    data["captcha"] = new_captcha(client)
    del data[missing]

    with recording_password_work() as work:
        response = client.post(LOGIN_URL, data)

    assert response.status_code == 200
    assert signed_in_member_id(client) is None
    assert work.none


def test_empty_sign_up_post_makes_no_member(client: Client, fast_password_hasher: None) -> None:
    new_captcha(client)

    response = client.post(REGISTER_URL, {})

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert not Member.objects.exists()


def test_repeated_identical_fields_sign_in(client: Client, member: Member) -> None:
    answer = new_captcha(client)
    fields = [("useremail", MEMBER_EMAIL), ("userpassword", MEMBER_PASSWORD), ("captcha", answer)]

    response = post_raw(client, LOGIN_URL, urlencode(fields + fields).encode())

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)


def test_repeated_conflicting_fields_take_the_last_value(client: Client, member: Member) -> None:
    """Django's QueryDict hands a form the last of repeated values, so the outcome is certain."""
    answer = new_captcha(client)
    body = urlencode(
        [
            ("useremail", "nobody@example.com"),
            ("useremail", MEMBER_EMAIL),
            ("userpassword", "wrong-password"),
            ("userpassword", MEMBER_PASSWORD),
            ("captcha", "WRONG"),
            ("captcha", answer),
            ("rememberme", "on"),
            ("rememberme", "off"),
        ]
    ).encode()

    response = post_raw(client, LOGIN_URL, body)

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)
    # "off" is a ticked checkbox's value like any other non-empty text: remembered for 7 days.
    assert client.session.get_expiry_age() == 7 * 24 * 60 * 60


def test_repeated_sign_up_fields_make_one_member_from_the_last_values(
    client: Client, fast_password_hasher: None
) -> None:
    data = register_data(client)
    fields = [*data.items(), ("useremail", "other@example.com"), ("username", "Other")]

    response = post_raw(client, REGISTER_URL, urlencode(fields).encode())

    assert response.status_code == 302
    assert list(Member.objects.values_list("email", "username")) == [("other@example.com", "Other")]


def test_oversized_email_gets_the_bad_credentials_message(client: Client, member: Member) -> None:
    response = post_login(client, email="a" * 300 + "@example.com")

    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.content.decode()


def test_oversized_captcha_answer_is_wrong(client: Client, member: Member) -> None:
    answer = new_captcha(client)

    response = post_login(client, answer=answer * 2_000)

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert session_answer(client) is None


@pytest.mark.parametrize(
    "field", ["useremail", "userpassword", "captcha"], ids=["email", "password", "captcha"]
)
def test_nul_bytes_in_login_fields_are_refused(client: Client, member: Member, field: str) -> None:
    data = {"useremail": MEMBER_EMAIL, "userpassword": MEMBER_PASSWORD, "captcha": ""}
    data["captcha"] = new_captcha(client)
    data[field] = data[field][:2] + "\x00" + data[field][2:]

    response = client.post(LOGIN_URL, data)

    assert response.status_code == 200
    assert signed_in_member_id(client) is None


@pytest.mark.parametrize("field", ["username", "useremail", "userpassword"])
def test_nul_bytes_in_sign_up_fields_make_no_member(
    client: Client, fast_password_hasher: None, field: str
) -> None:
    data = register_data(client)
    data[field] = data[field][:2] + "\x00" + data[field][2:]
    if field == "userpassword":
        data["userpassword2"] = data[field]

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 200
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"useremail=%FF%FE%40example.com&userpassword=%C3%28&captcha=%FF",
        b"useremail=\xff\xfe@example.com&userpassword=\xc3\x28&captcha=\xff",
        b"\xff\xfe\xfd=\x80\x81",
    ],
    ids=["percent-encoded", "raw", "raw-names"],
)
@pytest.mark.parametrize("path", [LOGIN_URL, REGISTER_URL])
def test_non_utf8_bodies_get_a_page_not_an_error(
    client: Client, fast_password_hasher: None, path: str, body: bytes
) -> None:
    new_captcha(client)

    response = post_raw(client, path, body)

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert not Member.objects.exists()


def test_unknown_charset_gets_a_page_not_an_error(client: Client) -> None:
    response = post_raw(client, LOGIN_URL, b"useremail=a", f"{URLENCODED}; charset=x-no-such")

    assert response.status_code == 200
    # The sign-in page again, saying what was wrong, with nobody signed in.
    assert CAPTCHA_WRONG in response.content.decode()
    assert 'name="useremail"' in response.content.decode()
    assert signed_in_member_id(client) is None


def test_non_utf8_query_string_gets_a_page(client: Client) -> None:
    response = client.get(LOGIN_URL + "?next=%FF%FE")

    assert response.status_code == 200
    page = response.content.decode()
    # The sign-in form itself, with its captcha: the visitor can go on.
    assert 'name="useremail"' in page
    assert 'id="img_captcha"' in page


def test_file_instead_of_a_password_is_refused(client: Client, member: Member) -> None:
    upload = SimpleUploadedFile("password.bin", b"\x00\x01\x02" * 100)

    response = client.post(
        LOGIN_URL,
        {"useremail": MEMBER_EMAIL, "userpassword": upload, "captcha": new_captcha(client)},
    )

    assert response.status_code == 200
    assert signed_in_member_id(client) is None


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
@pytest.mark.parametrize("path", [LOGIN_URL, REGISTER_URL])
def test_odd_methods_are_not_allowed(client: Client, method: str, path: str) -> None:
    response = getattr(client, method)(path)

    assert response.status_code == 405


@pytest.mark.parametrize("path", [LOGIN_URL, REGISTER_URL])
def test_head_of_a_form_page_works(client: Client, path: str) -> None:
    assert client.head(path).status_code == 200


@pytest.mark.parametrize(
    "stored",
    [
        "A3F9C",
        ["A3F9C"],
        42,
        None,
        {"answer": "A3F9C"},
        {"answer": "A3F9C", "issued_at": "yesterday"},
        {"answer": ["A3F9C"], "issued_at": 0},
    ],
    ids=["string", "list", "number", "null", "no-time", "text-time", "list-answer"],
)
def test_malformed_session_challenge_is_a_wrong_captcha(
    client: Client, member: Member, stored: Any
) -> None:
    session = client.session
    session[captcha.SESSION_KEY] = stored
    session.save()
    assert client.get(DEBUG_HOOK_URL).status_code == 200

    response = post_login(client, answer="A3F9C")

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_malformed_session_challenge_is_replaced_by_a_new_image(client: Client) -> None:
    session = client.session
    session[captcha.SESSION_KEY] = ["garbage"]
    session.save()

    assert client.get(CAPTCHA_URL).status_code == 200
    assert session_answer(client) is not None
