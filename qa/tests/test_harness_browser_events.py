"""What ``qa.browser_events`` makes of Chromium's logs, on logs written here (no browser): which
entries are the page's problems, and on which page each happened."""

from __future__ import annotations

import json

from qa.browser_events import BrowserWatch

SITE = "http://127.0.0.1:8000"
BLANK = f"{SITE}/static/css/member.css"
LOGIN = f"{SITE}/member/login/"


class FakeDriver:
    """A driver whose logs hold what the test put there, drained as Chromium's are."""

    def __init__(self) -> None:
        self.logs: dict[str, list[dict]] = {"browser": [], "performance": []}
        self.urls: dict[str, str] = {}

    def get_log(self, kind: str) -> list[dict]:
        entries, self.logs[kind] = self.logs[kind], []
        return entries

    def network(self, stamp: int, method: str, **params) -> None:
        message = {"message": {"method": f"Network.{method}", "params": params}}
        self.logs["performance"].append({"timestamp": stamp, "message": json.dumps(message)})

    def request(self, stamp: int, request_id: str, url: str, kind: str, page: str = "") -> None:
        """``page``: the document that asked (none for the browser's own icon request)."""
        document = {"documentURL": url} if kind == "Document" else {"documentURL": page}
        self.urls[request_id] = url
        self.network(
            stamp,
            "requestWillBeSent",
            requestId=request_id,
            type=kind,
            request={"url": url, "method": "GET"},
            **document,
        )

    def drain(self) -> None:
        self.get_log("browser")
        self.get_log("performance")

    def response(self, stamp: int, request_id: str, status: int, kind: str) -> None:
        response = {"status": status, "url": self.urls[request_id]}
        self.network(stamp, "responseReceived", requestId=request_id, type=kind, response=response)

    def console(self, stamp: int, level: str, source: str, message: str) -> None:
        self.logs["browser"].append(
            {"timestamp": stamp, "level": level, "source": source, "message": message}
        )


def watched(driver: FakeDriver) -> BrowserWatch:
    """A watch as the harness makes one: parked on the blank page, then the login page."""
    driver.request(10, "blank", BLANK, "Document")
    driver.response(11, "blank", 200, "Document")
    driver.request(20, "login", LOGIN, "Document")
    driver.response(21, "login", 200, "Document")
    return BrowserWatch(driver, harness_pages={BLANK})


def test_a_sub_request_answering_4xx_or_5xx_or_nothing_is_a_problem_on_its_page():
    driver = FakeDriver()
    watch = watched(driver)
    driver.request(30, "css", f"{SITE}/static/css/gone.css", "Stylesheet", page=LOGIN)
    driver.response(31, "css", 404, "Stylesheet")
    driver.network(32, "loadingFailed", requestId="css", type="Stylesheet", canceled=True)
    driver.request(33, "img", f"{SITE}/member/captcha/", "Image", page=LOGIN)
    driver.response(34, "img", 500, "Image")
    driver.request(35, "font", "http://127.0.0.1:9999/f.woff", "Font", page=LOGIN)
    driver.network(36, "loadingFailed", requestId="font", type="Font", errorText="net::ERR_X")

    problems = [str(problem) for problem in watch.read().problems]

    assert problems == [
        f"failed request: Stylesheet GET {SITE}/static/css/gone.css answered 404 (on {LOGIN})",
        f"failed request: Image GET {SITE}/member/captcha/ answered 500 (on {LOGIN})",
        "failed request: Font GET http://127.0.0.1:9999/f.woff got no answer (net::ERR_X) "
        f"(on {LOGIN})",
    ]


def test_the_page_itself_a_canceled_request_and_the_harness_pages_are_no_problem():
    driver = FakeDriver()
    driver.request(5, "old", f"{SITE}/static/js/old.js", "Script", page=LOGIN)  # an earlier test's
    driver.drain()  # as the harness does before each test
    watch = watched(driver)
    driver.request(12, "icon", f"{SITE}/favicon.ico", "Other", page="")  # on the blank page
    driver.response(13, "icon", 404, "Other")
    driver.response(14, "old", 404, "Script")  # an earlier test's page, answered late
    driver.request(40, "404", f"{SITE}/member/nowhere/", "Document")
    driver.response(41, "404", 404, "Document")
    driver.request(42, "img", f"{SITE}/member/captcha/", "Image", page=LOGIN)
    driver.network(43, "loadingFailed", requestId="img", type="Image", canceled=True)
    driver.console(44, "SEVERE", "network", f"{SITE}/member/nowhere/ - Failed to load resource")

    assert watch.read().problems == []


def test_exceptions_and_console_errors_are_problems_on_the_page_shown_then():
    driver = FakeDriver()
    watch = watched(driver)
    driver.console(15, "SEVERE", "console-api", "on the blank page: the harness's")
    driver.console(25, "SEVERE", "javascript", f"{SITE}/static/js/captcha.js 3:7 Uncaught Error")
    driver.console(26, "SEVERE", "console-api", 'console-api 2:32 "said"')
    driver.console(27, "WARNING", "console-api", "a warning is no problem")

    problems = [str(problem) for problem in watch.read().problems]

    assert problems == [
        f"JavaScript exception: {SITE}/static/js/captcha.js 3:7 Uncaught Error (on {LOGIN})",
        f'console.error: console-api 2:32 "said" (on {LOGIN})',
    ]
    assert len(watch.console) == 3  # the evidence keeps every level, the harness page's aside
