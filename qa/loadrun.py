"""Load run: the site under gunicorn, concurrent visitors through captcha and sign-in.

``serve_site()`` prepares a fresh SQLite database in a temporary directory (migrations, cache
table, static files, members) and serves ``memberproj.wsgi:application`` with gunicorn workers on
a free loopback port, production style (``DJANGO_DEBUG=0``) with the captcha debug hook on and the
captcha rate limit off (what the contract allows load tests). ``run_visitors()`` sends visitors,
each in a thread with a cookie jar of its own, through rounds of:

    GET login page (CSRF token) -> GET captcha image -> GET debug hook answer ->
    POST login -> GET member home (the member's name) -> POST logout

Every request says ``X-Forwarded-Proto: https``, as the contract's TLS proxy would: production
cookies are ``Secure`` and the SSL redirect stays on. Cookies are kept by hand, as a browser
behind that proxy would send them.

Only the standard library: ``python -m qa.loadrun`` prints the figures for ``make bench``.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from qa.contract import SIGNED_IN

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

LOAD_PASSWORD = "load-visitor-password-2026"  # noqa: S105  (throwaway members of a throwaway db)
READY_TIMEOUT = 30.0  # seconds for gunicorn to answer its first request
REQUEST_TIMEOUT = 30.0  # seconds for one request
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# The project's production settings; only STATIC_ROOT moves into the temporary directory, so a
# run never writes into the checkout.
SETTINGS_MODULE = """\
from memberproj.settings import *  # noqa: F403

STATIC_ROOT = {static_root!r}
"""

# Run in the production settings: migrate, cache table, static files, and the members (one
# Argon2 hash shared by all, so preparing 100 members costs one hash).
PREPARE = """\
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from member.models import Member

call_command("migrate", interactive=False, verbosity=0)
call_command("createcachetable", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
password = make_password({password!r})
Member.objects.bulk_create(
    Member(email=f"load-{{number}}@example.com", username=f"Load Visitor {{number}}",
           password=password)
    for number in range({count})
)
print(Member.objects.count())
"""


def member_email(number: int) -> str:
    return f"load-{number}@example.com"


def member_name(number: int) -> str:
    return f"Load Visitor {number}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Site:
    host: str
    port: int
    members: int
    log: Path

    @property
    def origin(self) -> str:
        """The origin browsers see through the TLS proxy (what Django's CSRF check compares)."""
        return f"https://{self.host}:{self.port}"


def site_environment(workdir: Path, backend: dict[str, str] | None = None) -> dict[str, str]:
    """The app server's environment: production settings on ``backend``'s database and cache
    (``DATABASE_URL``, ``REDIS_URL``), a fresh SQLite file in ``workdir`` by default."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'load.sqlite3'}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "MEMBER_CAPTCHA_DEBUG_HOOK": "1",
        "MEMBER_CAPTCHA_RATE_LIMIT": "0",
        **(backend or {}),
    }


def prepare_site(
    workdir: Path, *, members: int, backend: dict[str, str] | None = None
) -> dict[str, str]:
    """Database, cache table, static files and ``members`` members in ``workdir``."""
    (workdir / "load_settings.py").write_text(
        SETTINGS_MODULE.format(static_root=str(workdir / "static"))
    )
    environment = site_environment(workdir, backend)
    script = PREPARE.format(password=LOAD_PASSWORD, count=members)
    result = subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The last line is the member count (Django's shell may print its auto-imports first).
    if result.returncode != 0 or result.stdout.strip().splitlines()[-1:] != [str(members)]:
        raise RuntimeError(f"preparing the load database failed:\n{result.stdout}{result.stderr}")
    return environment


def server_command(kind: str, port: int, *, workers: int, threads: int) -> list[str]:
    """gunicorn (sync workers, or gthread with ``threads > 1``) or Django's threaded runserver."""
    if kind == "runserver":
        manage = str(ROOT / "manage.py")
        return [sys.executable, manage, "runserver", f"{HOST}:{port}", "--noreload"]
    if kind != "gunicorn":
        raise ValueError(f"unknown server kind {kind!r}")
    return [
        str(BIN / "gunicorn"),
        "memberproj.wsgi:application",
        "--workers",
        str(workers),
        *(["--threads", str(threads), "--worker-class", "gthread"] if threads > 1 else []),
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        # gunicorn 27 shares one control socket path between instances by default.
        "--no-control-socket",
    ]


@contextmanager
def serve_site(
    *,
    members: int = 16,
    workers: int = 3,
    threads: int = 1,
    kind: str = "gunicorn",
    backend: dict[str, str] | None = None,
) -> Iterator[Site]:
    """A prepared site under gunicorn or runserver; stopped (and its files removed) after.

    runserver is Django's development server (``DJANGO_DEBUG=1``, a thread per request), what
    ``make run`` serves; gunicorn runs production style.
    """
    with tempfile.TemporaryDirectory(prefix="member-load-") as directory:
        workdir = Path(directory)
        environment = prepare_site(workdir, members=members, backend=backend)
        if kind == "runserver":
            environment["DJANGO_DEBUG"] = "1"
        port = free_port()
        log = workdir / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(  # noqa: S603  (our own virtualenv's servers)
                server_command(kind, port, workers=workers, threads=threads),
                cwd=ROOT,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        site = Site(host=HOST, port=port, members=members, log=log)
        try:
            wait_until_ready(site, server)
            yield site
        finally:
            stop(server)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn stops its workers gracefully), SIGKILL to the group if it lingers."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def wait_until_ready(site: Site, server: subprocess.Popen) -> None:
    """Poll the login page until it answers 200; fail at once if gunicorn exits."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n{site.log.read_text()}")
        try:
            if Visitor(site).get("/member/login/").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer in {READY_TIMEOUT} s:\n{site.log.read_text()}")


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Visitor:
    """One browser behind the TLS proxy: its own cookies, every request marked as HTTPS."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.cookies: dict[str, str] = {}
        self.latencies: list[float] = []

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Answer:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.site.origin,
            "Referer": self.site.origin + path,
        }
        return self.request("POST", path, body=urlencode(form).encode(), headers=headers)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        all_headers = {
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hant",
            **(headers or {}),
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(
            self.site.host, self.site.port, timeout=REQUEST_TIMEOUT
        )
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self.latencies.append(seconds)
        self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return Answer(response.status, response.headers, content, seconds)

    def keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


class StepFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def csrf_token(answer: Answer) -> str:
    found = CSRF_INPUT.search(answer.text)
    if found is None:
        raise StepFailed("no CSRF token on the page")
    return found.group(1)


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
    expect(html.escape(member_name(number)) in home.text, "member home without the name")
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
