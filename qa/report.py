"""One report of several pytest runs: ``python -m qa.report --html PATH LABEL=LOG [LABEL=LOG …]``.

``make test`` runs the suite twice (SQLite with local Chromium; PostgreSQL + Redis with a Selenium
Grid). Each pass writes its report log (``--qa-report-log``: every test report as JSON, pytest's
own serialisation); this replays them, each test's id prefixed with its pass's label, through
pytest's report hooks in a session that runs no test, the way pytest-xdist's controller hands on
its workers' reports. So pytest-html writes the one HTML report and pytest's junitxml the JUnit XML
beside it (PATH with ``.xml``), with everything ``qa.fixtures.report`` adds (flaky tests, failure
evidence). It prints a line per pass and then both paths, and exits 1 when a pass failed, or
ended without finishing (no log, or a log cut short).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    """One pytest run's report log, read: its reports, environment and how it ended."""

    label: str
    path: Path
    reports: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    exitstatus: int | None = None  # None: the run never finished (or never started)
    duration: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, label: str, path: Path) -> Run:
        run = cls(label, path)
        if not path.is_file():
            return run
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    break  # the last line, cut short: the run did not finish
                kind = data.get("$report_type")
                if kind == "SessionStart":
                    run.environment = data.get("environment", {})
                elif kind == "SessionFinish":
                    run.exitstatus = int(data["exitstatus"])
                    run.duration = float(data.get("duration", 0.0))
                else:
                    run.reports.append(data)
        return run

    @property
    def failed(self) -> bool:
        return self.exitstatus != 0 or self.counts["failed"] > 0 or self.counts["error"] > 0

    def summary(self) -> str:
        if self.exitstatus is None:
            ended = "did not finish" if self.path.is_file() else f"no report log at {self.path}"
        else:
            ended = f"{self.duration:.0f} s, exit status {self.exitstatus}"
        counts = ", ".join(f"{number} {name}" for name, number in sorted(self.counts.items()))
        return f"{self.label}: {counts or 'no tests'} ({ended})"


class Replay:
    """The pytest plugin that feeds the logged reports to the report writers instead of running
    tests."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs

    @pytest.hookimpl(trylast=True, optionalhook=True)
    def pytest_metadata(self, metadata: dict[str, Any]) -> None:
        # The passes' environments, not the one of this process.
        for key in ("Database", "Sessions, counters", "Browsers", "Site"):
            metadata.pop(key, None)
        for run in self.runs:
            described = "; ".join(f"{key}: {value}" for key, value in run.environment.items())
            metadata[f"Pass {run.label}"] = described or "(not recorded)"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str]) -> None:
        prefix.extend(f"<p>{html.escape(run.summary())}</p>" for run in self.runs)
        # pytest-html's own "N tests took …" timed this replay, not the passes: hidden.
        prefix.append("<style>.run-count { display: none; }</style>")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool:
        return True  # nothing to collect: the tests ran in the passes

    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        hook = session.config.hook
        tests = set()
        for run in self.runs:
            for data in run.reports:
                report = hook.pytest_report_from_serializable(config=session.config, data=data)
                if report is None:
                    continue
                report.nodeid = f"{run.label}/{report.nodeid}"
                if isinstance(report, pytest.CollectReport):
                    hook.pytest_collectreport(report=report)
                    run.counts["error"] += 1
                    continue
                tests.add(report.nodeid)
                hook.pytest_runtest_logreport(report=report)
                # pytest's own default (in its terminal plugin, off here) is the outcome.
                status = hook.pytest_report_teststatus(report=report, config=session.config)
                category = status[0] if status else report.outcome
                if category:
                    run.counts[category] += 1
        session.testscollected = len(tests)
        return True


def suite_time(xml: Path, seconds: float) -> None:
    """junitxml timed this replay (a fraction of a second); the suite took the passes' time."""
    tree = ET.parse(xml)  # noqa: S314  (written by this process)
    for suite in tree.iter("testsuite"):
        suite.set("time", f"{seconds:.3f}")
    tree.write(xml, encoding="utf-8", xml_declaration=True)


def parse_run(text: str) -> tuple[str, Path]:
    label, separator, path = text.partition("=")
    if not separator or not label or "/" in label:
        raise argparse.ArgumentTypeError(f"expected LABEL=PATH (a label without '/'), not {text!r}")
    return label, Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.report", description=__doc__.split("\n")[0])
    parser.add_argument("--html", required=True, type=Path, help="where the HTML report goes")
    parser.add_argument("runs", nargs="+", type=parse_run, metavar="LABEL=LOG")
    options = parser.parse_args(argv)
    runs = [Run.read(label, path) for label, path in options.runs]
    arguments = [
        # No test files, no ini file, no conftest, no Django: only the report plugins.
        "-c",
        os.devnull,
        "--rootdir",
        str(ROOT),
        "--noconftest",
        "-p",
        "no:django",
        "-p",
        "no:xdist",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "qa.fixtures.report",
        f"--qa-report={options.html}",
    ]
    status = pytest.main(arguments, plugins=[Replay(runs)])
    xml = options.html.with_suffix(".xml")
    if xml.is_file():
        suite_time(xml, sum(run.duration for run in runs))
    for run in runs:
        print(run.summary())
    print(f"The run's report: {options.html} (open it in a browser)")
    print(f"JUnit XML:        {xml}")
    return 1 if status not in (0, 5) or any(run.failed for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
