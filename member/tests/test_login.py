"""POST /member/login/: captcha before credentials, one message for bad credentials, remember me."""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends import db
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from member.models import Member
from member.tests.helpers import (
    CAPTCHA_URL,
    HOME_URL,
    LOGIN_URL,
    MEMBER_EMAIL,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    csrf_token_of,
    element_by_id,
    inputs_by_name,
    new_captcha,
    plant_challenge,
    post_login,
    recording_password_work,
    session_answer,
    signed_in_member_id,
)
from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG, SIGNED_IN

pytestmark = pytest.mark.django_db

SEVEN_DAYS = 7 * 24 * 60 * 60


def test_login_page_has_the_contract_form(client: Client) -> None:
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    inputs = inputs_by_name(response)
    assert {"useremail", "userpassword", "captcha", "rememberme", "csrfmiddlewaretoken"} <= set(
        inputs
    )
    assert inputs["rememberme"]["type"] == "checkbox"
    assert inputs["userpassword"]["type"] == "password"
    tag, image = element_by_id(response, "img_captcha")
    assert (tag, image["src"]) == ("img", CAPTCHA_URL)
    tag, button = element_by_id(response, "btn_captcha")
    assert (tag, button["type"]) == ("button", "button")
    tag, form = element_by_id(response, "login_form")
    assert (tag, form["method"], form["action"]) == ("form", "post", LOGIN_URL)


def test_slashless_login_address_answers_get(client: Client) -> None:
    response = client.get("/member/login?next=/member/")

    assert response.status_code in {301, 302}
    assert response["Location"] == "/member/login/?next=/member/"
    assert client.get("/member/login", follow=True).status_code == 200


def test_right_captcha_and_password_sign_in(client: Client, member: Member) -> None:
    response = post_login(client)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert signed_in_member_id(client) == str(member.pk)
    home = client.get(HOME_URL)
    assert home.status_code == 200
    assert SIGNED_IN in home.content.decode()
    assert MEMBER_NAME in home.content.decode()


def test_email_is_matched_case_insensitively(client: Client, member: Member) -> None:
    response = post_login(client, email=MEMBER_EMAIL.upper())

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)


def test_answer_in_lower_case_with_spaces_signs_in(client: Client, member: Member) -> None:
    answer = new_captcha(client)

    response = post_login(client, answer=f" {answer.lower()} ")

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)


def test_wrong_captcha_with_right_password_is_refused(client: Client, member: Member) -> None:
    answer = new_captcha(client)

    response = post_login(client, answer=answer[::-1])

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert BAD_CREDENTIALS not in response.content.decode()
    assert signed_in_member_id(client) is None


def test_wrong_captcha_never_checks_the_password(client: Client, member: Member) -> None:
    answer = new_captcha(client)

    with recording_password_work() as work:
        post_login(client, answer=answer[::-1])

    assert work.authentications == []
    assert work.hashes == 0


def test_right_captcha_with_wrong_password_checks_the_password(
    client: Client, member: Member
) -> None:
    # The positive control of the spy above: it does see password work when there is some.
    answer = new_captcha(client)

    with recording_password_work() as work:
        post_login(client, password="not-the-password", answer=answer)

    assert len(work.authentications) == 1
    assert work.hashes >= 1


@pytest.mark.parametrize("answer", ["", None], ids=["empty", "absent"])
def test_missing_captcha_is_refused(client: Client, member: Member, answer: str | None) -> None:
    new_captcha(client)
    data = {"useremail": MEMBER_EMAIL, "userpassword": MEMBER_PASSWORD}
    if answer is not None:
        data["captcha"] = answer

    response = client.post(LOGIN_URL, data)

    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_captcha_never_fetched_is_refused(client: Client, member: Member) -> None:
    response = post_login(client, answer="01234")

    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_expired_captcha_is_refused(client: Client, member: Member) -> None:
    answer = plant_challenge(client, issued_at=time.time() - 301)

    response = post_login(client, answer=answer)

    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_wrong_answer_consumes_challenge(client: Client, member: Member) -> None:
    answer = new_captcha(client)
    post_login(client, answer=answer[::-1])

    response = post_login(client, answer=answer)

    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_failed_sign_in_consumes_a_right_answer(client: Client, member: Member) -> None:
    answer = new_captcha(client)
    post_login(client, password="not-the-password", answer=answer)

    response = post_login(client, answer=answer)

    assert CAPTCHA_WRONG in response.content.decode()
    assert signed_in_member_id(client) is None


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: Client, member: Member
) -> None:
    wrong_password = post_login(client, password="not-the-password")
    unknown_email = post_login(client, email="nobody@example.com")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert BAD_CREDENTIALS in response.content.decode()
        assert CAPTCHA_WRONG not in response.content.decode()
    assert (
        wrong_password.context["form"].errors.as_data().keys()
        == unknown_email.context["form"].errors.as_data().keys()
    )
    assert signed_in_member_id(client) is None


def test_inactive_member_gets_the_bad_credentials_message(
    client: Client, inactive_member: Member
) -> None:
    response = post_login(client)

    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.content.decode()
    assert signed_in_member_id(client) is None


def test_failed_attempt_keeps_email_and_clears_password_and_captcha(
    client: Client, member: Member
) -> None:
    answer = new_captcha(client)

    response = post_login(client, password="not-the-password", answer=answer)

    inputs = inputs_by_name(response)
    assert inputs["useremail"]["value"] == MEMBER_EMAIL
    assert not inputs["userpassword"].get("value")
    assert not inputs["captcha"].get("value")


