"""What every visitor gets whatever they do: their language, and pages without script errors."""

from __future__ import annotations

import pytest

from qa.browser import browser_log
from qa.pages import LoginPage

pytestmark = pytest.mark.e2e


def is_error(entry: dict) -> bool:
    """A console error a visitor's page suffers from (failed loads included: the favicon too)."""
    return entry["level"] == "SEVERE"


def test_chinese_browser_gets_traditional_chinese(login_page):
    assert login_page.language == "zh-hant"
    assert login_page.heading == "會員登入"


def test_english_browser_gets_english(english_browser, site_url, site_member):
    page = LoginPage(english_browser, site_url).open()
    assert page.language == "en"
    assert page.heading == "Member sign-in"

    page = page.login_expecting_error(site_member.email, site_member.password, captcha="00000")
    assert page.error_text == "The captcha is wrong."
    page = page.login_expecting_error(site_member.email, "not-" + site_member.password)
    assert page.error_text == "Sign-in failed: wrong email or password."
    home = page.login_as(site_member.email, site_member.password)
    assert "Signed in." in home.messages


def test_no_javascript_errors_on_any_page(login_page, site_member, browser):
    login_page.captcha.refresh()
    page = login_page.login_expecting_error(
        site_member.email, site_member.password, captcha="00000"
    )
    register = page.go_to_register()
    register.captcha.refresh()
    home = (
        LoginPage(browser, register.base_url)
        .open()
        .login_as(site_member.email, site_member.password)
    )
    home.logout()

    errors = [entry for entry in browser_log(browser) if is_error(entry)]

    assert errors == []
