"""Every page and state, in both languages, on a laptop, zoomed and on a phone: axe-core's WCAG
2.0, 2.1 and 2.2 A and AA rules find nothing, the page never scrolls sideways, every control is a
44 px target; and on the laptop and the phone each looks as its committed baseline does
(``qa/baselines/``, see ``qa.visual``).

640 px is what a 1280 px window shows with the text zoomed to 200 %: nothing may be lost off the
side there either. One walk per language, each state checked at every width where it stands:
the pages are reached by their addresses where they have one, and the browser signs in once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import override_settings

from member.tests.helpers import run_queued_tasks
from qa.accessibility import audit, horizontal_overflow, small_touch_targets
from qa.contract import LOCKED_OUT
from qa.fixtures.options import using_base_url
from qa.pages import (
    ErrorPage,
    LoginPage,
    LogoutPage,
    Page,
    PasswordChangePage,
    PasswordResetPage,
    RegisterPage,
    SetPasswordPage,
)

pytestmark = pytest.mark.e2e

LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")
# Laptop, a laptop at 200 % text zoom, phone; the looks are compared on the first and the last.
WIDTHS = (1280, 640, 390)
LOOK_WIDTHS = (1280, 390)
HEIGHT = 900
# The members the walk shows: fixed names and emails, so the pages look the same on every run.
# The lockout message's start in each language (member/locale).
LOCKOUT_TEXT = {"zh-hant": LOCKED_OUT, "en": "Too many failed attempts"}
WALKERS = {
    "zh-hant": ("林怡君", "walker@example.com", "lockout@example.com"),
    "en": ("Jane Walker", "walker@example.com", "lockout@example.com"),
}


@pytest.fixture(params=list(WALKERS))
def language(request) -> str:
    return request.param


@pytest.fixture
def driver(request, language):
    return request.getfixturevalue("browser" if language == "zh-hant" else "english_browser")


def problems_of(page: Page) -> list[str]:
    """What stands between this page and a person using assistive technology or a phone."""
    problems = [str(violation) for violation in audit(page.driver)]
    overflow = horizontal_overflow(page.driver)
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow} px")
    small = small_touch_targets(page.driver)
    problems += [f"touch target under 44 px: {target}" for target in small]
    return problems


def slug(state: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", state.lower()).strip("-")


def test_every_page_and_state_is_accessible_and_looks_as_before(
    request, language, driver, site_url, make_member, look
):
    on_live_server = not using_base_url(request.config)
    name, email, other_email = WALKERS[language]
    member = make_member(username=name, email=email if on_live_server else None)
    findings: dict[str, list[str]] = {}

    def check(state: str, page: Page) -> Page:
        for width in WIDTHS:
            driver.set_window_size(width, HEIGHT)
            problems = problems_of(page)
            if width in LOOK_WIDTHS:
                difference = look(driver, f"{slug(state)}.{language}.{width}")
                problems += [str(difference)] if difference else []
            if problems:
                findings[f"{state} at {width} px"] = problems
        driver.set_window_size(WIDTHS[0], HEIGHT)
        return page

    def live_only(state: str, visit: Callable[[], Page]) -> None:
        # Needs the test server's insides (its outbox, its settings, DEBUG off for error pages).
        if on_live_server:
            check(state, visit())

    login = check("sign-in", LoginPage(driver, site_url).open())
    check(
        "sign-in, captcha left empty",
        login.login_expecting_error(member.email, member.password, captcha=""),
    )

    def locked_out() -> Page:
        other = make_member(email=other_email)
        with override_settings(MEMBER_LOGIN_FAILURES_PER_ACCOUNT=1):
            page = LoginPage(driver, site_url).open()
            page = page.login_expecting_error(other.email, "not-" + other.password)
            page = page.login_expecting_error(other.email, other.password)
        # The state audited is the lockout itself, not a wrong password's page.
        assert LOCKOUT_TEXT[language] in page.error_text, page.error_text
        return page

    live_only("sign-in, locked out", locked_out)
    register = check("sign-up", RegisterPage(driver, site_url).open())
    register.fill("", "not-an-email", "12345678", password2="12345679", captcha="")
    check("sign-up with errors", register.submit_expecting_error("signing up (expected to fail)"))

    reset = check("password reset", PasswordResetPage(driver, site_url).open())
    check("check your mail", reset.request_link(member.email))

    def set_password() -> Page:
        outbox = request.getfixturevalue("mailoutbox")
        run_queued_tasks()  # the task worker's turn: the mail goes out off the request path
        [link] = [found.group(0) for mail in outbox if (found := LINK.search(mail.body))]
        return SetPasswordPage(driver, site_url).open_link(link)

    live_only("set a new password", set_password)
    check("used link", SetPasswordPage(driver, site_url).open_link("/member/password/reset/MQ/x/"))

    home = LoginPage(driver, site_url).open().login_as(member.email, member.password)
    check("member home, signed in", home)
    check("sign-in page while signed in", LoginPage(driver, site_url).open())
    change = check("password change", PasswordChangePage(driver, site_url).open())
    check("password change with errors", change.change_expecting_error("wrong", "short", "other"))
    logout = check("sign-out confirmation", LogoutPage(driver, site_url).open())
    check("signed out", logout.confirm())
    live_only("page not found", lambda: ErrorPage(driver, site_url).open("/member/nowhere/"))

    assert findings == {}
