"""The run of ``harness_suite.py`` that ``test_harness_report.py`` reads: a pytest of its own with
the harness's plugins, once per test session.

Its tests are one xdist group (they go to one worker, the group first); should two processes
still ask at once, the first runs it under an exclusive lock on ``<shared>/harness-inner.lock``
and the other waits on the lock, then reads the same result.
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


def _run(folder: Path) -> InnerRun:
    """Run the suite as ``test_inner.py`` in ``folder``, the root conftest's plugins loaded."""
    from conftest import pytest_plugins

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(SUITE, folder / "test_inner.py")
    (folder / "pytest.ini").write_text(INNER_INI)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
    done = subprocess.run(  # noqa: S603  (our own interpreter and arguments, no shell)
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    return InnerRun(folder, done.returncode, done.stdout + done.stderr)


def inner_run(shared: Path) -> InnerRun:
    """The run's result: made here, or read from the process that made it."""
    result = shared / "harness-inner.json"
    with (shared / "harness-inner.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result.is_file():
            return InnerRun(shared / "harness-inner", **json.loads(result.read_text()))
        run = _run(shared / "harness-inner")
        result.write_text(json.dumps({"returncode": run.returncode, "output": run.output}))
        return run


def shared_folder(basetemp: Path) -> Path:
    """A folder of this test session that every xdist worker sees: the parent of the workers'
    own temporary folders, or the session's own one without xdist."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
