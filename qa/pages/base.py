"""What every page object shares: the driver, the site's address and explicit waits.

Page objects hold locators and actions, never assertions. An action waits for its own outcome and
returns the page the browser is on afterwards; when the site answers with another page than the
action promised, it raises ``UnexpectedPage`` saying what the browser shows instead, so a test
fails with the site's message rather than a bare timeout.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from selenium.common.exceptions import (
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

Locator = tuple[str, str]
T = TypeVar("T")

# Seconds an action waits for its outcome. Generous: a page with an Argon2 check behind it takes
# ~0.15 s, and even on a machine busy with other work well under 5 s; only a real fault gets here.
DEFAULT_TIMEOUT = 15.0


class UnexpectedPage(Exception):
    """The browser did not reach the page an action promised."""


class Page:
    """A page of the site at ``base_url``; subclasses set ``path`` and their private locators."""

    path: ClassVar[str] = "/"

    def __init__(self, driver: WebDriver, base_url: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # Navigation and state shared by all pages.

    def url_for(self, path: str) -> str:
        """The absolute address of ``path`` on the site under test."""
        return f"{self.base_url}{path}"

    @property
    def current_path(self) -> str:
        """Path and query of the address the browser shows, e.g. ``/member/?via=qa``."""
        parts = urlsplit(self.driver.current_url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    @property
    def language(self) -> str:
        """The page's ``<html lang>``, i.e. the language the site chose for this browser."""
        return self.driver.find_element("css selector", "html").get_attribute("lang") or ""

    @property
    def heading(self) -> str:
        return self.find(("css selector", "main h1")).text

    @property
    def document_mark(self) -> str | None:
        """The mark ``mark_document`` left, or ``None`` once the browser loaded another page."""
        return self.run_script("return window.__qaDocumentMark || null;")

    def mark_document(self, mark: str) -> Page:
        """Leave ``mark`` on the current document's ``window``: a page reload would lose it."""
        self.run_script("window.__qaDocumentMark = arguments[0];", mark)
        return self

    # Helpers for subclasses.

    def _wait(self, timeout: float | None = None) -> WebDriverWait:
        # A condition may look at the page while it is being replaced by the next one: an element
        # that vanished or went stale, or a script whose document went away, just means "not yet".
        return WebDriverWait(
            self.driver,
            self.timeout if timeout is None else timeout,
            ignored_exceptions=(
                NoSuchElementException,
                StaleElementReferenceException,
                JavascriptException,
            ),
        )

    def wait_until(self, condition: Callable[[WebDriver], T], message: str) -> T:
        """Wait for ``condition`` to return something truthy; time out with ``message``."""
        try:
            return self._wait().until(condition)
        except TimeoutException as error:
            raise UnexpectedPage(
                f"{message} (after {self.timeout:g} s; the browser is at {self.current_path})"
            ) from error

    def find(self, locator: Locator) -> WebElement:
        return self.driver.find_element(*locator)

    def find_all(self, locator: Locator) -> list[WebElement]:
        return self.driver.find_elements(*locator)

    def _visible(self, locator: Locator, what: str) -> WebElement:
        return self.wait_until(ec.visibility_of_element_located(locator), f"{what} never showed")

    def _texts(self, locator: Locator) -> list[str]:
        return [element.text for element in self.find_all(locator)]

    def run_script(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def _submit(self, trigger: Callable[[], Any], action: str) -> str:
        """Run ``trigger`` (a click, a key press), wait for the next document, say which it is.

        Returns ``"home"``, ``"login"``, ``"register"`` or ``"other: <title>"``. The current
        document gets a token first; the next page is the first fully loaded document without it
        (its captcha image included, since images hold the load event). A token rather than an
        element's staleness: ChromeDriver may answer a question about an element of a document
        being replaced with an inspector error instead of "stale element".
        """
        token = secrets.token_hex(8)
        self.run_script("window.__qaSubmitToken = arguments[0];", token)
        trigger()
        return self.wait_until(
            lambda driver: driver.execute_script(_WHICH_PAGE, token), f"{action}: no new page"
        )

    def _problems(self) -> str:
        """Every error message the page shows, for ``UnexpectedPage`` reports."""
        texts = self._texts(("css selector", "#form_errors, ul.field-errors"))
        return "; ".join(text for text in texts if text) or "(no error message)"


_WHICH_PAGE = """
if (window.__qaSubmitToken === arguments[0] || document.readyState !== "complete") return null;
if (document.getElementById("member_name")) return "home";
if (document.getElementById("login_form")) return "login";
if (document.getElementById("register_form")) return "register";
return "other: " + document.title;
"""
