"""A browser suite that fails on purpose, for qa/tests/test_harness_report.py to run in a pytest of
its own (as ``test_inner.py``) and read the results of: pages with a broken sub-request, a thrown
exception, a console error; expected and unexpected browser errors; a flaky test; a changed colour.

Not collected by the project's own run (its name does not start with ``test_``).
"""

from __future__ import annotations

import socket

import pytest
from csp.decorators import csp_exempt
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from selenium.webdriver.support.wait import WebDriverWait

from qa.visual import check_look

pytestmark = pytest.mark.e2e


# Bound for the run and never listening: a request to its port is refused (no answer), and no
# server the run starts can take the port meanwhile.
_REFUSING = socket.socket()
_REFUSING.bind(("127.0.0.1", 0))


def closed_port() -> int:
    """A local port nobody listens on, nor will during this run."""
    return _REFUSING.getsockname()[1]


# Each page of the site here has one sub-request that fails: kind -> the markup that makes it.
BROKEN = {
    "stylesheet": '<link rel="stylesheet" href="/static/css/missing.css">',
    "script": '<script src="/static/js/missing.js"></script>',
    "image": '<img src="/static/missing.png" alt="">',
    "font": '<link rel="stylesheet" href="/broken/font.css"><p class="gone">text</p>',
    "audio": '<audio src="/static/missing.wav" preload="auto"></audio>',
    "no-answer": f'<img src="http://127.0.0.1:{closed_port()}/refused.png" alt="">',
    "exception": '<script src="/broken/throw.js"></script>',
    "console-error": '<script src="/broken/console-error.js"></script>',
}
SCRIPTS = {  # /broken/<name>.js
    "throw": 'throw new Error("thrown by the page on purpose");',
    "console-error": 'console.error("said by the page on purpose");',
}
FONT_CSS = (
    "@font-face { font-family: Gone; src: url(/static/fonts/missing.woff); }\n"
    ".gone { font-family: Gone; }\n"
)


@csp_exempt()  # the page with a cross-origin image needs it; the rest do not mind
def broken_page(request: HttpRequest, kind: str) -> HttpResponse:
    return HttpResponse(
        f'<!DOCTYPE html><html lang="en"><head><title>{kind}</title>'
        f'<link rel="icon" href="/static/favicon.svg">{BROKEN[kind]}</head>'
        f"<body><h1>A page with a broken {kind}</h1></body></html>"
    )


def script(request: HttpRequest, name: str) -> HttpResponse:
    return HttpResponse(SCRIPTS[name], content_type="text/javascript")


def font_css(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FONT_CSS, content_type="text/css")


urlpatterns = [
    path("broken/font.css", font_css),
    path("broken/<str:name>.js", script),
    path("broken/<str:kind>/", broken_page),
    path("member/", include("member.urls")),
]


@pytest.fixture(autouse=True)
def _broken_pages_served(settings):
    settings.ROOT_URLCONF = __name__


def open_broken(driver, site_url: str, kind: str) -> None:
    driver.get(f"{site_url}/broken/{kind}/")
    # The load event waits for images, scripts and stylesheets; not for an audio file, nor for a
    # font whose load had not begun when it fired (fonts load once layout finds text in them).
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "const audio = document.querySelector('audio');"
            "return document.readyState === 'complete' && (!audio || audio.error !== null)"
            " && [...document.fonts].every(f => f.status === 'loaded' || f.status === 'error');"
        )
    )


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken(browser, site_url, kind):
    open_broken(browser, site_url, kind)


@pytest.mark.expect_browser_errors(r"Image GET \S+/static/missing\.png answered 404")
def test_expected_error(browser, site_url):
    open_broken(browser, site_url, "image")


@pytest.mark.expect_browser_errors(r"an error that never comes")
def test_expected_error_that_never_comes(login_page):
    assert login_page.captcha.natural_width > 0


def test_clean_page(login_page):
    assert login_page.captcha.natural_width > 0


def test_wrong_heading(login_page, browser):
    browser.execute_script("console.info('evidence probe: the page said this')")
    assert login_page.heading == "a heading the page does not have"


_attempts = {"flaky": 0}


@pytest.mark.flaky(reruns=1)
def test_flaky(login_page):
    _attempts["flaky"] += 1
    assert _attempts["flaky"] > 1, "fails on its first attempt"


def test_changed_colour(login_page, browser, look, pytestconfig):
    baselines = pytestconfig.rootpath / "baselines"
    check_look(browser, "sign-in", directory=baselines, update=True)
    browser.execute_script(
        "const sheet = document.styleSheets[0];"
        "sheet.insertRule('h1 { color: #c00000 !important; }', sheet.cssRules.length);"
    )

    assert look(browser, "sign-in") is None
