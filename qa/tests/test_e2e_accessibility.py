"""Every page and state, in both languages, on a laptop and a phone: axe-core's WCAG 2.0/2.1 A
and AA rules find nothing, the page never scrolls sideways, and every control is a 44 px target.

Also at 640 px, which is what a 1280 px window shows with the text zoomed to 200 %: nothing may be
lost off the side there either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import override_settings

from member.tests.helpers import run_queued_tasks
from qa.accessibility import audit, horizontal_overflow, small_touch_targets
from qa.fixtures.options import using_base_url
from qa.pages import (
    ErrorPage,
    LoginPage,
    LogoutPage,
    MemberHomePage,
    Page,
    SetPasswordPage,
)

pytestmark = pytest.mark.e2e

LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")
WIDTHS = {"laptop": 1280, "zoomed-200%": 640, "phone": 390}


@pytest.fixture(params=["zh-hant", "en"])
def driver(request):
    return request.getfixturevalue("browser" if request.param == "zh-hant" else "english_browser")


@pytest.fixture(params=list(WIDTHS))
def width(request, driver):
    """The window's width for this test; the laptop size comes back afterwards."""
    before = driver.get_window_size()
    driver.set_window_size(WIDTHS[request.param], 900)
    yield WIDTHS[request.param]
    driver.set_window_size(before["width"], before["height"])


def problems_of(page: Page) -> list[str]:
    """What stands between this page and a person using assistive technology or a phone."""
    problems = [str(violation) for violation in audit(page.driver)]
    overflow = horizontal_overflow(page.driver)
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow} px")
    small = small_touch_targets(page.driver)
    problems += [f"touch target under 44 px: {target}" for target in small]
    return problems


def test_every_page_and_state_is_accessible(request, driver, width, site_url, site_member):
    on_live_server = not using_base_url(request.config)
    findings: dict[str, list[str]] = {}

    def check(state: str, page: Page) -> Page:
        problems = problems_of(page)
        if problems:
            findings[state] = problems
        return page

    def live_only(state: str, visit: Callable[[], Page]) -> None:
        # Needs the test server's insides (its outbox, its settings, DEBUG off for error pages).
        if on_live_server:
            check(state, visit())

    login = check("sign-in", LoginPage(driver, site_url).open())
    check(
        "sign-in, captcha left empty",
        login.login_expecting_error(site_member.email, site_member.password, captcha=""),
    )

    def locked_out() -> Page:
        other = request.getfixturevalue("make_member")()
        with override_settings(MEMBER_LOGIN_FAILURES_PER_ACCOUNT=1):
            page = LoginPage(driver, site_url).open()
            page = page.login_expecting_error(other.email, "not-" + other.password)
            return page.login_expecting_error(other.email, other.password)

    live_only("sign-in, locked out", locked_out)
    register = check("sign-up", LoginPage(driver, site_url).open().go_to_register())
    register.fill("", "not-an-email", "12345678", password2="12345679", captcha="")
    check("sign-up with errors", register.submit_expecting_error("signing up (expected to fail)"))

    reset = check("password reset", LoginPage(driver, site_url).open().go_to_password_reset())
    check("check your mail", reset.request_link(site_member.email))

    def set_password() -> Page:
        outbox = request.getfixturevalue("mailoutbox")
        run_queued_tasks()  # the task worker's turn: the mail goes out off the request path
        [link] = [found.group(0) for mail in outbox if (found := LINK.search(mail.body))]
        return SetPasswordPage(driver, site_url).open_link(link)

    live_only("set a new password", set_password)
    check("used link", SetPasswordPage(driver, site_url).open_link("/member/password/reset/MQ/x/"))

    home = LoginPage(driver, site_url).open().login_as(site_member.email, site_member.password)
    check("member home, signed in", home)
    check("sign-in page while signed in", LoginPage(driver, site_url).open())
    change = MemberHomePage(driver, site_url).open().go_to_password_change()
    check("password change", change)
    check("password change with errors", change.change_expecting_error("wrong", "short", "other"))
    logout = check("sign-out confirmation", LogoutPage(driver, site_url).open())
    check("signed out", logout.confirm())
    live_only("page not found", lambda: ErrorPage(driver, site_url).open("/member/nowhere/"))

    assert findings == {}
