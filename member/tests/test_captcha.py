"""The captcha module (make a challenge, verify an answer) and the image view that issues one."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from member import captcha
from member.tests.helpers import (
    CAPTCHA_URL,
    LOGIN_URL,
    PLANTED_ALPHABET,
    REGISTER_URL,
    new_captcha,
    plant_challenge,
    post_login,
    session_answer,
)

HEX = set("0123456789ABCDEF")
ISSUED_AT = 1_700_000_000.0


# make_challenge


def test_default_challenge_is_five_distinct_hex_characters(session_store: SessionBase) -> None:
    seen: set[str] = set()
    for _ in range(200):
        answer = captcha.make_challenge(session_store)
        assert len(answer) == 5
        assert len(set(answer)) == 5, answer
        assert set(answer) <= HEX, answer
        seen |= set(answer)
    # 200 draws leave a character out with a probability of about 1e-32: the whole alphabet is used.
    assert seen == HEX


def test_challenge_is_kept_in_the_session(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert captcha.current_answer(session_store) == answer


def test_new_challenge_replaces_the_previous_one(session_store: SessionBase, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_ALPHABET = PLANTED_ALPHABET
    first = captcha.make_challenge(session_store)
    del settings.MEMBER_CAPTCHA_ALPHABET
    second = captcha.make_challenge(session_store)

    assert captcha.current_answer(session_store) == second
    assert not captcha.verify(session_store, first)


def test_length_setting_is_honoured(session_store: SessionBase, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_LENGTH = 8

    answer = captcha.make_challenge(session_store)

    assert len(answer) == 8
    assert len(set(answer)) == 8


def test_alphabet_setting_is_honoured(session_store: SessionBase, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_ALPHABET = "XYZ"
    settings.MEMBER_CAPTCHA_LENGTH = 3

    answer = captcha.make_challenge(session_store)

    assert sorted(answer) == ["X", "Y", "Z"]


# verify


def test_right_answer_verifies(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert captcha.verify(session_store, answer)


def test_answer_is_case_insensitive(session_store: SessionBase, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_ALPHABET = "ABCDEF"  # letters only, so the case really changes
    answer = captcha.make_challenge(session_store)

    assert captcha.verify(session_store, answer.lower())


def test_surrounding_spaces_are_ignored(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert captcha.verify(session_store, f"  {answer.lower()}  ")


def test_wrong_answer_fails(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert not captcha.verify(session_store, answer[::-1])


def test_wrong_answer_consumes_challenge(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert not captcha.verify(session_store, answer[::-1])
    assert not captcha.verify(session_store, answer)


def test_right_answer_consumes_challenge(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert captcha.verify(session_store, answer)
    assert not captcha.verify(session_store, answer)
    assert captcha.current_answer(session_store) is None


def test_missing_challenge_fails(session_store: SessionBase) -> None:
    assert not captcha.verify(session_store, "01234")


@pytest.mark.parametrize("given", [None, "", "   "])
def test_missing_answer_fails_and_consumes_challenge(
    session_store: SessionBase, given: str | None
) -> None:
    captcha.make_challenge(session_store)

    assert not captcha.verify(session_store, given)
    assert captcha.current_answer(session_store) is None


def test_overlong_answer_fails(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert not captcha.verify(session_store, answer + "0" * 10_000)


def test_answer_verifies_at_exactly_the_timeout(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store, now=ISSUED_AT)

    assert captcha.verify(session_store, answer, now=ISSUED_AT + 300)


def test_answer_expires_just_past_the_timeout(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store, now=ISSUED_AT)

    assert not captcha.verify(session_store, answer, now=ISSUED_AT + 300.001)


def test_timeout_setting_is_honoured(session_store: SessionBase, settings: Any) -> None:
    settings.MEMBER_CAPTCHA_TIMEOUT = 60
    answer = captcha.make_challenge(session_store, now=ISSUED_AT)
    assert captcha.verify(session_store, answer, now=ISSUED_AT + 60)

    answer = captcha.make_challenge(session_store, now=ISSUED_AT)
    assert not captcha.verify(session_store, answer, now=ISSUED_AT + 61)


def test_expired_challenge_is_consumed(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store, now=ISSUED_AT)

    assert not captcha.verify(session_store, answer, now=ISSUED_AT + 301)
    assert not captcha.verify(session_store, answer, now=ISSUED_AT + 1)


@pytest.mark.parametrize(
    "stored",
    [
        "A3F9C",
        ["A3F9C"],
        12345,
        {"answer": "A3F9C"},
        {"answer": "A3F9C", "issued_at": "yesterday"},
        {"answer": None, "issued_at": ISSUED_AT},
        {"answer": 12345, "issued_at": ISSUED_AT},
        {"answer": "", "issued_at": ISSUED_AT},
    ],
    ids=[
        "string",
        "list",
        "number",
        "no-time",
        "text-time",
        "none-answer",
        "int-answer",
        "empty-answer",
    ],
)
def test_malformed_challenge_never_verifies(session_store: SessionBase, stored: Any) -> None:
    session_store[captcha.SESSION_KEY] = stored
    inner = stored.get("answer") if isinstance(stored, dict) else stored

    assert captcha.current_answer(session_store, now=ISSUED_AT + 1) is None
    assert not captcha.verify(session_store, str(inner), now=ISSUED_AT + 1)


def test_full_width_answer_typed_by_an_input_method_verifies(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in answer.lower())

    assert captcha.verify(session_store, f"\u3000{full_width} ")


def test_using_a_challenge_up_keeps_the_rest_of_the_session(session_store: SessionBase) -> None:
    session_store["kept"] = "yes"
    answer = captcha.make_challenge(session_store)

    assert captcha.verify(session_store, answer)
    session_store.save()

    engine = import_module(settings.SESSION_ENGINE)
    assert dict(engine.SessionStore(session_store.session_key).items()) == {"kept": "yes"}


def test_a_challenge_without_an_id_is_never_solved(session_store: SessionBase) -> None:
    """A challenge stored before challenges had ids (or tampered with) cannot be spent."""
    answer = captcha.make_challenge(session_store)
    del session_store[captcha.SESSION_KEY]["id"]

    assert not captcha.verify(session_store, answer)


def test_one_challenge_is_used_once_across_sessions_loaded_at_the_same_time(
    session_store: SessionBase,
) -> None:
    """Two requests that loaded the same session row both hold the challenge id in memory (what a
    burst of POSTs does): only one of them may use it."""
    answer = captcha.make_challenge(session_store)
    session_store.save()
    engine = import_module(settings.SESSION_ENGINE)
    copies = [engine.SessionStore(session_store.session_key) for _ in range(5)]

    assert [captcha.verify(copy, answer) for copy in copies] == [True, False, False, False, False]


# current_answer


def test_current_answer_does_not_consume_challenge(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store)

    assert captcha.current_answer(session_store) == answer
    assert captcha.current_answer(session_store) == answer
    assert captcha.verify(session_store, answer)


def test_current_answer_is_none_without_challenge(session_store: SessionBase) -> None:
    assert captcha.current_answer(session_store) is None


def test_current_answer_is_none_once_expired(session_store: SessionBase) -> None:
    answer = captcha.make_challenge(session_store, now=ISSUED_AT)

    assert captcha.current_answer(session_store, now=ISSUED_AT + 300) == answer
    assert captcha.current_answer(session_store, now=ISSUED_AT + 301) is None


# The image view


@pytest.mark.django_db
def test_captcha_view_returns_an_uncached_png(client: Client) -> None:
    response = client.get(CAPTCHA_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_captcha_view_replaces_the_previous_challenge(client: Client) -> None:
    planted = plant_challenge(client)

    client.get(CAPTCHA_URL)

    answer = session_answer(client)
    assert answer is not None
    assert answer != planted
    assert set(answer) <= HEX


@pytest.mark.django_db
def test_captcha_answer_never_leaves_the_server(client: Client) -> None:
    response = client.get(CAPTCHA_URL)
    answer = session_answer(client)
    assert answer is not None

    assert not any(answer in value for value in response.headers.values())
    assert not any(answer in morsel.value for morsel in client.cookies.values())
    page = client.get(LOGIN_URL)
    assert answer.encode() not in page.content
    assert not any(answer in value for value in page.headers.values())


@pytest.mark.django_db
@pytest.mark.parametrize("page", [LOGIN_URL, REGISTER_URL])
def test_loading_a_form_page_keeps_the_challenge(client: Client, page: str) -> None:
    new_captcha(client)
    challenge = client.session[captcha.SESSION_KEY]

    response = client.get(page)

    assert response.status_code == 200
    assert client.session[captcha.SESSION_KEY] == challenge  # the same answer, id and time


@pytest.mark.django_db
def test_captcha_view_refuses_post(client: Client) -> None:
    assert client.post(CAPTCHA_URL).status_code == 405


@pytest.mark.django_db
def test_slashless_captcha_address_answers_get(client: Client) -> None:
    response = client.get("/member/captcha", follow=True)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert session_answer(client) is not None


@pytest.mark.django_db
def test_captcha_works_with_a_bogus_session_cookie(client: Client) -> None:
    client.cookies["sessionid"] = "not-a-session-the-site-made"

    response = client.get(CAPTCHA_URL)

    assert response.status_code == 200
    assert session_answer(client) is not None


# Sessions that hold only a challenge


@pytest.mark.django_db
def test_a_session_made_for_an_image_ends_with_its_challenge(client: Client) -> None:
    client.get(CAPTCHA_URL)

    assert client.session.get_expiry_age() == 300
    assert int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 300


@pytest.mark.django_db
def test_clearsessions_removes_an_image_session_once_its_challenge_expired(
    member: Any, settings: Any
) -> None:
    """The database engine keeps expired rows until ``clearsessions``; Redis ends a session by
    its own time to live (test_login's ``stored_session_life`` reads both)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    Client().get(CAPTCHA_URL)
    remembered = Client()
    post_login(remembered, remember=True)
    five_minutes_later = timezone.now() + timedelta(seconds=301)

    with mock.patch.object(timezone, "now", return_value=five_minutes_later):
        call_command("clearsessions")

    assert list(Session.objects.values_list("session_key", flat=True)) == [
        remembered.cookies[settings.SESSION_COOKIE_NAME].value
    ]


@pytest.mark.django_db
def test_signing_in_gives_the_session_its_own_lifetime(client: Client, member: Any) -> None:
    post_login(client, remember=True)

    assert client.session.get_expiry_age() == 7 * 24 * 60 * 60
