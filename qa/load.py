"""Visitors under load: threads at once, each a browser of its own, through captcha and sign-in.

Each visitor goes through rounds of:

    GET login page (CSRF token) -> GET captcha image -> POST login (the solved answer) ->
    GET member home -> POST logout

against a ``qa.site_under_test.serve_site()`` site (production style, the image rate limit off).
``qa/tests/test_load.py`` runs a small load as a test of zero errors; ``bench.load`` prints the
figures of a bigger one for ``make bench``.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from qa.contract import SIGNED_IN
from qa.site_under_test import LOAD_PASSWORD, READY_TIMEOUT, Site, Visitor, csrf_token, member_email


class StepFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def sign_in_round(visitor: Visitor, number: int) -> None:
    """One visitor's captcha + sign-in + home + sign-out; raises ``StepFailed`` on any surprise."""
    try:
        form = visitor.solved_form("/member/login/")
    except (AssertionError, ValueError) as error:
        raise StepFailed(f"login page or captcha: {error}") from error
    form |= {"useremail": member_email(number), "userpassword": LOAD_PASSWORD}
    signed = visitor.post("/member/login/", form)
    expect(signed.status == 302, f"sign-in {signed.status}: {signed.text[:300]}")
    expect(signed.headers.get("Location") == "/member/", f"sign-in went to {signed.headers}")
    home = visitor.get("/member/")
    expect(home.status == 200, f"member home {home.status}")
    expect('id="member_name"' in home.text, "member home without the member's name")
    expect(SIGNED_IN in home.text, "member home without the signed-in message")
    signed_out = visitor.post("/member/logout/", {"csrfmiddlewaretoken": csrf_token(home)})
    expect(signed_out.status == 302, f"sign-out {signed_out.status}")


@dataclass
class Figures:
    visitors: int
    rounds: int
    sign_ins: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def expected_sign_ins(self) -> int:
        return self.visitors * self.rounds

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def table(self) -> str:
        rows = [
            ("visitors x rounds", f"{self.visitors} x {self.rounds}"),
            ("requests", str(self.requests)),
            ("errors", str(len(self.errors))),
            ("sign-ins landed", f"{self.sign_ins} / {self.expected_sign_ins}"),
            ("latency p50", f"{self.percentile(0.50) * 1000:.0f} ms"),
            ("latency p95", f"{self.percentile(0.95) * 1000:.0f} ms"),
            ("latency max", f"{max(self.latencies, default=0) * 1000:.0f} ms"),
            ("mean latency", f"{statistics.fmean(self.latencies or [0]) * 1000:.0f} ms"),
            ("wall time", f"{self.seconds:.1f} s"),
            ("requests / s", f"{self.requests / self.seconds if self.seconds else 0:.1f}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def run_visitors(site: Site, *, visitors: int = 16, rounds: int = 3) -> Figures:
    """``visitors`` threads at once, each signing in as its own member ``rounds`` times."""
    if visitors > site.members:
        raise ValueError(f"{visitors} visitors need as many members; the site has {site.members}")
    figures = Figures(visitors=visitors, rounds=rounds)
    lock = threading.Lock()
    start = threading.Barrier(visitors)

    def visit(number: int) -> None:
        browsers = [Visitor(site)]
        start.wait(timeout=READY_TIMEOUT)
        for round_number in range(rounds):
            try:
                sign_in_round(browsers[-1], number)
            except (StepFailed, OSError, ValueError, KeyError) as error:
                with lock:
                    figures.errors.append(f"visitor {number} round {round_number}: {error!r}")
                browsers.append(Visitor(site))  # a fresh browser for the next round
                continue
            with lock:
                figures.sign_ins += 1
        with lock:
            for browser in browsers:
                figures.latencies.extend(browser.latencies)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=visitors) as pool:
        for future in [pool.submit(visit, number) for number in range(visitors)]:
            future.result()
    figures.seconds = time.perf_counter() - started
    return figures
