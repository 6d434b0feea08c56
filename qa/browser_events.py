"""What the browser says about the pages a test visits: its console at every level, the JavaScript
exceptions, and the sub-requests that failed.

Read from Chromium's own logs through WebDriver (``qa.browser.chrome_options`` asks for them): the
``browser`` log is the console, the ``performance`` log carries the DevTools Network events. Both
come through a Selenium Grid unchanged, so the same code serves a local Chromium and a remote one.
Reading a log drains it: a ``BrowserWatch`` is made when a test takes its browser (after draining
what earlier tests left) and reads again after the test, keeping everything it read.

A *problem* is what fails a browser test unless the test says it expects it: a JavaScript
exception, a ``console.error``, or a sub-request (image, script, stylesheet, font, audio, fetch,
icon) that answered 4xx/5xx or not at all. The page's own document is not a sub-request: a test
that opens a missing page wants the 404 page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

__all__ = ["BrowserProblem", "BrowserWatch", "ConsoleLine", "FailedRequest", "drain_logs"]

# Console sources whose SEVERE lines are problems of their own kind. "network" lines ("Failed to
# load resource") are left to the Network events, which also know the request's type and status
# and leave out the page's own document.
_EXCEPTION_SOURCE = "javascript"
_NETWORK_SOURCE = "network"


@dataclass(frozen=True)
class ConsoleLine:
    """One console entry: Chromium's level (``SEVERE`` is an error), source and text."""

    timestamp: int  # ms since the epoch
    level: str
    source: str
    message: str
    page: str

    def __str__(self) -> str:
        stamp = datetime.fromtimestamp(self.timestamp / 1000, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
        return f"{stamp} {self.level} {self.source} {self.message}"


@dataclass(frozen=True)
class FailedRequest:
    """A sub-request of a page that answered 4xx/5xx (``status``) or not at all (``error``)."""

    timestamp: int
    url: str
    kind: str  # DevTools' resource type: Image, Script, Stylesheet, Font, Media, Fetch, Other, …
    method: str
    page: str
    status: int | None = None
    error: str = ""

    def __str__(self) -> str:
        outcome = f"answered {self.status}" if self.status else f"got no answer ({self.error})"
        return f"{self.kind} {self.method} {self.url} {outcome}"


@dataclass(frozen=True)
class BrowserProblem:
    """What fails a test: its kind, what the browser said, and the page it happened on."""

    kind: str  # "JavaScript exception", "console.error" or "failed request"
    text: str
    page: str
    timestamp: int

    def __str__(self) -> str:
        return f"{self.kind}: {self.text} (on {self.page or 'an unknown page'})"


@dataclass
class _Request:
    url: str
    kind: str
    method: str
    page: str
    failed: bool = False


@dataclass
class BrowserWatch:
    """Everything one browser said during one test; ``read()`` adds what came since."""

    driver: WebDriver
    # Pages the harness itself shows (the blank page between tests): what happens there is not
    # the site's, and is left out.
    harness_pages: set[str] = field(default_factory=set)
    console: list[ConsoleLine] = field(default_factory=list)
    failed_requests: list[FailedRequest] = field(default_factory=list)
    _navigations: list[tuple[int, str]] = field(default_factory=list)
    _requests: dict[str, _Request] = field(default_factory=dict)

    def read(self) -> BrowserWatch:
        """Drain both logs into this watch. Network events first: they say which page was shown
        when a console line was written."""
        from qa.browser import browser_log, performance_log

        for entry in performance_log(self.driver):
            self._network_event(entry)
        for entry in browser_log(self.driver):
            stamp = int(entry.get("timestamp", 0))
            page = self._page_at(stamp)
            if page in self.harness_pages:
                continue
            self.console.append(
                ConsoleLine(
                    timestamp=stamp,
                    level=str(entry.get("level", "")),
                    source=str(entry.get("source", "")),
                    message=str(entry.get("message", "")),
                    page=page,
                )
            )
        return self

    @property
    def problems(self) -> list[BrowserProblem]:
        """The exceptions, console errors and failed sub-requests, in the order they happened."""
        found = [
            BrowserProblem("failed request", str(request), request.page, request.timestamp)
            for request in self.failed_requests
        ]
        for line in self.console:
            if line.level != "SEVERE" or line.source == _NETWORK_SOURCE:
                continue
            kind = "JavaScript exception" if line.source == _EXCEPTION_SOURCE else "console.error"
            found.append(BrowserProblem(kind, line.message, line.page, line.timestamp))
        return sorted(found, key=lambda problem: problem.timestamp)

    def _page_at(self, stamp: int) -> str:
        page = self._navigations[0][1] if self._navigations else ""
        for when, url in self._navigations:
            if when > stamp:
                break
            page = url
        return page

    def _network_event(self, entry: dict[str, Any]) -> None:
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method", ""), message.get("params", {})
        stamp = int(entry.get("timestamp", 0))
        request_id = params.get("requestId", "")
        if method == "Network.requestWillBeSent":
            request = params["request"]
            kind = params.get("type", "Other")
            if kind == "Document":
                # A redirect sends the same request again to its new address: the last one counts.
                self._navigations.append((stamp, request["url"]))
            self._requests[request_id] = _Request(
                url=request["url"],
                kind=kind,
                method=request.get("method", "GET"),
                # The browser's own requests (the icon) name no document: the page shown then.
                page=params.get("documentURL") or self._page_at(stamp),
            )
        elif method == "Network.responseReceived":
            status = int(params["response"].get("status", 0))
            if status >= 400:
                self._fail(stamp, request_id, params, status=status)
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            # Canceled: the browser left the page, or gave up on an answer it had already judged
            # (a 404 stylesheet is "canceled" after its response): not a failure of its own.
            self._fail(stamp, request_id, params, error=params.get("errorText", "failed"))

    def _fail(
        self, stamp: int, request_id: str, params: dict[str, Any], *, status=None, error=""
    ) -> None:
        request = self._requests.get(request_id)
        if request is None:
            return  # it began before this watch, on a page of an earlier test the browser left
        if request.kind == "Document" or request.failed or request.page in self.harness_pages:
            return
        if not request.url.startswith(("http:", "https:")):
            return
        request.failed = True
        self.failed_requests.append(
            FailedRequest(
                timestamp=stamp,
                url=request.url,
                kind=request.kind,
                method=request.method,
                page=request.page or self._page_at(stamp),
                status=status,
                error=error,
            )
        )


def drain_logs(driver: WebDriver) -> None:
    """Forget what the browser logged so far (an earlier test's pages)."""
    from qa.browser import browser_log, performance_log

    performance_log(driver)
    browser_log(driver)
