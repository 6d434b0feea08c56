"""The browser driver: the issue's flags, never Selenium Manager, remote WebDriver endpoints."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from django.conf import settings
from selenium.webdriver.common.selenium_manager import SeleniumManager

from qa.browser import (
    BrowserConfig,
    BrowserUnavailable,
    browser_log,
    chrome_options,
    start_browser,
)
from qa.fixtures.options import browser_missing
from qa.pages import LoginPage
from qa.throwaway_servers import run_command

# What headless Chromium needs here: no sandbox as root, no background calls to a closed network.
ISSUE_FLAGS = {"--headless=new", "--no-sandbox", "--disable-background-networking"}


@pytest.fixture
def no_selenium_manager(monkeypatch):
    """Any attempt to resolve a driver or browser through Selenium Manager fails the test."""

    def refuse(*_args, **_kwargs):
        pytest.fail("Selenium Manager was asked for a driver: it would try to download one")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)


def test_local_options_name_the_browser_and_carry_the_issue_flags():
    config = BrowserConfig(chrome_bin="/opt/chromium/chrome")

    options = chrome_options(config)

    assert set(options.arguments) >= ISSUE_FLAGS
    assert "--window-size=1280,900" in options.arguments
    assert options.binary_location == "/opt/chromium/chrome"
    assert options.experimental_options["prefs"] == {"intl.accept_languages": "zh-TW,zh"}
    capabilities = options.to_capabilities()
    # The console and the Network events, for the browser-error check and the evidence.
    assert capabilities["goog:loggingPrefs"] == {"browser": "ALL", "performance": "ALL"}
    assert options.experimental_options["perfLoggingPrefs"] == {
        "enableNetwork": True,
        "enablePage": False,
    }


def test_english_and_headed_options():
    options = chrome_options(BrowserConfig(headed=True), language="en-US")

    assert "--headless=new" not in options.arguments
    assert "--lang=en-US" in options.arguments
    assert options.experimental_options["prefs"] == {"intl.accept_languages": "en-US,en"}


def test_remote_options_leave_the_browser_to_the_grid():
    options = chrome_options(BrowserConfig(remote_url="http://grid:4444"))

    assert options.binary_location == ""


def test_config_from_environment():
    env = {
        "CHROME_BIN": "/x/chrome",
        "CHROMEDRIVER": "/x/chromedriver",
        "SELENIUM_REMOTE_URL": "http://grid:4444/wd/hub",
    }

    config = BrowserConfig.from_env(env=env)

    assert (config.chrome_bin, config.chromedriver) == ("/x/chrome", "/x/chromedriver")
    assert config.remote_url == "http://grid:4444/wd/hub"
    assert BrowserConfig.from_env(remote_url="http://other:4444", env=env).remote_url == (
        "http://other:4444"
    )


def test_missing_chromium_says_what_to_install(no_selenium_manager, tmp_path):
    config = BrowserConfig(chrome_bin=str(tmp_path / "chromium"), chromedriver="/usr/bin/true")

    with pytest.raises(BrowserUnavailable, match="apt-get install chromium chromium-driver"):
        start_browser(config)


def local_config() -> BrowserConfig:
    """The local Chromium even when the suite itself drives a grid (``SELENIUM_REMOTE_URL``)."""
    config = replace(BrowserConfig.from_env(), remote_url=None)
    if config.missing():
        browser_missing(f"No {' and no '.join(config.missing())}.")
    return config


@pytest.mark.e2e
def test_local_browser_starts_without_selenium_manager(no_selenium_manager):
    driver = start_browser(local_config())
    try:
        assert driver.execute_script("return navigator.language") == "zh-TW"
    finally:
        driver.quit()


@pytest.fixture
def local_webdriver_endpoint() -> Iterator[str]:
    """A ChromeDriver listening on a free port: a W3C WebDriver endpoint like a grid's."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = local_config()
    process = subprocess.Popen(  # noqa: S603  (our own configured driver binary)
        [config.chromedriver, f"--port={port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # ChromeDriver prints this line once it listens: waiting on it needs no sleep.
        assert process.stdout is not None
        for line in process.stdout:
            if "started successfully" in line:
                break
        else:
            pytest.fail(f"ChromeDriver exited with {process.wait()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.e2e
def test_remote_endpoint_drives_the_site_with_the_hook(local_webdriver_endpoint, site_url):
    driver = start_browser(BrowserConfig(remote_url=local_webdriver_endpoint))
    try:
        page = LoginPage(driver, site_url).open()

        assert page.captcha.natural_width > 0
        assert len(page.captcha.answer) == 5  # the hook answers in the remote browser's session
        driver.execute_script("console.error('remote console probe')")
        assert any("remote console probe" in entry["message"] for entry in browser_log(driver))
    finally:
        driver.quit()


def test_unit_tests_run_without_importing_selenium(tmp_path) -> None:
    """The plugins import Selenium only when a browser is wanted: a machine (or a CI job) that runs
    the unit tests alone never needs the browser stack."""
    script = (
        "import sys, pytest\n"
        # xdist stays loaded: pytest.ini's addopts name its --dist (it distributes nothing here).
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', 'member/tests/test_models.py'])\n"
        "print('selenium' in sys.modules or any(m.startswith('selenium.') for m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    result = run_command([sys.executable, "-c", script], cwd=settings.BASE_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
