"""What every page object shares: the driver, the site's address and explicit waits.

Page objects hold locators and actions, never assertions. Each page object says how to recognise
itself (``_root``, an element only that page has); an action that leaves a page returns the page
object for the page the browser reached. When that is not the page the action promised, it raises
``UnexpectedPage`` saying what the browser shows instead, so a test fails with the site's message
rather than a bare timeout.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar
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
P = TypeVar("P", bound="Page")

# Seconds an action waits for its outcome. Generous: a page with an Argon2 check behind it takes
# ~0.15 s, and even on a machine busy with other work well under 5 s; only a real fault gets here.
DEFAULT_TIMEOUT = 15.0
# Seconds between two looks while waiting. Selenium's default, half a second, is most of what a
# page load here takes; a look is one WebDriver command of a few milliseconds.
POLL_INTERVAL = 0.05


class UnexpectedPage(Exception):
    """The browser did not reach the page an action promised."""


class Page:
    """A page of the site at ``base_url``; subclasses set ``path``, ``_root`` and their locators.

    Every subclass with a ``_root`` (an ``id`` locator) is known to ``landed_page()``: the base
    class never names its subclasses, they register themselves.
    """

    path: ClassVar[str] = "/"
    _root: ClassVar[Locator | None] = None
    _known: ClassVar[list[type[Page]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_root") is not None:
            Page._known.append(cls)

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
    def messages(self) -> list[str]:
        """One-off notices shown on this visit, e.g. "signed in" or "password changed"."""
        return self._texts(("css selector", ".messages .message"))

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
            poll_frequency=POLL_INTERVAL,
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

    def replace_text(self, locator: Locator, text: str) -> None:
        """Empty the field at ``locator`` and type ``text`` into it, as a person would."""
        field = self.find(locator)
        field.clear()
        field.send_keys(text)

    def find_all(self, locator: Locator) -> list[WebElement]:
        return self.driver.find_elements(*locator)

    def _visible(self, locator: Locator, what: str) -> WebElement:
        return self.wait_until(ec.visibility_of_element_located(locator), f"{what} never showed")

    def _texts(self, locator: Locator) -> list[str]:
        return [element.text for element in self.find_all(locator)]

    def run_script(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def _submit(self, trigger: Callable[[], Any], action: str) -> Page:
        """Run ``trigger`` (a click, a key press), wait for the next document, return its page.

        The current document gets a token first; the next page is the first fully loaded document
        without it (its captcha image included, since images hold the load event), recognised by
        the ``_root`` of a known page object. A token rather than an element's staleness:
        ChromeDriver may answer a question about an element of a document being replaced with an
        inspector error instead of "stale element".
        """
        token = secrets.token_hex(8)
        self.run_script("window.__qaSubmitToken = arguments[0];", token)
        trigger()
        roots = [page.__dict__["_root"][1] for page in Page._known]
        found = self.wait_until(
            lambda driver: driver.execute_script(_WHICH_PAGE, token, roots),
            f"{action}: no new page",
        )
        for page in Page._known:
            if page.__dict__["_root"][1] == found:
                return page(self.driver, self.base_url, timeout=self.timeout)
        return OtherPage(self.driver, self.base_url, timeout=self.timeout, title=found[1:])

    def _expect(self, page_class: type[P], trigger: Callable[[], Any], action: str) -> P:
        """``_submit``, and raise ``UnexpectedPage`` unless the browser reached ``page_class``."""
        landed = self._submit(trigger, action)
        if not isinstance(landed, page_class):
            raise UnexpectedPage(f"{action} reached {landed}: {self._problems()}")
        return landed.wait_until_ready()

    def wait_until_ready(self) -> Self:
        """Wait until the page shows what it is made of (subclasses add their parts)."""
        if self._root is not None:
            self._visible(self._root, f"the {type(self).__name__}")
        return self

    def __str__(self) -> str:
        return f"the {type(self).__name__} at {self.current_path}"

    def _problems(self) -> str:
        """Every error message the page shows, for ``UnexpectedPage`` reports."""
        texts = self._texts(("css selector", "div#form_errors, ul.field-errors, #error_text"))
        return "; ".join(text for text in texts if text) or "(no error message)"


class OtherPage(Page):
    """A page no page object knows (an error page, say): its title tells what it is."""

    def __init__(self, driver: WebDriver, base_url: str, *, timeout: float, title: str) -> None:
        super().__init__(driver, base_url, timeout=timeout)
        self.title = title

    def __str__(self) -> str:
        return f"a page titled {self.title!r} at {self.current_path}"


# The id of the first known page root the new document has, or "#<title>" for another page.
_WHICH_PAGE = """
if (window.__qaSubmitToken === arguments[0] || document.readyState !== "complete") return null;
for (const id of arguments[1]) if (document.getElementById(id)) return id;
return "#" + document.title;
"""
