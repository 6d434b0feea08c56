"""The captcha as a visitor meets it: an image that shows, a refresh button that works in place."""

from __future__ import annotations

import pytest
from django.test import override_settings

from qa.contract import CAPTCHA_WRONG as WRONG_CAPTCHA
from qa.fixtures.options import using_base_url
from qa.pages import CaptchaHookUnavailable

pytestmark = pytest.mark.e2e


NEW_IMAGE_SHOWN = "已換上新的驗證碼圖片"


def test_login_captcha_image_decodes(login_page):
    assert login_page.captcha.natural_width > 0


def test_sign_up_captcha_image_decodes(register_page):
    assert register_page.captcha.natural_width > 0


def test_refresh_button_shows_a_new_image_without_reloading_the_page(login_page):
    login_page.mark_document("before refresh")
    login_page.captcha.fill("ABCDE")
    old_image = login_page.captcha.fingerprint

    captcha = login_page.captcha.refresh()

    assert login_page.document_mark == "before refresh"  # same document: no reload
    assert captcha.src.startswith("blob:")
    assert captcha.natural_width > 0
    assert captcha.fingerprint != old_image
    assert captcha.value == ""  # the stale answer is cleared for the new image
    assert login_page.focused_field == "captcha"  # ready for typing the new one
    assert captcha.status_text == NEW_IMAGE_SHOWN  # announced to screen readers


def test_after_refresh_the_old_answer_is_refused(login_page, site_member):
    old_answer = login_page.captcha.answer
    login_page.captcha.refresh()

    page = login_page.login_expecting_error(
        site_member.email, site_member.password, captcha=old_answer
    )

    assert page.error_text == WRONG_CAPTCHA


def test_after_refresh_the_new_answer_is_accepted(login_page, site_member):
    login_page.captcha.refresh()

    home = login_page.login_as(site_member.email, site_member.password)

    assert site_member.username in home.greeting


@pytest.mark.expect_browser_errors(r"/member/debug/captcha/ answered 404")
def test_hook_switched_off_fails_with_a_clear_message(login_page, settings, pytestconfig):
    if using_base_url(pytestconfig):
        pytest.skip("switches the hook off in the live server's settings")
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = False

    with pytest.raises(CaptchaHookUnavailable, match="MEMBER_CAPTCHA_DEBUG_HOOK=1"):
        login_page.captcha.answer  # noqa: B018  (reading it is the action under test)


@pytest.mark.expect_browser_errors(r"/member/debug/captcha/ answered 404")
def test_override_settings_turns_the_hook_on_for_one_block_of_one_test(
    login_page, settings, pytestconfig, site_member
):
    """The live server runs in the test's process and reads the setting on each request, so
    Django's own ``override_settings`` switches the hook for as long as its block lasts
    (django-simple-captcha reads its test mode once, at import)."""
    if using_base_url(pytestconfig):
        pytest.skip("switches the live server's settings")
    settings.MEMBER_CAPTCHA_DEBUG_HOOK = False  # off, as everywhere but in tests

    with override_settings(MEMBER_CAPTCHA_DEBUG_HOOK=True):
        answer = login_page.captcha.answer

    with pytest.raises(CaptchaHookUnavailable, match="answered 404"):
        login_page.captcha.answer  # noqa: B018  (off again once the block ended)
    # The answer read while the hook was on signs in: it was this session's challenge.
    home = login_page.fill(site_member.email, site_member.password, captcha=answer)
    assert site_member.username in home.submit_expecting_home().greeting
