"""GET, POST /member/register/: sign-up signs the new member in; no half-made member on failure."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client

from member.models import Member
from member.tests.helpers import (
    HOME_URL,
    MEMBER_EMAIL,
    REGISTER_URL,
    element_by_id,
    inputs_by_name,
    new_captcha,
    recording_password_work,
    register_data,
    session_answer,
    signed_in_member_id,
)
from memberproj import settings as project_settings
from qa.contract import CAPTCHA_WRONG, EMAIL_TAKEN, SIGNED_IN

pytestmark = pytest.mark.django_db

PASSWORDS_DIFFER = "兩次輸入的密碼不一致"


def error_codes(response: Any, field: str) -> set[str]:
    """The codes of ``field``'s errors on the page's form."""
    return {error.code for error in response.context["form"].errors.as_data().get(field, [])}


def test_register_page_has_the_contract_form(client: Client) -> None:
    response = client.get(REGISTER_URL)

    assert response.status_code == 200
    assert {
        "username",
        "useremail",
        "userpassword",
        "userpassword2",
        "captcha",
        "csrfmiddlewaretoken",
    } <= set(inputs_by_name(response))
    assert element_by_id(response, "img_captcha")[1]["src"] == "/member/captcha/"


def test_sign_up_signs_the_new_member_in(client: Client, fast_password_hasher: None) -> None:
    response = client.post(REGISTER_URL, register_data(client, username="Grace Hopper"))

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    member = Member.objects.get(email="grace@example.com")
    assert member.username == "Grace Hopper"
    assert member.is_active
    assert signed_in_member_id(client) == str(member.pk)
    home = client.get(HOME_URL).content.decode()
    assert SIGNED_IN in home
    assert "Grace Hopper" in home


def test_sign_up_stores_the_password_hashed_with_argon2(client: Client, settings: Any) -> None:
    # About hashing: the project's own hashers, whatever a fixture may have set.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    client.post(REGISTER_URL, register_data(client, password="cobol-compiler-1959"))

    stored = Member.objects.get(email="grace@example.com").password
    assert "cobol-compiler-1959" not in stored
    assert identify_hasher(stored).algorithm == "argon2"
    assert check_password("cobol-compiler-1959", stored)


def test_signed_up_member_can_sign_in_later(client: Client, fast_password_hasher: None) -> None:
    client.post(REGISTER_URL, register_data(client, password="cobol-compiler-1959"))
    client.post("/member/logout/")

    response = client.post(
        "/member/login/",
        {
            "useremail": "grace@example.com",
            "userpassword": "cobol-compiler-1959",
            "captcha": new_captcha(client),
        },
    )

    assert response.status_code == 302
    assert signed_in_member_id(client) is not None


@pytest.mark.parametrize(
    ("password", "code", "message"),
    [
        ("k9!x", "password_too_short", "這個密碼太短，至少要有 8 個字元"),  # noqa: RUF001
        ("password", "password_too_common", "這個密碼太常見了"),
        ("48201957364", "password_entirely_numeric", "這個密碼只有數字"),
        ("sunflower.garden", "password_too_similar", "這個密碼與電子郵件太相近"),
    ],
    ids=["too-short", "common", "numeric", "similar-to-email"],
)
def test_weak_password_is_refused_with_the_validators_message(
    client: Client, fast_password_hasher: None, password: str, code: str, message: str
) -> None:
    data = register_data(client, email="sunflower.garden@example.com", password=password)

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 200
    assert code in error_codes(response, "userpassword")
    assert message in response.content.decode()
    assert not Member.objects.exists()
    assert signed_in_member_id(client) is None


def test_duplicate_email_in_another_letter_case_is_refused(client: Client, member: Member) -> None:
    response = client.post(REGISTER_URL, register_data(client, email=MEMBER_EMAIL.upper()))

    assert response.status_code == 200
    assert response.context["form"].errors["useremail"] == [EMAIL_TAKEN]
    assert EMAIL_TAKEN in response.content.decode()
    assert Member.objects.count() == 1
    assert signed_in_member_id(client) is None


def test_email_taken_between_the_check_and_the_insert_is_refused_by_the_database(
    client: Client, member: Member
) -> None:
    # Another sign-up wins between the form's check and the insert: the unique constraint decides.
    # (No check before the insert sees the other member; the database's unique index does.)
    with (
        mock.patch.object(Member, "validate_constraints"),
        mock.patch.object(Member, "validate_unique"),
    ):
        response = client.post(REGISTER_URL, register_data(client, email="ADA@example.com"))

    assert response.status_code == 200
    assert EMAIL_TAKEN in response.content.decode()
    assert Member.objects.count() == 1
    assert signed_in_member_id(client) is None


def test_mismatched_passwords_are_refused(client: Client, fast_password_hasher: None) -> None:
    data = register_data(client, password="cobol-compiler-1959", password2="cobol-compiler-1960")

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 200
    assert response.context["form"].errors["userpassword2"] == [PASSWORDS_DIFFER]
    assert PASSWORDS_DIFFER in response.content.decode()
    assert not Member.objects.exists()


def test_wrong_captcha_creates_no_member(client: Client, fast_password_hasher: None) -> None:
    answer = new_captcha(client)

    response = client.post(REGISTER_URL, register_data(client, answer=answer[::-1]))

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert not Member.objects.exists()
    assert signed_in_member_id(client) is None


def test_wrong_captcha_reveals_nothing_about_the_email(client: Client, member: Member) -> None:
    wrong = new_captcha(client)[::-1]
    taken = client.post(REGISTER_URL, register_data(client, email=MEMBER_EMAIL, answer=wrong))
    wrong = new_captcha(client)[::-1]
    free = client.post(REGISTER_URL, register_data(client, email="free@example.com", answer=wrong))

    assert EMAIL_TAKEN not in taken.content.decode()
    assert CAPTCHA_WRONG in taken.content.decode()
    assert taken.status_code == free.status_code
    assert taken.context["form"].errors == free.context["form"].errors


def test_wrong_captcha_never_hashes_the_password(
    client: Client, fast_password_hasher: None
) -> None:
    data = register_data(client, answer=new_captcha(client)[::-1])

    with recording_password_work() as work:
        client.post(REGISTER_URL, data)

    assert work.none


def test_every_sign_up_post_consumes_the_challenge(
    client: Client, fast_password_hasher: None
) -> None:
    answer = new_captcha(client)
    client.post(REGISTER_URL, register_data(client, password2="something-else-1", answer=answer))
    assert session_answer(client) is None

    response = client.post(REGISTER_URL, register_data(client, answer=answer))

    assert CAPTCHA_WRONG in response.content.decode()
    assert not Member.objects.exists()


def test_failed_sign_up_keeps_name_and_email_and_clears_secrets(
    client: Client, fast_password_hasher: None
) -> None:
    data = register_data(client, password="cobol-compiler-1959", password2="cobol-compiler-1960")

    response = client.post(REGISTER_URL, data)

    inputs = inputs_by_name(response)
    assert inputs["username"]["value"] == "Grace Hopper"
    assert inputs["useremail"]["value"] == "grace@example.com"
    for name in ("userpassword", "userpassword2", "captcha"):
        assert not inputs[name].get("value"), name


@pytest.mark.parametrize(
    "change",
    [
        {"answer": "x"},
        {"password2": "cobol-compiler-1960"},
        {"password": "short"},
        {"email": "not-an-email"},
        {"username": ""},
        {"email": MEMBER_EMAIL.title()},
    ],
    ids=["captcha", "mismatch", "weak", "bad-email", "no-name", "taken"],
)
def test_no_member_is_made_on_any_failure(
    client: Client, member: Member, change: dict[str, str]
) -> None:
    response = client.post(REGISTER_URL, register_data(client, **change))

    assert response.status_code == 200
    assert list(Member.objects.values_list("email", flat=True)) == [MEMBER_EMAIL]
    assert signed_in_member_id(client) is None


def test_sign_up_session_ends_with_the_browser(client: Client, fast_password_hasher: None) -> None:
    """No "remember me" on sign-up: the session cookie has no Max-Age or Expires."""
    response = client.post(REGISTER_URL, register_data(client))

    cookie = response.cookies["sessionid"]
    assert cookie.value
    assert not cookie["max-age"]
    assert not cookie["expires"]
