"""A failing browser test leaves its evidence: screenshot, page HTML, URL and console log."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from conftest import pytest_plugins
from qa.fixtures.artifacts import ARTIFACT_FILES, artifact_dir
from qa.throwaway_servers import run_command

INNER_TESTS = """
import pytest

pytestmark = pytest.mark.e2e


def test_broken_on_purpose(login_page, browser):
    browser.execute_script("console.error('artifact probe: the page said this')")
    assert login_page.heading == "a heading the page does not have"


def test_passing(login_page):
    assert login_page.captcha.natural_width > 0
"""


def run_inner_suite(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``INNER_TESTS`` in a pytest of its own, with the harness loaded as a plugin."""
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    e2e: browser tests\n")
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    result = run_command(
        [
            sys.executable,
            "-m",
            "pytest",
            *itertools.chain.from_iterable(("-p", plugin) for plugin in pytest_plugins),
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "--ds=memberproj.test_settings",
            f"--qa-artifacts={artifacts}",
            "test_inner.py",
        ],
        cwd=tmp_path,
        env=env,
    )
    return result, artifacts


@pytest.mark.e2e
def test_a_failing_browser_test_leaves_four_artifacts_and_says_where(tmp_path):
    result, artifacts = run_inner_suite(tmp_path)
    output = result.stdout + result.stderr

    assert result.returncode == 1, output
    assert "1 failed, 1 passed" in output, output
    failed = artifacts / "test_inner.py_test_broken_on_purpose"
    assert sorted(path.name for path in failed.iterdir()) == sorted(ARTIFACT_FILES)
    assert (failed / "screenshot.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert 'id="login_form"' in (failed / "page.html").read_text()
    assert (failed / "url.txt").read_text().strip().endswith("/member/login/")
    assert "artifact probe: the page said this" in (failed / "console.log").read_text()
    # The failure report names the folder, so a CI log leads straight to the evidence.
    assert "browser artifacts" in output
    assert str(failed) in output
    # A passing test leaves nothing behind.
    assert not (artifacts / "test_inner.py_test_passing").exists()


def test_artifact_folders_are_named_after_the_test_id(pytestconfig):
    folder = artifact_dir(pytestconfig, "qa/tests/test_x.py::test_y[wrong password]")

    assert folder.name == "qa_tests_test_x.py_test_y_wrong_password"
