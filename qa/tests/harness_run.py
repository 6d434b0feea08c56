"""The run of ``harness_suite.py`` that ``test_harness_report.py`` reads: a pytest of its own with
the harness's plugins, once per test session, started in the background as soon as a worker
begins (``qa/tests/conftest.py``), so no xdist worker sits waiting for it.

The first caller of ``start()`` takes an exclusive lock on ``<shared>/harness-inner.lock`` and
hands it to the child process, which holds it until it has written its result; ``wait()`` takes
the same lock shared, so it returns once the run is over, whichever process started it.

``python -m qa.tests.harness_run SHARED`` is that child.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).with_name("harness_suite.py")
INNER_INI = "[pytest]\nmarkers =\n    e2e: browser tests\n"
TIMEOUT = 300  # seconds
# With REDIS_URL (the second pass) memberproj.test_settings gives xdist worker gwN Redis database
# N + 1. The inner run says it is gw14 (database 15): a worker's cache.clear() between its own
# tests must not wipe the sessions of a run going on beside it.
REDIS_WORKER = "gw14"

# The children started here, kept referenced: a Popen collected while its child runs warns.
_children: list[subprocess.Popen] = []


@dataclass
class InnerRun:
    """What a run of the suite left in ``folder``: its exit status and output (the JUnit XML, the
    report and the artifact folders are files there)."""

    folder: Path
    returncode: int
    output: str

    @property
    def artifacts(self) -> Path:
        return self.folder / "artifacts"

    @property
    def report(self) -> Path:
        return self.folder / "report" / "report.html"

    @property
    def log(self) -> Path:
        return self.folder / "report" / "run.jsonl"


def _paths(shared: Path) -> tuple[Path, Path, Path]:
    return shared / "harness-inner", shared / "harness-inner.lock", shared / "harness-inner.json"


def run(shared: Path) -> None:
    """Run the suite as ``test_inner.py`` and write its exit status and output beside it."""
    folder, _lock, result = _paths(shared)
    from conftest import pytest_plugins

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(SUITE, folder / "test_inner.py")
    (folder / "pytest.ini").write_text(INNER_INI)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_XDIST_WORKER": REDIS_WORKER}
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        *itertools.chain.from_iterable(("-p", plugin) for plugin in pytest_plugins),
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        "--ds=memberproj.test_settings",
        f"--qa-artifacts={folder / 'artifacts'}",
        f"--qa-baselines={folder / 'baselines'}",
        f"--qa-report={folder / 'report' / 'report.html'}",
        f"--qa-report-log={folder / 'report' / 'run.jsonl'}",
        "test_inner.py",
    ]
    try:
        done = subprocess.run(  # noqa: S603  (our own interpreter and arguments, no shell)
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        outcome = {"returncode": done.returncode, "output": done.stdout + done.stderr}
    except subprocess.TimeoutExpired as error:
        outcome = {"returncode": -1, "output": f"the inner run took over {TIMEOUT} s: {error}"}
    partial = result.with_suffix(".part")
    partial.write_text(json.dumps(outcome))
    partial.replace(result)


def start(shared: Path) -> None:
    """Start the run in the background, unless it is running or over."""
    _folder, lock_path, result = _paths(shared)
    lock = lock_path.open("a")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # running
        started = result.with_suffix(".started")
        if started.exists():
            return  # over
        started.touch()
        # The child inherits the locked descriptor: the lock lasts as long as the child does.
        child = subprocess.Popen(  # noqa: S603  (our own interpreter and module, no shell)
            [sys.executable, "-m", "qa.tests.harness_run", str(shared)],
            cwd=ROOT,
            pass_fds=(lock.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _children.append(child)
    finally:
        lock.close()


def wait(shared: Path) -> InnerRun:
    """The run's result, once it is over (started here if nobody did)."""
    folder, lock_path, result = _paths(shared)
    start(shared)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        if not result.is_file():
            raise RuntimeError(f"the harness's inner run ended without a result in {result}")
        return InnerRun(folder, **json.loads(result.read_text()))


def shared_folder(basetemp: Path) -> Path:
    """A folder of this test session that every xdist worker sees: the parent of the workers'
    own temporary folders, or the session's own one without xdist."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


if __name__ == "__main__":
    run(Path(sys.argv[1]))
