"""The QA harness as a pytest plugin: options, ready fixtures, and failure artifacts.

Loaded by the root ``conftest.py`` (``pytest_plugins``), or anywhere with ``-p qa.pytest_plugin``.

Options:
- ``--base-url URL``: drive an already running server (started with ``MEMBER_CAPTCHA_DEBUG_HOOK=1``)
  instead of pytest-django's ``live_server``. The database is then out of reach, so members are
  made through the sign-up page, in a browser of their own.
- ``--selenium-remote-url URL`` (or ``SELENIUM_REMOTE_URL``): a Selenium Grid or any W3C WebDriver
  endpoint instead of the local Chromium.
- ``--headed``: show the local browser window.
- ``--qa-artifacts DIR``: where failing browser tests leave their evidence (``qa-artifacts``).

One browser per language per test session (so per xdist worker); each test starts from a browser
without cookies or storage for the site.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from qa.browser import (
    DEFAULT_LANGUAGE,
    BrowserConfig,
    BrowserUnavailable,
    browser_log,
    clear_browser_state,
    start_browser,
)
from qa.pages import LoginPage, RegisterPage

ENGLISH = "en-US"
ARTIFACT_FILES = ("screenshot.png", "page.html", "url.txt", "console.log")

# The drivers a test used, by label, for the failure artifacts.
DRIVERS_KEY = pytest.StashKey[dict[str, WebDriver]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qa", "member site browser tests")
    group.addoption(
        "--base-url",
        default=None,
        help="run the browser tests against this running server (debug hook on) instead of "
        "pytest-django's live_server; members are then made through the sign-up page",
    )
    group.addoption(
        "--selenium-remote-url",
        default=os.environ.get("SELENIUM_REMOTE_URL") or None,
        help="drive a Selenium Grid / W3C WebDriver endpoint instead of the local Chromium "
        "(default: $SELENIUM_REMOTE_URL)",
    )
    group.addoption("--headed", action="store_true", help="show the local browser window")
    group.addoption(
        "--qa-artifacts",
        default="qa-artifacts",
        help="folder (relative to the repository root) for failing browser tests' screenshot, "
        "page HTML, URL and console log (default: qa-artifacts)",
    )


# Browsers.


class BrowserPool:
    """Browsers started on first use, one per (purpose, language), quit at the end of the session.

    A browser that cannot start is remembered, so every later test reports the same reason at once
    instead of waiting for another failed start.
    """

    def __init__(self, config: BrowserConfig):
        self.config = config
        self._drivers: dict[tuple[str, str], WebDriver] = {}
        self._unavailable: str | None = None

    def get(self, purpose: str, language: str) -> WebDriver:
        if self._unavailable:
            browser_missing(self._unavailable)
        key = (purpose, language)
        if key not in self._drivers:
            try:
                self._drivers[key] = start_browser(self.config, language=language)
            except BrowserUnavailable as error:
                self._unavailable = str(error)
                browser_missing(self._unavailable)
        return self._drivers[key]

    def quit_all(self) -> None:
        for driver in self._drivers.values():
            driver.quit()
        self._drivers.clear()


def browser_missing(reason: str) -> None:
    """Skip (on a developer's machine) or fail (in CI) a test that needs a missing browser."""
    # A developer without Chromium sees a visible skip with the install line; CI must never pass
    # by skipping the browser suite, so there it is a failure.
    if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def qa_browser_config(pytestconfig: pytest.Config) -> BrowserConfig:
    """How browsers are started: local Chromium (``CHROME_BIN``/``CHROMEDRIVER``) or remote."""
    return BrowserConfig.from_env(
        remote_url=pytestconfig.getoption("selenium_remote_url"),
        headed=pytestconfig.getoption("headed"),
    )


@pytest.fixture(scope="session")
def browser_pool(
    qa_browser_config: BrowserConfig, _site_url_for_session: str
) -> Iterator[BrowserPool]:
    """The session's browsers. Set up after the site so they quit before the live server stops:
    a browser's open keep-alive connection would otherwise outlive the server's database."""
    pool = BrowserPool(qa_browser_config)
    yield pool
    pool.quit_all()


# The site under test.


def using_base_url(config: pytest.Config) -> bool:
    """Whether the suite drives an already running server (``--base-url``)."""
    return bool(config.getoption("base_url"))


@pytest.fixture(scope="session")
def _site_url_for_session(request: pytest.FixtureRequest) -> str:
    base_url = request.config.getoption("base_url")
    if base_url:
        return base_url.rstrip("/")
    # The test database first: the live server shares its in-memory SQLite connection only if
    # that connection exists when the server starts.
    request.getfixturevalue("django_db_setup")
    return request.getfixturevalue("live_server").url


@pytest.fixture
def site_url(request: pytest.FixtureRequest, _site_url_for_session: str) -> str:
    """The address of the site under test, ready for this test.

    Against pytest-django's live server the test runs with ``transactional_db`` (marked in
    ``pytest_collection_modifyitems``): what the test writes is committed, so the server's
    threads see it, and it is flushed afterwards. The settings are the test settings, captcha
    debug hook on and image rate limit off (``memberproj.test_settings``).
    """
    if not using_base_url(request.config):
        # pytest-django's own helper only adds the live server's host for tests that name the
        # ``live_server`` fixture; these reach it through this one.
        settings = request.getfixturevalue("settings")
        host = urlsplit(_site_url_for_session).hostname
        if host not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
    return _site_url_for_session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Requesting ``transactional_db`` from inside a fixture is not enough: pytest-django decides
    # between TestCase and TransactionTestCase from the names known when the test starts, and a
    # test wrapped in TestCase's transaction holds SQLite's write lock against the live server's
    # threads (they wait 20 s, then fail with "database is locked"). So say it with the marker.
    if using_base_url(config):
        return
    for item in items:
        if "site_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db(transaction=True))


def _ready_browser(
    request: pytest.FixtureRequest, pool: BrowserPool, base_url: str, purpose: str, language: str
) -> WebDriver:
    driver = pool.get(purpose, language)
    clear_browser_state(driver, base_url)
    browser_log(driver)  # drained: the test (and its artifacts) see only its own console lines
    request.node.stash.setdefault(DRIVERS_KEY, {})[purpose] = driver
    return driver


@pytest.fixture
def browser(request: pytest.FixtureRequest, browser_pool: BrowserPool, site_url: str) -> WebDriver:
    """The session's Chromium (language ``zh-TW``), without cookies or storage for the site."""
    return _ready_browser(request, browser_pool, site_url, "browser", DEFAULT_LANGUAGE)


@pytest.fixture
def english_browser(
    request: pytest.FixtureRequest, browser_pool: BrowserPool, site_url: str
) -> WebDriver:
    """A second browser that asks for English (``en-US``), likewise clean."""
    return _ready_browser(request, browser_pool, site_url, "english-browser", ENGLISH)


@pytest.fixture
def login_page(browser: WebDriver, site_url: str) -> LoginPage:
    """The sign-in page, open, its captcha image loaded."""
    return LoginPage(browser, site_url).open()


@pytest.fixture
def register_page(browser: WebDriver, site_url: str) -> RegisterPage:
    """The sign-up page, open, its captcha image loaded."""
    return RegisterPage(browser, site_url).open()


# Members.


@dataclass(frozen=True)
class Credentials:
    """What a person needs to sign in as a member, and the name the site greets them by."""

    email: str
    password: str
    username: str


MakeMember = Callable[..., Credentials]

# Against --base-url the server's database keeps members from earlier runs: a per-run token keeps
# this run's emails new.
_RUN_TOKEN = secrets.token_hex(4)
_signup_numbers = itertools.count(1)


@pytest.fixture
def make_member(
    request: pytest.FixtureRequest, browser_pool: BrowserPool, site_url: str
) -> MakeMember:
    """``make_member(password=..., username=..., inactive=False) -> Credentials``.

    With the live server: the factories write the member to the test database. With
    ``--base-url``: a browser of its own signs the member up through the sign-up page (so the
    test's browser stays signed out); members that need the database (``inactive=True``) skip.
    """
    # Imported here, not at the top: this plugin may load (``-p qa.pytest_plugin``) before
    # pytest-django has set Django up, and the factories import the models.
    from qa.factories import DEFAULT_PASSWORD, MemberFactory

    if not using_base_url(request.config):

        def from_factory(
            *, password: str = DEFAULT_PASSWORD, username: str | None = None, inactive: bool = False
        ) -> Credentials:
            extra = {} if username is None else {"username": username}
            member = MemberFactory(password=password, inactive=inactive, **extra)
            return Credentials(member.email, password, member.username)

        return from_factory

    def through_sign_up(
        *, password: str = DEFAULT_PASSWORD, username: str | None = None, inactive: bool = False
    ) -> Credentials:
        if inactive:
            pytest.skip("an inactive member needs the database, out of reach with --base-url")
        driver = _ready_browser(
            request, browser_pool, site_url, "sign-up-browser", DEFAULT_LANGUAGE
        )
        name = username or MemberFactory.build().username
        email = f"qa-{_RUN_TOKEN}-{next(_signup_numbers)}@example.com"
        RegisterPage(driver, site_url).open().register_as(name, email, password)
        clear_browser_state(driver, site_url)
        return Credentials(email, password, name)

    return through_sign_up


@pytest.fixture
def site_member(make_member: MakeMember) -> Credentials:
    """The credentials of an active member of the site under test (``DEFAULT_PASSWORD``)."""
    return make_member()


# Failure artifacts.


def artifact_dir(config: pytest.Config, nodeid: str) -> Path:
    """``<artifacts>/<test id made file-name safe>/`` under the repository root."""
    root = Path(config.getoption("qa_artifacts"))
    if not root.is_absolute():
        root = config.rootpath / root
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("_")[:180]
    return root / safe


def save_artifacts(driver: WebDriver, target: Path) -> list[str]:
    """Write the four artifacts of ``driver`` into ``target``; return what could not be saved.

    Each is saved on its own: a browser that crashed may still give its URL, and one missing
    file must not cost the others.
    """
    target.mkdir(parents=True, exist_ok=True)
    steps: dict[str, Callable[[Path], Any]] = {
        "screenshot.png": lambda path: driver.save_screenshot(str(path)),
        "page.html": lambda path: path.write_text(driver.page_source, encoding="utf-8"),
        "url.txt": lambda path: path.write_text(driver.current_url + "\n", encoding="utf-8"),
        "console.log": lambda path: path.write_text(
            "".join(_console_line(entry) for entry in browser_log(driver)), encoding="utf-8"
        ),
    }
    problems = []
    for name, save in steps.items():
        try:
            save(target / name)
        except Exception as error:  # best effort: report it, keep the rest
            problems.append(f"{name}: {type(error).__name__}: {error}")
    return problems


def _console_line(entry: dict[str, Any]) -> str:
    stamp = datetime.fromtimestamp(entry.get("timestamp", 0) / 1000, tz=UTC).isoformat()
    return f"{stamp} {entry.get('level', '?')} {entry.get('source', '')} {entry.get('message')}\n"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """After a browser test ran (or its page fixture failed): keep the evidence of a failure.

    A passing run removes the test's old artifacts, so the folder only ever shows the failures of
    the last run of each test.
    """
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    drivers = item.stash.get(DRIVERS_KEY, {})
    # A failing setup counts too: a page fixture that cannot open its page is a browser failure.
    if not drivers or report.when == "teardown" or (report.when == "setup" and report.passed):
        return
    target = artifact_dir(item.config, item.nodeid)
    shutil.rmtree(target, ignore_errors=True)
    if not report.failed:
        return
    lines = []
    for purpose, driver in drivers.items():
        # The test's main browser writes into the folder itself, others into a subfolder each.
        folder = target if len(drivers) == 1 or purpose == "browser" else target / purpose
        problems = save_artifacts(driver, folder)
        lines.append(f"{purpose}: {folder}/ ({', '.join(ARTIFACT_FILES)})")
        lines.extend(f"  not saved: {problem}" for problem in problems)
    report.sections.append(("browser artifacts", "\n".join(lines)))
