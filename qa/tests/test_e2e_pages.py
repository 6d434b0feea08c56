"""What every visitor gets whatever they do: their language.

(Pages without script errors: every browser test checks its browser's console and sub-requests,
``qa/fixtures/browser_errors.py``.)
"""

from __future__ import annotations

import pytest

from qa.pages import LoginPage

pytestmark = pytest.mark.e2e


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
