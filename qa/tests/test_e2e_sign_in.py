"""Signing in and out in a real browser: every path a member can take through the login page."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.keys import Keys

from qa.contract import BAD_CREDENTIALS, SIGNED_IN
from qa.contract import CAPTCHA_WRONG as WRONG_CAPTCHA
from qa.pages import LoginPage, MemberHomePage

pytestmark = pytest.mark.e2e


SEVEN_DAYS = 7 * 24 * 60 * 60


def next_parameter(path: str) -> str | None:
    """The ``next`` the address carries, decoded."""
    values = parse_qs(urlsplit(path).query).get("next")
    return values[0] if values else None


def test_sign_in_with_remember_me_keeps_the_session_for_seven_days(
    login_page, site_member, browser
):
    home = login_page.login_as(site_member.email, site_member.password, remember=True)

    assert site_member.username in home.greeting
    assert SIGNED_IN in home.messages
    cookie = browser.get_cookie("sessionid")
    assert cookie is not None
    assert abs(cookie["expiry"] - (time.time() + SEVEN_DAYS)) < 120


def test_sign_in_without_remember_me_ends_with_the_browser(login_page, site_member, browser):
    home = login_page.login_as(site_member.email, site_member.password, remember=False)

    assert site_member.username in home.greeting
    cookie = browser.get_cookie("sessionid")
    assert cookie is not None
    assert "expiry" not in cookie  # a session cookie: no Expires, no Max-Age


def test_wrong_captcha_shows_a_new_image_keeps_the_email_and_clears_the_password(
    login_page, site_member
):
    first_image = login_page.captcha.fingerprint
    first_answer = login_page.captcha.answer
    wrong = "".join(reversed(first_answer))

    page = login_page.login_expecting_error(site_member.email, site_member.password, captcha=wrong)

    assert WRONG_CAPTCHA in page.error_text
    assert page.captcha.fingerprint != first_image
    assert page.captcha.answer != first_answer
    assert page.email_value == site_member.email
    assert page.password_value == ""
    assert page.captcha.value == ""


@pytest.mark.parametrize("mistake", ["wrong password", "unknown email"])
def test_bad_credentials_get_one_message_whatever_was_wrong(login_page, site_member, mistake):
    if mistake == "wrong password":
        email, password = site_member.email, site_member.password + "-not"
    else:
        email, password = f"nobody-{time.time_ns()}@example.com", site_member.password

    page = login_page.login_expecting_error(email, password)

    assert page.error_text == BAD_CREDENTIALS
    assert page.email_value == email
    assert page.password_value == ""


def test_inactive_member_gets_the_bad_credentials_message(login_page, make_member):
    dormant = make_member(inactive=True)

    page = login_page.login_expecting_error(dormant.email, dormant.password)

    assert page.error_text == BAD_CREDENTIALS


def test_sign_out_ends_the_session(login_page, site_member, browser, site_url):
    home = login_page.login_as(site_member.email, site_member.password)

    page = home.logout()

    assert page.current_path == LoginPage.path
    # The member home is closed again: the site asks to sign in.
    again = MemberHomePage(browser, site_url).open_signed_out()
    assert next_parameter(again.current_path) == MemberHomePage.path


def test_signed_out_visit_to_member_home_comes_back_after_sign_in(browser, site_url, site_member):
    page = MemberHomePage(browser, site_url).open_signed_out(query="via=qa")

    assert urlsplit(page.current_path).path == LoginPage.path
    assert next_parameter(page.current_path) == "/member/?via=qa"
    home = page.login_as(site_member.email, site_member.password)
    assert home.current_path == "/member/?via=qa"
    assert site_member.username in home.greeting


def test_keyboard_only_sign_in(login_page, site_member, browser):
    """Every control in reading order (the challenge before its answer), each with a visible
    focus ring."""
    assert login_page.focused_field == "useremail"  # autofocus: typing can start at once
    assert login_page.focus_ring_visible
    login_page.type_into_focused(site_member.email).press_tab()
    assert login_page.focused_field == "userpassword"
    login_page.type_into_focused(site_member.password).press_tab()
    stops = []
    for _ in range(5):
        stops.append((login_page.focused_field, login_page.focus_ring_visible))
        if login_page.focused_field == "captcha":
            login_page.type_into_focused(login_page.captcha.answer)
        elif login_page.focused_field == "rememberme":
            login_page.press_space()
        login_page.press_tab()
    assert stops == [
        ("btn_captcha", True),
        ("btn_captcha_audio", True),
        ("captcha", True),
        ("rememberme", True),
        ("btn_login", True),
    ]
    login_page.type_into_focused(Keys.SHIFT + Keys.TAB)  # back to the submit button
    assert login_page.focused_field == "btn_login"

    home = login_page.press_enter_expecting_home()

    assert site_member.username in home.greeting
    assert "expiry" in browser.get_cookie("sessionid")  # the space bar ticked "remember me"
