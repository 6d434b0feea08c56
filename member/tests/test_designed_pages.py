"""Every state is a designed page: errors tied to their fields, the focus where input is needed,
every problem of a form at once, error pages in the site's style and the visitor's language."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client

from member.models import Member
from member.tests.helpers import (
    LOGIN_URL,
    MEMBER_EMAIL,
    REGISTER_URL,
    element_by_id,
    inputs_by_name,
    post_login,
    register_data,
)
from qa.contract import CAPTCHA_MISMATCH, CAPTCHA_MISSING, CAPTCHA_WRONG, EMAIL_TAKEN

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def autofocused(response: HttpResponse) -> list[str]:
    return [name for name, attrs in inputs_by_name(response).items() if "autofocus" in attrs]


def field_error(response: HttpResponse, name: str) -> str:
    """The text of the error list the input ``name`` points at with ``aria-describedby``."""
    attrs = inputs_by_name(response)[name]
    assert attrs.get("aria-invalid") == "true", attrs
    [error_id] = [ref for ref in (attrs.get("aria-describedby") or "").split() if "_error" in ref]
    element_by_id(response, error_id)
    page = response.content.decode()
    match = re.search(rf'<ul class="field-errors" id="{error_id}">(.*?)</ul>', page, re.S)
    assert match, error_id
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


def test_an_empty_captcha_says_so_on_the_field_and_keeps_the_contracts_message(
    client: Client, member: Member
) -> None:
    response = post_login(client, answer="")

    assert CAPTCHA_WRONG in response.content.decode()
    assert field_error(response, "captcha") == CAPTCHA_MISSING


def test_a_mistyped_captcha_says_a_new_image_is_shown(client: Client, member: Member) -> None:
    response = post_login(client, answer="ZZZZZ")

    assert CAPTCHA_WRONG in response.content.decode()
    assert field_error(response, "captcha") == CAPTCHA_MISMATCH
    assert "aria-invalid" not in inputs_by_name(response)["useremail"]


def test_after_an_error_the_focus_goes_to_the_first_field_that_needs_input(
    client: Client, member: Member
) -> None:
    fresh = client.get(LOGIN_URL)
    wrong_password = post_login(client, password="not-it")
    no_email = post_login(client, email="")

    assert autofocused(fresh) == ["useremail"]
    assert autofocused(wrong_password) == ["userpassword"]  # the email stays, the password not
    assert autofocused(no_email) == ["useremail"]


def test_sign_up_reports_every_password_problem_at_once_and_keeps_name_and_email(
    client: Client, fast_password_hasher: None
) -> None:
    data = register_data(client, password="12345678", password2="12345679")

    response = client.post(REGISTER_URL, data)

    password_problems = field_error(response, "userpassword")
    assert "這個密碼太常見了" in password_problems
    assert "這個密碼只有數字" in password_problems
    assert field_error(response, "userpassword2") == "兩次輸入的密碼不一致"
    fields = inputs_by_name(response)
    assert fields["username"]["value"] == data["username"]
    assert fields["useremail"]["value"] == data["useremail"]
    assert "value" not in fields["userpassword"]
    assert autofocused(response) == ["userpassword"]
    # the help text stays tied to the field beside its errors
    described = fields["userpassword"]["aria-describedby"]
    assert described == "id_userpassword_error id_userpassword_helptext"


def test_a_wrong_captcha_still_reports_password_problems_but_asks_nothing_of_members(
    client: Client, member: Member
) -> None:
    data = register_data(client, email=MEMBER_EMAIL, password="12345678", answer="ZZZZZ")

    response = client.post(REGISTER_URL, data)

    page = response.content.decode()
    assert CAPTCHA_WRONG in page
    assert "這個密碼只有數字" in field_error(response, "userpassword")
    assert EMAIL_TAKEN not in page  # the member table answered no question for a robot


@pytest.mark.parametrize(
    ("language", "heading", "text"),
    [
        ({}, "找不到頁面", "這個網址沒有頁面"),
        (ENGLISH, "Page not found", "There is no page at this address."),
    ],
)
def test_a_missing_page_is_the_sites_page_in_the_visitors_language(
    client: Client, language: dict, heading: str, text: str
) -> None:
    response = client.get("/member/nowhere/", **language)

    page = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in page
    assert text in page
    assert "/static/css/member.css" in page


def test_a_method_the_page_does_not_take_gets_the_sites_405_page(client: Client) -> None:
    response = client.put(LOGIN_URL, **ENGLISH)

    assert response.status_code == 405
    assert response["Allow"]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Not allowed here</h1>" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_the_sites_403_page(member: Member) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN_URL, {"useremail": MEMBER_EMAIL})

    assert response.status_code == 403
    assert "<h1>表單已失效</h1>" in response.content.decode()


def test_an_unknown_host_gets_the_sites_400_page(client: Client) -> None:
    response = client.get(LOGIN_URL, HTTP_HOST="evil.example", **ENGLISH)

    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


def test_a_bug_gets_the_sites_500_page(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from member import views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "render", broken)
    client.raise_request_exception = False

    response = client.get(REGISTER_URL)

    assert response.status_code == 500
    assert "<h1>發生錯誤</h1>" in response.content.decode()


def test_short_chinese_messages_end_without_a_full_stop(client: Client, member: Member) -> None:
    """Like the contract's own messages: alerts, field errors, notices and status lines."""
    pages = [
        post_login(client, answer=""),
        client.post(REGISTER_URL, register_data(client, email=MEMBER_EMAIL, password="1234")),
        client.get("/member/nowhere/"),
    ]
    short = re.compile(r'<(?:li|p)(?: class="[^"]*"| id="[^"]*")*>([^<]+)</(?:li|p)>')
    texts = [text.strip() for page in pages for text in short.findall(page.content.decode())]
    statuses = re.findall(r'data-[a-z-]+-message="([^"]+)"', pages[0].content.decode())

    assert texts and statuses
    assert [text for text in texts + statuses if text.endswith("。")] == []