def test_failed_attempt_shows_a_new_captcha(client: Client, member: Member) -> None:
    response = post_login(client, password="not-the-password")

    assert session_answer(client) is None  # the old challenge is used up
    _tag, image = element_by_id(response, "img_captcha")
    assert image["src"] == CAPTCHA_URL


def test_remember_me_keeps_the_session_cookie_for_seven_days(
    client: Client, member: Member
) -> None:
    response = post_login(client, remember=True)

    cookie = response.cookies["sessionid"]
    assert int(cookie["max-age"]) == SEVEN_DAYS
    assert cookie["expires"]
    session = response.wsgi_request.session
    assert session.get_expiry_age() == pytest.approx(SEVEN_DAYS, abs=5)
    assert not session.get_expire_at_browser_close()


def test_remember_me_age_setting_is_honoured(client: Client, member: Member, settings: Any) -> None:
    settings.MEMBER_REMEMBER_ME_AGE = 3600

    response = post_login(client, remember=True)

    assert int(response.cookies["sessionid"]["max-age"]) == 3600
    assert response.wsgi_request.session.get_expiry_age() == pytest.approx(3600, abs=5)


def test_without_remember_me_the_session_ends_with_the_browser(
    client: Client, member: Member
) -> None:
    response = post_login(client, remember=False)

    cookie = response.cookies["sessionid"]
    assert cookie.value
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert response.wsgi_request.session.get_expire_at_browser_close()


def stored_session_life(session_key: str) -> float:
    """Seconds the session store itself keeps ``session_key``: the database row's expiry, or
    the Redis key's time to live (whichever engine the settings name)."""
    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    if issubclass(store, db.SessionStore):
        expire_date = store.get_model_class().objects.get(session_key=session_key).expire_date
        return (expire_date - timezone.now()).total_seconds()
    redis_key = cache.make_and_validate_key(store.cache_key_prefix + session_key)
    return cache._cache.get_client(redis_key).ttl(redis_key)


TWELVE_HOURS = 12 * 60 * 60


@pytest.mark.parametrize(
    ("remember", "session_cookie_age", "life"),
    [(False, None, TWELVE_HOURS), (False, 2 * 60 * 60, 2 * 60 * 60), (True, None, SEVEN_DAYS)],
    ids=["browser-session", "browser-session-age-setting", "remembered"],
)
def test_a_sign_in_ends_server_side_when_its_life_is_over(
    client: Client,
    member: Member,
    settings: Any,
    remember: bool,
    session_cookie_age: int | None,
    life: int,
) -> None:
    """Without "remember me": 12 hours after the session was last saved (``SESSION_COOKIE_AGE``),
    whatever the cookie; with it, seven days."""
    if session_cookie_age is not None:
        settings.SESSION_COOKIE_AGE = session_cookie_age

    response = post_login(client, remember=remember)

    assert life - 60 <= stored_session_life(response.cookies["sessionid"].value) <= life
    assert (response.cookies["sessionid"]["max-age"] == "") is not remember


def test_a_session_that_holds_only_a_challenge_ends_with_the_challenge(client: Client) -> None:
    client.get(CAPTCHA_URL)

    assert 300 - 60 <= stored_session_life(client.cookies["sessionid"].value) <= 300


def test_safe_next_is_honoured(client: Client, member: Member) -> None:
    response = post_login(client, next_url="/member/?tab=profile")

    assert response.status_code == 302
    assert response["Location"] == "/member/?tab=profile"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_unsafe_next_is_ignored(client: Client, member: Member, next_url: str) -> None:
    response = post_login(client, next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL


def test_next_in_the_login_address_is_carried_by_the_form(client: Client, member: Member) -> None:
    login_page = client.get(LOGIN_URL, {"next": "/member/?tab=profile"})

    next_url = inputs_by_name(login_page)["next"]["value"]
    response = post_login(client, next_url=next_url)

    assert response["Location"] == "/member/?tab=profile"


def test_login_rotates_the_session_key(client: Client, member: Member) -> None:
    new_captcha(client)
    anonymous_key = client.cookies["sessionid"].value

    post_login(client)

    assert client.cookies["sessionid"].value != anonymous_key
    assert signed_in_member_id(client) == str(member.pk)


def test_login_without_csrf_token_is_forbidden(member: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN_URL)

    response = post_login(client)

    assert response.status_code == 403
    assert signed_in_member_id(client) is None


def test_login_with_the_pages_csrf_token_works(member: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token_of(client.get(LOGIN_URL))
    answer = new_captcha(client)

    response = client.post(
        LOGIN_URL,
        {
            "useremail": MEMBER_EMAIL,
            "userpassword": MEMBER_PASSWORD,
            "captcha": answer,
            "csrfmiddlewaretoken": token,
        },
    )

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)


def test_signed_in_member_may_sign_in_again(client: Client, member: Member) -> None:
    post_login(client)

    response = post_login(client)

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(member.pk)


def test_remember_me_label_follows_the_setting(client: Client, settings: Any) -> None:
    settings.MEMBER_REMEMBER_ME_AGE = 30 * 24 * 60 * 60

    page = client.get(LOGIN_URL).content.decode()

    assert "記住我（30 天）" in page  # noqa: RUF001
