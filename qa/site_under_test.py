"""The site as a real server process, and a browser-like HTTP client to drive it black-box.

``serve_site()`` prepares a fresh database (a SQLite file in a temporary directory, or the
``DATABASE_URL``/``REDIS_URL`` of ``backend``) with the project's own commands: ``migrate``,
``createcachetable``, ``collectstatic`` and ``seed_members`` (the one way members are made, here
``load-00001@example.com``… with ``LOAD_PASSWORD``). Then it serves ``memberproj.wsgi`` on a free
loopback port: gunicorn production style (``DJANGO_DEBUG=0``; sync workers, or gthread with
``threads``), or Django's threaded development server as ``make run`` does. The settings are
``qa.served_settings``: production's, with a captcha that always reads ``SOLVED_ANSWER`` (the
tests play an attacker with a perfect solver) and the image rate limit off unless a test sets it.

``Visitor`` is one browser behind the TLS proxy the contract expects: its own cookies, every
request marked ``X-Forwarded-Proto: https``. Used by the race, header and load tests and by
``bench.load``. Only the standard library.
"""

from __future__ import annotations

import atexit
import functools
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from qa.hashers import QUICK_ARGON2
from qa.served_settings import SOLVED_ANSWER
from qa.throwaway_servers import HOST, free_port, run_command, spawn, stop

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

LOAD_PASSWORD = "load-visitor-password-2026"  # noqa: S105  (throwaway members of a throwaway db)
MEMBER_EMAIL_PREFIX = "load-"
READY_TIMEOUT = 30.0  # seconds for a server to answer its first request
REQUEST_TIMEOUT = 30.0  # seconds for one request
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def member_email(number: int) -> str:
    """The email of the prepared site's ``number``-th member (0-based)."""
    return f"{MEMBER_EMAIL_PREFIX}{number + 1:05d}@example.com"


STAFF_EMAIL = "staff@example.com"


@dataclass(frozen=True)
class Site:
    host: str
    port: int
    members: int
    log: Path
    environment: dict[str, str] = field(default_factory=dict)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``manage.py args`` as an operator runs it on this site's server, run to the end."""
        return run_manage(self.environment, *args)

    @property
    def origin(self) -> str:
        """The origin browsers see through the TLS proxy (what Django's CSRF check compares)."""
        return f"https://{self.host}:{self.port}"


