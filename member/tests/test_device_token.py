"""A way back in for the owner: remembered devices are locked out neither with the account nor with
the address; their tokens belong to the member and the password."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.utils.crypto import salted_hmac

from member import throttle
from member.models import Member
from member.tests.helpers import MEMBER_EMAIL, MEMBER_PASSWORD, post_login

ACCOUNT_LIMIT = 10
WRONG = "not-the-password"


def lock_the_account(attacker: Client, *, password: str = MEMBER_PASSWORD) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert post_login(attacker, password=WRONG).status_code == 200
    assert post_login(attacker, password=password).status_code == 429


@pytest.fixture
def owner(member: Member) -> Client:
    """The owner's browser, which signed in before (and so holds a device token), signed out."""
    browser = Client(REMOTE_ADDR="203.0.113.5")
    assert post_login(browser).status_code == 302
    assert throttle.DEVICE_COOKIE in browser.cookies
    browser.post("/member/logout/")
    return browser


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


def test_a_device_token_for_another_account_does_not_help(member: Member, attacker: Client) -> None:
    """Eve's browser holds a valid token, for Eve: against Ada's locked account it is a browser
    like any other, even with Ada's right password."""
    Member.objects.create_user("eve@example.com", "eve-password-2026", username="Eve")
    eve = Client(REMOTE_ADDR="192.0.2.66")
    assert post_login(eve, email="eve@example.com", password="eve-password-2026").status_code == 302
    eve.post("/member/logout/")
    assert throttle.DEVICE_COOKIE in eve.cookies
    lock_the_account(attacker)

    assert post_login(eve).status_code == 429


def test_the_remembered_browser_gets_past_a_locked_address(owner: Client, settings: Any) -> None:
    """Failures from the owner's own address (a shared office) lock the address out of sign-in,
    but not the browser that signed in before; it spends only its own budget."""
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 3
    neighbour = Client(REMOTE_ADDR="203.0.113.5")
    for number in range(3):
        post_login(neighbour, email=f"guess{number}@example.com", password=WRONG)
    assert post_login(Client(REMOTE_ADDR="203.0.113.5")).status_code == 429

    assert post_login(owner).status_code == 302


def test_a_password_change_revokes_the_tokens_of_other_browsers(
    owner: Client, member: Member, attacker: Client
) -> None:
    """The owner changes the password in another browser: this one's token is from before."""
    changer = Client(REMOTE_ADDR="203.0.113.7")
    assert post_login(changer).status_code == 302
    new = "a-new-password-2026!"
    change = {"old_password": MEMBER_PASSWORD, "new_password1": new, "new_password2": new}
    assert changer.post("/member/password/change/", change).status_code == 302
    changer.post("/member/logout/")
    lock_the_account(attacker, password=new)

    assert post_login(owner, password=new).status_code == 429
    # The browser that changed the password got a fresh token with it.
    assert post_login(changer, password=new).status_code == 302


def test_a_password_reset_revokes_every_token(
    owner: Client, member: Member, attacker: Client
) -> None:
    member.set_password("reset-by-mail-2026!")
    member.save()
    lock_the_account(attacker, password="reset-by-mail-2026!")

    assert post_login(owner, password="reset-by-mail-2026!").status_code == 429


def test_an_expired_device_token_is_ignored(member: Member, attacker: Client) -> None:
    browser = Client(REMOTE_ADDR="203.0.113.8")
    age = 180 * 24 * 60 * 60
    minted_long_ago = signing.b62_encode(int(time.time()) - age - 1)
    with mock.patch.object(signing.TimestampSigner, "timestamp", return_value=minted_long_ago):
        assert post_login(browser).status_code == 302
    browser.post("/member/logout/")
    lock_the_account(attacker)

    assert post_login(browser).status_code == 429


def test_a_token_of_the_old_form_is_ignored(member: Member, attacker: Client) -> None:
    """Tokens minted before they were bound to the member and the password (account + device)."""
    lock_the_account(attacker)
    old = signing.dumps({"account": MEMBER_EMAIL, "device": "x"}, salt=throttle.DEVICE_SALT)
    attacker.cookies[throttle.DEVICE_COOKIE] = old

    assert post_login(attacker).status_code == 429


def test_the_token_carries_no_password_hash_and_nothing_the_browser_can_rewrite(
    member: Member,
) -> None:
    browser = Client()
    post_login(browser)
    claims = signing.loads(browser.cookies[throttle.DEVICE_COOKIE].value, salt=throttle.DEVICE_SALT)

    assert claims["member"] == member.pk
    assert member.password not in str(claims)
    # An HMAC of the hash under the site's key: it changes with the password, and says nothing.
    stamp = salted_hmac(throttle.DEVICE_SALT, member.password, algorithm="sha256").hexdigest()
    assert claims["password"] == stamp


def test_a_forged_or_tampered_device_token_is_ignored(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)
    forged = signing.dumps({"member": 1, "device": "x", "password": "0" * 64}, salt="another-salt")
    attacker.cookies[throttle.DEVICE_COOKIE] = forged

    assert post_login(attacker).status_code == 429


def test_resetting_the_account_lifts_its_lockout(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)

    throttle.lift_account_lockout("ADA@example.com")

    assert post_login(Client(REMOTE_ADDR="203.0.113.6")).status_code == 302


def test_clearthrottle_command_lifts_one_account(member: Member, attacker: Client) -> None:
    lock_the_account(attacker)
    call_command("clearthrottle", email=MEMBER_EMAIL)

    assert post_login(Client(REMOTE_ADDR="203.0.113.6")).status_code == 302
