"""``python -m bench.captcha_profile``: where a new visitor's captcha request spends its time.

In one process, on a fresh SQLite database with the production settings (``DEBUG`` off, image
rate limit off), requests go through Django's ``WSGIHandler`` exactly as gunicorn hands them over
(``request_started``/``request_finished`` included, so database connections open and close as they
would in a worker), with no cookie: every request a new visitor. It prints

- the SQL statements of one such request;
- each middleware's share: the time per request of the floor (``bench.floor_urls``: the drawing
  replaced by a constant) with all middleware against the same without that one, alternating
  rounds, medians;
- a cProfile breakdown of the real request: drawing, the challenge, session save, throttle,
  connection set-up, the rest of Django.

What gunicorn adds (HTTP parsing, the socket, a connection per request) is the gap between
``bench.captcha``'s figures and these. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.site import configure_production_site

# Which middleware the site cannot answer the captcha without (the view needs ``request.session``).
REQUIRED = {"django.contrib.sessions.middleware.SessionMiddleware"}


def configure(workdir: Path) -> None:
    """Production settings on a fresh database in ``workdir``; the schema migrated."""
    configure_production_site(workdir, allowed_hosts="127.0.0.1")


def environ() -> dict[str, Any]:
    """A new visitor's ``GET /member/captcha/`` as gunicorn passes it: no cookie, via the proxy."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/member/captcha/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def request(handler: Callable[..., Any]) -> str:
    """One request through ``handler``; returns the status line. Closes it as a server does."""
    statuses: list[str] = []
    response = handler(environ(), lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()  # request_finished: what closes (or keeps) the database connection
    return statuses[0]


def per_request(handler: Callable[..., Any], count: int) -> float:
    """Seconds per request over ``count`` requests."""
    started = time.perf_counter()
    for _ in range(count):
        request(handler)
    return (time.perf_counter() - started) / count


def queries_of_one_request() -> list[str]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handler = WSGIHandler()
    request(handler)  # warm: imports, the font, the first connection
    with CaptureQueriesContext(connection) as queries:
        status = request(handler)
    if not status.startswith("200"):
        raise RuntimeError(f"the captcha answered {status}")
    return [query["sql"] for query in queries.captured_queries]


def middleware_shares(count: int, rounds: int) -> tuple[float, dict[str, float | None]]:
    """Floor time per request with every middleware, and what leaving out each one saves."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    full = list(settings.MIDDLEWARE)
    configurations: dict[str, list[str]] = {"all": full}
    for middleware in full:
        if middleware not in REQUIRED:
            configurations[middleware] = [item for item in full if item != middleware]
    handlers = {}
    with override_settings(ROOT_URLCONF="bench.floor_urls"):
        for name, stack in configurations.items():
            with override_settings(MIDDLEWARE=stack):
                handlers[name] = WSGIHandler()
        broken = {
            name for name, handler in handlers.items() if not request(handler).startswith("2")
        }
        times: dict[str, list[float]] = {name: [] for name in handlers}
        for number in range(rounds):
            names = list(handlers)
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(per_request(handlers[name], count))
    all_time = statistics.median(times["all"])
    shares: dict[str, float | None] = {}
    for middleware in full:
        if middleware in REQUIRED or middleware in broken:
            shares[middleware] = None
        else:
            shares[middleware] = all_time - statistics.median(times[middleware])
    return all_time, shares


PARTS = [
    # (label, module path suffix, function name): cumulative time inside each.
    ("drawing (captcha.render)", "member/captcha.py", "render"),
    ("challenge (make_challenge, into the session)", "member/captcha.py", "make_challenge"),
    ("throttle (consume_captcha_request)", "member/throttle.py", "consume_captcha_request"),
    ("session save (SessionMiddleware.process_response)", "sessions/middleware.py",
     "process_response"),
    ("connection set-up (get_new_connection)", "sqlite3/base.py", "get_new_connection"),
    ("connection close (close_old_connections)", "django/db/__init__.py",
     "close_old_connections"),
    ("whole WSGIHandler.__call__", "core/handlers/wsgi.py", "__call__"),
]  # fmt: skip


def profile(count: int) -> list[tuple[str, float]]:
    """Milliseconds per request inside each of ``PARTS``, under cProfile (which inflates all)."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    request(handler)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        request(handler)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for label, path, function in PARTS:
        cumulative = sum(
            entry[3]
            for (file, _line, name), entry in stats.items()
            if name == function and file.endswith(path)
        )
        rows.append((label, cumulative / count * 1000))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Many short alternating rounds: the machine's speed drifts, and a drift between two long
    # blocks would pass for a middleware's share.
    parser.add_argument("--count", type=int, default=40, help="requests per timing")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profiled", type=int, default=1000, help="requests under cProfile")
    parser.add_argument(
        "--warm-up", type=int, default=3000, help="requests first (the glyph cache fills)"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="member-profile-") as directory:
        configure(Path(directory))
        from django.core.handlers.wsgi import WSGIHandler

        sql = queries_of_one_request()
        per_request(WSGIHandler(), options.warm_up)  # a running server's state: caches filled
        print(f"SQL of one new visitor's captcha request ({len(sql)} statements):\n")
        for statement in sql:
            print(f"- `{statement[:160]}`")

        real = statistics.median(
            per_request(WSGIHandler(), options.count) for _ in range(options.rounds)
        )
        print("\ncProfile, per request (profiling overhead inflates every figure):\n")
        print("| part | ms |\n| --- | ---: |")
        for label, milliseconds in profile(options.profiled):
            print(f"| {label} | {milliseconds:.3f} |")

        # Last: importing the floor's URLs replaces the drawing for the rest of this process.
        floor, shares = middleware_shares(options.count, options.rounds)
        print(f"\nPer request in-process: real {real * 1000:.2f} ms, floor {floor * 1000:.2f} ms")
        print("\n| middleware | share of the floor request |\n| --- | ---: |")
        for middleware, share in shares.items():
            shown = "required" if share is None else f"{share * 1000:+.3f} ms"
            print(f"| {middleware} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