def site_environment(
    workdir: Path, backend: dict[str, str] | None = None, settings: dict[str, Any] | None = None
) -> dict[str, str]:
    """The app server's environment: production settings on ``backend``'s database and cache
    (``DATABASE_URL``, ``REDIS_URL``), a fresh SQLite file in ``workdir`` by default, and
    ``settings`` (Django settings by name) on top."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "qa.served_settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'site.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(static_root()),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-only-secret-key-for-a-throwaway-site",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "MEMBER_CAPTCHA_RATE_LIMIT": "0",
        "QA_SITE_SETTINGS": json.dumps(settings or {}),
        **(backend or {}),
    }


@functools.cache
def static_root() -> Path:
    """One folder of collected static files for every site this process serves: the files are
    the same, and collecting them once saves each site the time."""
    folder = Path(tempfile.mkdtemp(prefix="member-static-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def run_manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py args`` in ``environment`` (nothing inherited), run to the end."""
    return run_command([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=environment)


def manage(environment: dict[str, str], *args: str) -> None:
    """``run_manage``, raising with the command's output if it fails."""
    result = run_manage(environment, *args)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def prepare_site(
    workdir: Path,
    *,
    members: int,
    backend: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Database, cache table, static files and ``members`` members; returns the environment."""
    environment = site_environment(workdir, backend, settings)
    manage(
        environment,
        "prepare_site",
        "--members",
        str(members),
        "--password",
        LOAD_PASSWORD,
        "--email-prefix",
        MEMBER_EMAIL_PREFIX,
    )
    return environment


def server_command(
    kind: str, port: int, *, workers: int, threads: int, app: str = "memberproj.wsgi:application"
) -> list[str]:
    """gunicorn (sync workers, or gthread with ``threads > 1``) or Django's threaded runserver.

    ``app`` is the WSGI application gunicorn serves (``bench.captcha`` serves others beside it).
    """
    if kind == "runserver":
        manage = str(ROOT / "manage.py")
        return [sys.executable, manage, "runserver", f"{HOST}:{port}", "--noreload"]
    if kind != "gunicorn":
        raise ValueError(f"unknown server kind {kind!r}")
    return [
        str(BIN / "gunicorn"),
        app,
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
    settings: dict[str, Any] | None = None,
    prepare: bool = True,
    task_worker: bool = False,
    staff: bool = False,
    quick_hashing: bool = False,
) -> Iterator[Site]:
    """A prepared site under gunicorn or runserver; stopped (and its files removed) after.

    runserver is Django's development server (``DJANGO_DEBUG=1``, a thread per request), what
    ``make run`` serves; gunicorn runs production style. ``settings`` are Django settings for
    this site (``qa.served_settings``). ``prepare=False`` serves a ``backend`` another site
    prepared already (a second app server on the same database and Redis). ``task_worker=True``
    starts the task worker beside it, as ``make run`` and ``make serve`` do, logging to the same
    file: queued mail goes out from there, to the ``EMAIL_URL`` that ``backend`` may set.
    ``staff=True`` adds a superuser, ``STAFF_EMAIL`` with ``LOAD_PASSWORD``.
    ``quick_hashing=True`` hashes passwords with ``qa.hashers``' Argon2 at its lowest cost, for
    tests that count password checks rather than time them; benchmarks keep production's.
    """
    if quick_hashing:
        settings = {**(settings or {}), "PASSWORD_HASHERS": [QUICK_ARGON2]}
    with tempfile.TemporaryDirectory(prefix="member-load-") as directory:
        workdir = Path(directory)
        if prepare:
            environment = prepare_site(workdir, members=members, backend=backend, settings=settings)
        else:
            environment = site_environment(workdir, backend, settings)
        if staff:
            superuser = {**environment, "DJANGO_SUPERUSER_PASSWORD": LOAD_PASSWORD}
            manage(
                superuser,
                "createsuperuser",
                "--noinput",
                "--email",
                STAFF_EMAIL,
                "--username",
                "Staff",
            )
        if kind == "runserver":
            environment["DJANGO_DEBUG"] = "1"
        # Every process's metrics add up at a scrape, as under make serve.
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics")
        (workdir / "metrics").mkdir()
        port = free_port()
        log = workdir / "server.log"
        server = spawn(
            server_command(kind, port, workers=workers, threads=threads),
            log,
            cwd=ROOT,
            env=environment,
        )
        worker = (
            spawn(
                task_worker_command(),
                log,
                cwd=ROOT,
                env={**environment, "PYTHONUNBUFFERED": "1"},  # its lines in order, at once
            )
            if task_worker
            else None
        )
        site = Site(host=HOST, port=port, members=members, log=log, environment=environment)
        try:
            wait_until_ready(site, server)
            if worker is not None and worker.poll() is not None:
                raise RuntimeError(f"the task worker exited:\n{log.read_text()}")
            yield site
        finally:
            stop(server)  # SIGTERM: gunicorn stops its workers gracefully
            stop(worker)  # SIGTERM: the worker finishes the task in hand, then exits


def task_worker_command() -> list[str]:
    """django-tasks-db's worker on the site's database queue; it looks for due tasks every
    0.2 s when idle, without the random start-up delay or the code reloader."""
    manage = str(ROOT / "manage.py")
    options = ["--interval", "0.2", "--no-startup-delay", "--no-reload"]
    return [sys.executable, manage, "db_worker", *options]


def readable_log(text: str) -> str:
    """A server log with its JSON lines (``LOG_FORMAT=json``, production's) written as text lines
    are (``LEVEL logger: message``), other lines as they are."""
    lines = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and "message" in record:
            line = f"{record.get('level')} {record.get('logger')}: {record['message']}"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


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

    def __init__(self, site: Site, *, address: str | None = None) -> None:
        self.site = site
        # The client address the TLS proxy reports (X-Forwarded-For), for sites that trust one
        # proxy (MEMBER_TRUSTED_PROXY_COUNT=1): each test can be its own client.
        self.address = address
        self.cookies: dict[str, str] = {}
        self.latencies: list[float] = []

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def solved_form(self, page: str) -> dict[str, str]:
        """What a visitor with a perfect captcha solver sends with ``page``'s form: its CSRF token
        and the answer of a captcha image fetched for this visitor's session just now."""
        token = csrf_token(self.get(page))
        image = self.get("/member/captcha/")
        if image.status != 200:
            raise AssertionError(f"the captcha image answered {image.status}")
        return {"csrfmiddlewaretoken": token, "captcha": SOLVED_ANSWER}

    def sign_in(self, email: str, password: str, *, remember: bool = False) -> Answer:
        """The sign-in form sent with a solved captcha: 302 when it signed this browser in."""
        form = self.solved_form("/member/login/") | {"useremail": email, "userpassword": password}
        return self.post("/member/login/", form | ({"rememberme": "on"} if remember else {}))

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
            **({"X-Forwarded-For": self.address} if self.address else {}),
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


def csrf_token(answer: Answer) -> str:
    """The CSRF token of a form page, as a browser would send it back."""
    found = CSRF_INPUT.search(answer.text)
    if found is None:
        raise ValueError("no CSRF token on the page")
    return found.group(1)
