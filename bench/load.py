"""Load run: the site under gunicorn, concurrent visitors through captcha and sign-in.

Visitors, each in a thread with a cookie jar of its own, go through rounds of:

    GET login page (CSRF token) -> GET captcha image -> GET debug hook answer ->
    POST login -> GET member home -> POST logout

against ``qa.servers.serve_site()`` (production style, debug hook on, image rate limit off, as the
contract allows load tests). ``python -m bench.load`` prints the figures for ``make bench``;
``qa/tests/test_load.py`` runs a small load as a test of zero errors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from qa.contract import SIGNED_IN
from qa.servers import (
    LOAD_PASSWORD,
    READY_TIMEOUT,
    Site,
    Visitor,
    csrf_token,
    member_email,
    serve_site,
)


class StepFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def sign_in_round(visitor: Visitor, number: int) -> None:
    """One visitor's captcha + sign-in + home + sign-out; raises ``StepFailed`` on any surprise."""
    page = visitor.get("/member/login/")
    expect(page.status == 200, f"login page {page.status}")
    token = csrf_token(page)
    image = visitor.get("/member/captcha/")
    expect(image.status == 200, f"captcha {image.status}")
    expect(image.headers.get("Content-Type") == "image/png", "captcha is not a PNG")
    expect(image.body.startswith(b"\x89PNG"), "captcha body is not a PNG")
    hook = visitor.get("/member/debug/captcha/")
    expect(hook.status == 200, f"debug hook {hook.status}")
    answer = json.loads(hook.body)["captcha"]
    expect(isinstance(answer, str) and bool(answer), f"debug hook answer {answer!r}")
    form = {
        "csrfmiddlewaretoken": token,
        "useremail": member_email(number),
        "userpassword": LOAD_PASSWORD,
        "captcha": answer,
    }
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    options = parser.parse_args(argv)
    with serve_site(members=options.visitors, workers=options.workers) as site:
        figures = run_visitors(site, visitors=options.visitors, rounds=options.rounds)
    print(f"Load: gunicorn, {options.workers} workers, SQLite\n")
    print(figures.table())
    for error in figures.errors[:10]:
        print(error, file=sys.stderr)
    return 1 if figures.errors or figures.sign_ins != figures.expected_sign_ins else 0


if __name__ == "__main__":
    sys.exit(main())
