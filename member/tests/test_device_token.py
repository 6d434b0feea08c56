"""A way back in for the owner: remembered devices are not locked out with the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client

from member import throttle
from member.models import Member
from member.tests.helpers import MEMBER_EMAIL, MEMBER_PASSWORD, post_login

ACCOUNT_LIMIT = 10
WRONG = "not-the-password"


def lock_the_account(attacker: Client) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert post_login(attacker, password=WRONG).status_code == 200
    assert post_login(attacker).status_code == 429


@pytest.fixture
def owner(member: Member) -> Client:
    """The owner's browser, which signed in before (and so holds a device token), signed out."""
    browser = Client(REMOTE_ADDR="203.0.113.5")
    assert post_login(browser).status_code == 302
    assert throttle.DEVICE_COOKIE in browser.cookies
    browser.post("/member/logout/")
    return browser


@pytest.fixture
def attacker() -> Client:
    return Client(REMOTE_ADDR="198.51.100.7")


def test_signing_in_gives_the_browser_an_http_only_device_token(member: Member) -> None:
    browser = Client()
    post_login(browser)

    cookie = browser.cookies[throttle.DEVICE_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 180 * 24 * 60 * 60
    assert MEMBER_PASSWORD not in cookie.value


def test_the_owner_signs_in_from_a_remembered_device_while_the_account_is_locked(
    owner: Client, attacker: Client
) -> None:
    lock_the_account(attacker)

    assert post_login(owner).status_code == 302


def test_a_new_browser_of_the_owner_is_locked_out_like_the_attacker(
    member: Member, attacker: Client
) -> None:
    lock_the_account(attacker)

    assert post_login(Client(REMOTE_ADDR="203.0.113.6")).status_code == 429


def test_wrong_passwords_from_a_device_count_against_its_own_small_budget(
    owner: Client, settings: Any
) -> None:
    settings.MEMBER_DEVICE_FAILURES = 3
    for _ in range(3):
        assert post_login(owner, password=WRONG).status_code == 200

    assert post_login(owner).status_code == 429


def test_a_device_token_for_another_account_does_not_help(owner: Client, attacker: Client) -> None:
    Member.objects.create_user("eve@example.com", "eve-password-2026", username="Eve")
    assert (
        post_login(attacker, email="eve@example.com", password="eve-password-2026").status_code
        == 302
    )
    attacker.post("/member/logout/")
    attacker.cookies.pop("sessionid", None)
    for _ in range(ACCOUNT_LIMIT):
        post_login(attacker, password=WRONG)

    assert post_login(attacker).status_code == 429


def test_a_forged_or_tampered_device_token_is_ignored(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)
    forged = signing.dumps({"account": MEMBER_EMAIL, "device": "x"}, salt="another-salt")
    attacker.cookies[throttle.DEVICE_COOKIE] = forged

    assert post_login(attacker).status_code == 429


def test_resetting_the_account_lifts_its_lockout(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)

    throttle.reset_account("ADA@example.com")

    assert post_login(Client(REMOTE_ADDR="203.0.113.6")).status_code == 302


def test_clearthrottle_command_lifts_one_account(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)
    call_command("clearthrottle", email=MEMBER_EMAIL)

    assert post_login(Client(REMOTE_ADDR="203.0.113.6")).status_code == 302
