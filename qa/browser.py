"""Start the browser the suites drive: local headless Chromium, or any W3C WebDriver endpoint.

Locally it is always Debian's ``/usr/bin/chromium`` with ``/usr/bin/chromedriver`` (or
``CHROME_BIN`` / ``CHROMEDRIVER``), passed explicitly as ``binary_location`` and
``Service(executable_path=...)``: with both given, Selenium Manager never runs, so nothing tries to
download a browser or a driver (this machine and CI have no internet).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "BrowserConfig",
    "BrowserUnavailable",
    "blank_page",
    "browser_log",
    "chrome_options",
    "clear_browser_state",
    "performance_log",
    "start_browser",
]

DEFAULT_CHROME_BIN = "/usr/bin/chromium"
DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver"
DEFAULT_LANGUAGE = "zh-TW"
# Wide enough for the card and its captcha row on one line, the size a laptop shows.
WINDOW_SIZE = (1280, 900)
INSTALL_HINT = (
    "Install them with `sudo apt-get install chromium chromium-driver fonts-noto-cjk` "
    "(`make test` does it when run as root), or point CHROME_BIN and CHROMEDRIVER at your own."
)

# The flags: headless, container friendly, and nothing that phones home (no internet).
BASE_ARGUMENTS = (
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class BrowserUnavailable(RuntimeError):
    """Chromium or ChromeDriver is missing; the message says what to install."""


@dataclass(frozen=True)
class BrowserConfig:
    """How to get a browser. ``remote_url`` wins over the local binaries when set."""

    chrome_bin: str = DEFAULT_CHROME_BIN
    chromedriver: str = DEFAULT_CHROMEDRIVER
    remote_url: str | None = None
    headed: bool = False
    window_size: tuple[int, int] = WINDOW_SIZE
    extra_arguments: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(
        cls, *, remote_url: str | None = None, headed: bool = False, env: Any = None
    ) -> BrowserConfig:
        """Read ``CHROME_BIN``, ``CHROMEDRIVER`` and ``SELENIUM_REMOTE_URL`` (arguments win)."""
        env = os.environ if env is None else env
        return cls(
            chrome_bin=env.get("CHROME_BIN") or DEFAULT_CHROME_BIN,
            chromedriver=env.get("CHROMEDRIVER") or DEFAULT_CHROMEDRIVER,
            remote_url=remote_url or env.get("SELENIUM_REMOTE_URL") or None,
            headed=headed,
        )

    def missing(self) -> list[str]:
        """Local executables that are not there (always empty for a remote browser)."""
        if self.remote_url:
            return []
        return [
            f"{what} at {path}"
            for what, path in (("Chromium", self.chrome_bin), ("ChromeDriver", self.chromedriver))
            if not _is_executable(path)
        ]


def chrome_options(config: BrowserConfig, *, language: str = DEFAULT_LANGUAGE) -> Options:
    """Chromium options for the suite: the issue's flags, a fixed size, ``language`` first.

    The language goes both into ``--lang`` and the ``intl.accept_languages`` preference, which is
    what headless Chromium sends as ``Accept-Language``. Chromium keeps two logs for the harness
    (``goog:loggingPrefs``, which a Selenium Grid passes on to its ChromeDriver): the console at
    every level, and the performance log's Network events, from which ``qa.browser_events`` tells
    which of a page's sub-requests failed.
    """
    options = Options()
    if not config.headed:
        options.add_argument("--headless=new")
    for argument in (*BASE_ARGUMENTS, *config.extra_arguments):
        options.add_argument(argument)
    width, height = config.window_size
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--lang={language}")
    primary = language.split("-")[0]
    accept = language if primary == language else f"{language},{primary}"
    options.add_experimental_option("prefs", {"intl.accept_languages": accept})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # The Network domain only: the Page domain's events would only make the log longer to read.
    options.add_experimental_option(
        "perfLoggingPrefs", {"enableNetwork": True, "enablePage": False}
    )
    if not config.remote_url:
        # A grid node (or a remote ChromeDriver) knows where its own browser is; ours is only
        # named for the local driver, which must never fall back to Selenium Manager.
        options.binary_location = config.chrome_bin
    return options


def start_browser(config: BrowserConfig, *, language: str = DEFAULT_LANGUAGE) -> WebDriver:
    """A new browser session, implicit wait 0 (the suite waits explicitly, for named things).

    Raises ``BrowserUnavailable`` with what to install when the local binaries are missing.
    """
    options = chrome_options(config, language=language)
    if config.remote_url:
        driver: WebDriver = webdriver.Remote(command_executor=config.remote_url, options=options)
    else:
        missing = config.missing()
        if missing:
            raise BrowserUnavailable(f"No {' and no '.join(missing)}. {INSTALL_HINT}")
        service = Service(executable_path=config.chromedriver)
        driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(0)
    return driver


def blank_page(origin: str) -> str:
    """The address the harness parks a browser on between tests: a small static file of the site
    (no session, no captcha challenge made)."""
    return f"{origin.rstrip('/')}/static/css/member.css"


def clear_browser_state(driver: WebDriver, origin: str) -> None:
    """Forget everything ``origin`` stored: cookies, local and session storage.

    WebDriver deletes only the cookies of the page it is on, so this first opens ``blank_page``
    and works from there; the same steps work for a local browser and a remote one.
    """
    driver.get(blank_page(origin))
    driver.delete_all_cookies()
    driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")


def browser_log(driver: WebDriver) -> list[dict[str, Any]]:
    """The browser console entries since the last call (reading drains Chromium's buffer)."""
    return _read_log(driver, "browser")


def performance_log(driver: WebDriver) -> list[dict[str, Any]]:
    """The DevTools Network events since the last call, each ``message`` a JSON text (drained)."""
    return _read_log(driver, "performance")


def _read_log(driver: WebDriver, kind: str) -> list[dict[str, Any]]:
    # Local Chromium drivers have ``get_log``; a plain ``webdriver.Remote`` reaches the same
    # ChromeDriver endpoint through the command Selenium registers for Chrome sessions.
    get_log = getattr(driver, "get_log", None)
    if get_log is not None:
        return list(get_log(kind))
    return list(driver.execute("getLog", {"type": kind})["value"])


def _is_executable(path: str) -> bool:
    resolved = shutil.which(path) if os.sep not in path else path
    return bool(resolved) and Path(resolved).is_file() and os.access(resolved, os.X_OK)
