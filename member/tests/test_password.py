"""A complete account: change the password signed in, reset a forgotten one by a mailed link."""

from __future__ import annotations

import os
import re
import runpy
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client

from member.models import Member
from member.tests.helpers import (
    HOME_URL,
    LOGIN_URL,
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    new_captcha,
    post_login,
    run_queued_tasks,
    sent_mail,
    signed_in_member_id,
)
from member.tests.test_production import SETTINGS_FILE, production_environment
from qa import throwaway_servers
from qa.contract import CAPTCHA_WRONG, LOCKED_OUT
from qa.throwaway_servers import Inbox

CHANGE_URL = "/member/password/change/"
RESET_URL = "/member/password/reset/"
RESET_SENT_URL = "/member/password/reset/sent/"
NEW_PASSWORD = "a-brand-new-passphrase-2026"
LINK = re.compile(r"https?://[^/\s]+(/member/password/reset/[^/\s]+/[^/\s]+/)")


def signed_in(member: Member) -> Client:
    client = Client()
    assert post_login(client).status_code == 302
    return client


def change(client: Client, *, old: str = MEMBER_PASSWORD, new: str = NEW_PASSWORD) -> Any:
    return client.post(
        CHANGE_URL, {"old_password": old, "new_password1": new, "new_password2": new}
    )


def ask_for_reset(client: Client, email: str = MEMBER_EMAIL) -> Any:
    return client.post(RESET_URL, {"useremail": email, "captcha": new_captcha(client)})


def mailed_link() -> str:
    [message] = sent_mail()
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def set_password(client: Client, link: str, password: str = NEW_PASSWORD) -> Any:
    form_page = client.get(link, follow=True)  # Django moves the token out of the address
    return client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )


# Change


