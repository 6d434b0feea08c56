"""Changing and resetting the password in a real browser, in both languages."""

from __future__ import annotations

import re

import pytest

from member.tests.helpers import run_queued_tasks
from qa.fixtures.options import using_base_url
from qa.pages import LinkInvalidPage, LoginPage, SetPasswordPage

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "another-Passw0rd-2026!"
LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")

LANGUAGES = {
    "zh-hant": {"changed": "密碼已變更", "set": "新密碼已設定，請用新密碼登入"},  # noqa: RUF001
    "en": {
        "changed": "Your password was changed.",
        "set": "Your new password is set. Sign in with it.",
    },
}


@pytest.fixture(params=list(LANGUAGES))
def visitor(request):
    """The browser of a visitor reading the site in each language."""
    name = "browser" if request.param == "zh-hant" else "english_browser"
    return request.param, request.getfixturevalue(name)


def test_a_member_changes_the_password_and_signs_in_with_the_new_one(
    visitor, site_url, site_member
):
    language, driver = visitor
    home = LoginPage(driver, site_url).open().login_as(site_member.email, site_member.password)

    home = home.go_to_password_change().change(site_member.password, NEW_PASSWORD)

    assert LANGUAGES[language]["changed"] in home.messages
    login = home.logout()
    assert site_member.username in login.login_as(site_member.email, NEW_PASSWORD).greeting


def test_a_member_resets_a_forgotten_password_by_the_mailed_link(
    request, visitor, site_url, site_member
):
    if using_base_url(request.config):
        pytest.skip("the mailed link is read from the test server's outbox, out of reach")
    outbox = request.getfixturevalue("mailoutbox")
    language, driver = visitor
    reset = LoginPage(driver, site_url).open().go_to_password_reset()

    reset.request_link(site_member.email)
    run_queued_tasks()  # the task worker's turn: the mail goes out off the request path
    [mail] = outbox
    link = LINK.search(mail.body).group(0)
    login = SetPasswordPage(driver, site_url).open_link(link).set_password(NEW_PASSWORD)

    assert LANGUAGES[language]["set"] in login.messages
    assert site_member.username in login.login_as(site_member.email, NEW_PASSWORD).greeting
    # The link worked once.
    assert isinstance(SetPasswordPage(driver, site_url).open_link(link), LinkInvalidPage)
