"""``python -m bench.captcha``: captcha images per second, ours against its floor and a yardstick.

Every endpoint is served by the same gunicorn (2 sync workers, ``DEBUG`` off, a fresh SQLite
database each, image rate limit off as the contract allows benchmarks) on loopback, and loaded
with ``wrk -t2 -c8``. wrk keeps no cookies, so every request is a new visitor: it makes, stores and
renders a new challenge and saves a new session.

- ours: ``GET /member/captcha/`` of ``memberproj.wsgi``;
- floor: the same site, settings, middleware, view, challenge and session save, with the
  drawing replaced by one constant PNG (``bench.floor_settings``): what the request costs besides
  the drawing;
- simple-captcha: django-simple-captcha 0.7 on a minimal site of its own
  (``bench/simplecaptcha_site``): ``CaptchaStore.generate_key()`` and its ``captcha_image`` view;
- ceiling: a WSGI application answering three bytes (``bench.trivial_wsgi``) under the same
  gunicorn: how far wrk and gunicorn go with no Django at all. It must be far above every
  endpoint, or the load generator (not the site) would set the figures.

``--baseline DIR`` adds another checkout of this project (e.g. ``git worktree add DIR <commit>``),
served the same way from its own code and settings: "ours / baseline" says what a change did to
the endpoint, measured in the same run.

Rounds alternate the endpoints in a rotating order (the machine is shared; drift hits all alike)
and the table gives medians. Each endpoint is checked to answer ``200 image/png`` before it is
loaded, and wrk's non-2xx count and socket errors are reported. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qa.site_under_test import ROOT, manage, prepare_site, server_command
from qa.throwaway_servers import HOST, free_port, run_command, spawn, stop

WORKERS = 2
READY_TIMEOUT = 30.0  # seconds for a server to answer its first request
WRK = "wrk"
# Behind the TLS proxy the contract expects: without this the site redirects to https.
PROXY_HEADER = "X-Forwarded-Proto: https"


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    path: str
    content_type: str
    server_pid: int  # gunicorn's master; its workers are its children

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    requests_per_second: float
    latency_p50_ms: float
    bytes_per_response: float
    non_2xx: int
    socket_errors: int
    wrk_cores: float  # wrk's CPU seconds per wall second
    server_cpu_ms: float  # the workers' CPU time per response: less noisy than req/s on a busy box


@dataclass
class Results:
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, name: str, run: Run) -> None:
        self.runs.setdefault(name, []).append(run)

    def median(self, name: str, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs[name])

    def total(self, name: str, attribute: str) -> int:
        return sum(getattr(run, attribute) for run in self.runs[name])


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_wrk(output: str, seconds: float, wrk_cpu: float, server_cpu: float) -> Run:
    """The figures of ``wrk --latency`` output (wrk 4.1's layout)."""
    totals = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(\w+)", output, re.MULTILINE)
    if not (totals and rate and p50):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests = int(totals.group(1))
    read = float(totals.group(4)) * SIZES[totals.group(5)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Run(
        requests_per_second=float(rate.group(1)),
        latency_p50_ms=float(p50.group(1)) * UNITS[p50.group(2)],
        bytes_per_response=read / requests if requests else 0.0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(count) for count in sockets.groups()) if sockets else 0,
        wrk_cores=wrk_cpu / seconds,
        server_cpu_ms=server_cpu / requests * 1000 if requests else 0.0,
    )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def workers_cpu(server_pid: int) -> float:
    """CPU seconds (user + system) the gunicorn master's worker processes have used so far."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    total = 0
    for pid in children:
        # Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def load(target: Target, seconds: int, *, threads: int = 2, connections: int = 8) -> Run:
    """``wrk`` against ``target`` for ``seconds``; its own CPU time is measured as well."""
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",  # whole seconds: wrk reads no fractions
        "--latency",
        "-H",
        PROXY_HEADER,
        target.url,
    ]
    # Servers are waited for only at the end: the children's usage that grows now is wrk's.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = workers_cpu(target.server_pid)
    result = run_command(command, timeout=seconds + 30)
    server_after = workers_cpu(target.server_pid)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stdout}{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return parse_wrk(result.stdout, seconds, cpu, server_after - server_before)


def fetch(target: Target) -> tuple[int, str, bytes]:
    """One request as wrk sends it: status, content type and body."""
    connection = http.client.HTTPConnection(HOST, target.port, timeout=10)
    try:
        connection.request("GET", target.path, headers={"X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        return response.status, response.headers.get("Content-Type", ""), response.read()
    finally:
        connection.close()


def wait_until_answering(target: Target, server: subprocess.Popen, log: Path) -> None:
    """Poll until ``target`` answers; then it must answer 200 with its content type."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{target.name}: the server exited:\n{log.read_text()}")
        try:
            status, content_type, body = fetch(target)
        except OSError:
            time.sleep(0.05)
            continue
        if status != 200 or content_type != target.content_type:
            raise RuntimeError(f"{target.name}: {status} {content_type!r}: {body[:200]!r}")
        if content_type == "image/png" and not body.startswith(b"\x89PNG"):
            raise RuntimeError(f"{target.name}: the body is not a PNG")
        return
    raise RuntimeError(f"{target.name}: no answer in {READY_TIMEOUT} s:\n{log.read_text()}")


