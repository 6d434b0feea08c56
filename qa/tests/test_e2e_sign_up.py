"""Signing up in a real browser."""

from __future__ import annotations

import secrets

import pytest

from qa.contract import EMAIL_TAKEN, SIGNED_IN
from qa.factories import DEFAULT_PASSWORD
from qa.pages import LoginPage, MemberHomePage

pytestmark = pytest.mark.e2e


def new_email() -> str:
    # Random rather than a sequence: against --base-url the server keeps earlier runs' members.
    return f"new-{secrets.token_hex(6)}@example.com"


def test_sign_up_signs_the_new_member_in_and_they_can_sign_in_again(register_page, browser):
    email = new_email()

    home = register_page.register_as("林小美", email, DEFAULT_PASSWORD)

    assert "林小美" in home.greeting
    assert SIGNED_IN in home.messages
    page = home.logout()
    again = page.login_as(email, DEFAULT_PASSWORD)
    assert "林小美" in again.greeting


def test_sign_up_with_an_email_already_in_use_is_refused_whatever_its_case(
    register_page, site_member, browser, site_url
):
    email = site_member.email.upper()
    page = register_page.fill("Someone Else", email, "x" + DEFAULT_PASSWORD)
    page = page.submit_expecting_error(f"signing up again as {email}")

    assert EMAIL_TAKEN in page.field_errors["useremail"]
    # Nobody got signed in by the refused sign-up: the member home still asks to sign in.
    login = MemberHomePage(browser, site_url).open_signed_out()
    assert login.current_path.startswith(LoginPage.path)