def test_change_keeps_this_browser_signed_in_and_ends_the_other_sessions(member: Member) -> None:
    here, elsewhere = signed_in(member), signed_in(member)

    response = change(here)

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert here.get(HOME_URL).status_code == 200
    assert elsewhere.get(HOME_URL).status_code == 302  # signed out: asked to sign in
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_change_needs_a_signed_in_member(db: None) -> None:
    response = Client().get(CHANGE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_wrong_old_password_is_a_field_error_and_counts_as_a_failed_sign_in(
    member: Member, settings: Any
) -> None:
    # The signed-in browser holds a device token: its checks count against its own budget.
    settings.MEMBER_DEVICE_FAILURES = 2
    client = signed_in(member)

    first = change(client, old="not-the-password")
    assert first.status_code == 200
    assert first.context["form"].has_error("old_password", "password_incorrect")
    change(client, old="not-the-password")

    refused = change(client)  # the right old password, but the account's checks are used up
    assert refused.status_code == 429
    assert LOCKED_OUT in refused.content.decode()


def test_the_new_password_must_pass_the_validators(member: Member) -> None:
    response = change(signed_in(member), new="12345678")

    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2")


# Reset: asking


def test_known_and_unknown_emails_get_the_same_answer(member: Member) -> None:
    known = ask_for_reset(Client())
    unknown = ask_for_reset(Client(), "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == RESET_SENT_URL
    assert [message.to for message in sent_mail()] == [[MEMBER_EMAIL]]


def test_inactive_members_get_no_mail(inactive_member: Member) -> None:
    assert ask_for_reset(Client()).status_code == 302
    assert sent_mail() == []


def test_the_captcha_comes_first(member: Member) -> None:
    client = Client()
    response = client.post(RESET_URL, {"useremail": MEMBER_EMAIL, "captcha": "WRONG"})

    assert response.status_code == 200
    assert CAPTCHA_WRONG in response.content.decode()
    assert sent_mail() == []


def test_the_mail_speaks_the_page_language(member: Member) -> None:
    ask_for_reset(Client(HTTP_ACCEPT_LANGUAGE="en"))
    ask_for_reset(Client())

    english, chinese = sent_mail()
    assert "Open this link" in english.body
    assert "請開啟這個連結" in chinese.body


def test_mails_to_one_address_are_limited_the_same_for_known_and_unknown(
    member: Member, settings: Any
) -> None:
    settings.MEMBER_PASSWORD_RESET_MAILS_PER_ADDRESS = 2
    for email in (MEMBER_EMAIL, "nobody@example.com"):
        answers = [ask_for_reset(Client(), email).status_code for _ in range(3)]
        assert answers == [302, 302, 429], email
    assert len(sent_mail()) == 2


def test_reset_requests_from_one_client_are_limited_whatever_the_addresses(
    member: Member, settings: Any
) -> None:
    """A robot asking for resets of address after address, from one client: refused past the
    limit, with the minutes to wait; another client is not."""
    settings.MEMBER_PASSWORD_RESET_REQUESTS_PER_CLIENT = 3
    robot = {"REMOTE_ADDR": "198.51.100.9"}
    answers = [
        ask_for_reset(Client(**robot), f"someone-{number}@example.com") for number in range(4)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert "重設密碼的要求過於頻繁" in answers[-1].content.decode()
    assert 55 * 60 <= int(answers[-1]["Retry-After"]) <= 60 * 60
    assert ask_for_reset(Client(REMOTE_ADDR="203.0.113.9")).status_code == 302


# Reset: the link


def test_the_link_sets_a_new_password_once_and_ends_every_session(member: Member) -> None:
    session_before = signed_in(member)
    ask_for_reset(Client())
    link = mailed_link()

    browser = Client()
    done = set_password(browser, link)

    assert done.status_code == 302
    assert done["Location"] == LOGIN_URL
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert session_before.get(HOME_URL).status_code == 302
    again = Client().get(link, follow=True)
    assert "link_invalid" in again.content.decode()
    assert RESET_URL in again.content.decode()  # a way to ask for a new one


def link_opened_after(link: str, seconds: int) -> Any:
    """Open ``link`` as if ``seconds`` had passed since it was mailed (the token generator's own
    clock, ``_now()``, moved on)."""
    later = datetime.now() + timedelta(seconds=seconds)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        return Client().get(link, follow=True)


def test_a_link_works_for_an_hour_and_not_a_second_more(member: Member) -> None:
    ask_for_reset(Client())
    link = mailed_link()

    assert "link_invalid" not in link_opened_after(link, 3599).content.decode()
    response = link_opened_after(link, 3601)

    assert "link_invalid" in response.content.decode()
    assert RESET_URL in response.content.decode()  # a way to ask for a new one
    member.refresh_from_db()
    assert member.check_password(MEMBER_PASSWORD)


@pytest.mark.parametrize("tamper", ["token", "uid"])
def test_a_tampered_link_gets_a_page_with_a_way_to_ask_again(member: Member, tamper: str) -> None:
    ask_for_reset(Client())
    uid, token = mailed_link().strip("/").split("/")[-2:]
    if tamper == "uid":
        uid = "Zm9v"
    else:
        token += "x"
    bad = f"{RESET_URL}{uid}/{token}/"

    response = Client().get(bad, follow=True)

    assert response.status_code == 200
    assert "link_invalid" in response.content.decode()


def test_a_reset_lifts_the_account_lockout(member: Member) -> None:
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(10):
        post_login(attacker, password="wrong")
    assert post_login(Client(), password=MEMBER_PASSWORD).status_code == 429

    assert [message.to for message in sent_mail()] == [[MEMBER_EMAIL]]  # the owner was told
    mail.outbox.clear()

    ask_for_reset(Client())
    set_password(Client(), mailed_link())

    owner = Client()
    assert post_login(owner, password=NEW_PASSWORD).status_code == 302
    assert signed_in_member_id(owner) == str(member.pk)


# Mail delivery, real parts


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port, and the site sending to it."""
    with throwaway_servers.smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield inbox


def test_the_reset_mail_goes_out_through_a_real_smtp_server(
    member: Member, smtp_server: Inbox
) -> None:
    assert ask_for_reset(Client()).status_code == 302
    run_queued_tasks()

    [message] = smtp_server.contents
    assert f"To: {MEMBER_EMAIL}" in message
    assert "/member/password/reset/" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:s%40cret@mail.example.com:587/?tls=True",
            ("mail.example.com", 587, "mailer", "s@cret", True, False),
        ),
        (
            "smtps://mailer:pw@mail.example.com",
            ("mail.example.com", 465, "mailer", "pw", False, True),
        ),
    ],
)
def test_email_url_becomes_the_smtp_settings(url: str, expected: tuple) -> None:
    environment = production_environment(EMAIL_URL=url)
    with mock.patch.dict(os.environ, environment, clear=True):
        namespace = runpy.run_path(str(SETTINGS_FILE))

    assert namespace["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        namespace["EMAIL_HOST"],
        namespace["EMAIL_PORT"],
        namespace["EMAIL_HOST_USER"],
        namespace["EMAIL_HOST_PASSWORD"],
        namespace["EMAIL_USE_TLS"],
        namespace["EMAIL_USE_SSL"],
    ) == expected