@contextmanager
def gunicorn(
    name: str, app: str, path: str, content_type: str, env: dict[str, str], cwd: Path = ROOT
) -> Iterator[Target]:
    """``app`` under the benchmark's gunicorn, answering ``path`` (checked once) until closed."""
    port = free_port()
    log = Path(env["BENCH_LOG_DIR"]) / f"{name}.log"
    command = server_command("gunicorn", port, workers=WORKERS, threads=1, app=app)
    server = spawn(command, log, cwd=cwd, env=env)  # gunicorn imports from its folder first
    try:
        target = Target(name, port, path, content_type, server.pid)
        wait_until_answering(target, server, log)
        yield target
    finally:
        stop(server)


def baseline_environment(checkout: Path, workdir: Path, ours: dict[str, str]) -> dict[str, str]:
    """The site of another checkout, production settings of its own, on a database of its own."""
    folder = workdir / "baseline"
    folder.mkdir()
    environment = {
        **ours,
        "PYTHONPATH": str(checkout),
        "DJANGO_SETTINGS_MODULE": "memberproj.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
    }
    manage_py = [sys.executable, str(checkout / "manage.py")]
    for command in (["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput"]):
        result = run_command([*manage_py, *command, "-v", "0"], cwd=checkout, env=environment)
        if result.returncode != 0:
            raise RuntimeError(f"baseline {command[0]} failed:\n{result.stderr}")
    return environment


def start_targets(stack: ExitStack, workdir: Path, baseline: Path | None = None) -> list[Target]:
    """Ours, the floor, simple-captcha and the ceiling (and a baseline checkout), each serving,
    each on its own database."""
    ours_dir, floor_dir = workdir / "ours", workdir / "floor"
    ours_dir.mkdir()
    floor_dir.mkdir()
    ours = prepare_site(ours_dir, members=0)
    # The product's own settings: the test sites' captcha has one known character.
    ours["DJANGO_SETTINGS_MODULE"] = "memberproj.settings"
    ours["BENCH_LOG_DIR"] = str(workdir)
    # The floor gets a copy of the freshly migrated database (and shares the static files).
    shutil.copy(ours_dir / "site.sqlite3", floor_dir / "site.sqlite3")
    floor = {
        **ours,
        "DATABASE_URL": f"sqlite:///{floor_dir / 'site.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
    }
    simple = {
        "PATH": ours["PATH"],
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.simplecaptcha_site.settings",
        "BENCH_SIMPLECAPTCHA_DATABASE": str(workdir / "simplecaptcha.sqlite3"),
        "BENCH_LOG_DIR": str(workdir),
    }
    manage(simple, "migrate", "--noinput", "-v", "0")
    servers = [
        ("ours", "memberproj.wsgi:application", "/member/captcha/", "image/png", ours),
        ("floor", "memberproj.wsgi:application", "/member/captcha/", "image/png", floor),
        (
            "simple-captcha",
            "bench.simplecaptcha_site.wsgi:application",
            "/image/",
            "image/png",
            simple,
        ),
        ("ceiling", "bench.trivial_wsgi:application", "/", "text/plain", simple),
    ]
    if baseline is not None:
        checkout = baseline_environment(baseline, workdir, ours)
        served = ("baseline", "memberproj.wsgi:application", "/member/captcha/", "image/png")
        servers.append((*served, checkout, baseline))
    return [stack.enter_context(gunicorn(*server)) for server in servers]


def run(rounds: int, seconds: int, warmup: int, baseline: Path | None = None) -> Results:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="member-bench-") as directory, ExitStack() as stack:
        targets = start_targets(stack, Path(directory), baseline)
        for target in targets:
            load(target, warmup)  # imports, first connections, page cache: not measured
        for number in range(rounds):
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                results.add(target.name, load(target, seconds))
    return results


def table(results: Results) -> str:
    lines = [
        "| endpoint | req/s (median) | req/s (min-max) | p50 latency | KB/response "
        "| server CPU/response | non-2xx | socket errors | wrk CPU (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in results.runs.items():
        rates = [run.requests_per_second for run in runs]
        lines.append(
            f"| {name} | {results.median(name, 'requests_per_second'):.0f} "
            f"| {min(rates):.0f}-{max(rates):.0f} "
            f"| {results.median(name, 'latency_p50_ms'):.1f} ms "
            f"| {results.median(name, 'bytes_per_response') / 1024:.1f} "
            f"| {results.median(name, 'server_cpu_ms'):.2f} ms "
            f"| {results.total(name, 'non_2xx')} | {results.total(name, 'socket_errors')} "
            f"| {results.median(name, 'wrk_cores'):.2f} |"
        )
    rate = {name: results.median(name, "requests_per_second") for name in results.runs}
    cpu = {name: results.median(name, "server_cpu_ms") for name in results.runs}
    lines += [
        "",
        "| ratio | req/s | by server CPU per response |",
        "| --- | ---: | ---: |",
        *(
            f"| {a} / {b} | {rate[a] / rate[b]:.2f}x | {cpu[b] / cpu[a]:.2f}x |"
            for a, b in [("ours", "simple-captcha"), ("ours", "floor"), ("floor", "simple-captcha")]
            + ([("ours", "baseline")] if "baseline" in rate else [])
        ),
        f"| ceiling / fastest endpoint | "
        f"{rate['ceiling'] / max(rate['ours'], rate['floor'], rate['simple-captcha']):.1f}x |",
        "",
        "Where our request's worker CPU goes (medians of the rows above):",
        "",
        "| part | CPU per response | share |",
        "| --- | ---: | ---: |",
        *(
            f"| {part} | {milliseconds:.2f} ms | {milliseconds / cpu['ours']:.0%} |"
            for part, milliseconds in [
                ("gunicorn and the kernel, for a 3-byte answer (ceiling)", cpu["ceiling"]),
                (
                    "Django (middleware, view, session), sending our answer (floor - ceiling)",
                    cpu["floor"] - cpu["ceiling"],
                ),
                ("drawing the image (ours - floor)", cpu["ours"] - cpu["floor"]),
            ]
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="per endpoint and round")
    parser.add_argument("--warmup", type=int, default=1, help="seconds per endpoint, unmeasured")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout of this project, served beside ours"
    )
    options = parser.parse_args(argv)
    if shutil.which(WRK) is None:
        print("wrk is missing: sudo apt-get install wrk (or make wrk as root)", file=sys.stderr)
        return 1
    results = run(options.rounds, options.seconds, options.warmup, options.baseline)
    print(
        f"Captcha images: gunicorn {WORKERS} sync workers, SQLite, DEBUG off, "
        f"wrk -t2 -c8, {options.rounds} rounds x {options.seconds} s, every request a new "
        "visitor\n"
    )
    print(table(results))
    failures = sum(
        results.total(name, "non_2xx") + results.total(name, "socket_errors")
        for name in results.runs
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
