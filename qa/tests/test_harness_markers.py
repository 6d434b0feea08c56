"""The ``expect_browser_errors`` marker on a test that takes no browser: its pattern cannot
match, so the test fails rather than pass with a stale expectation (a pytest run of its own)."""

from __future__ import annotations

import os
import sys

from django.conf import settings

from qa.throwaway_servers import run_command

SUITE = """
import pytest

@pytest.mark.expect_browser_errors(r"a 404 that never comes")
def test_without_a_browser():
    pass
"""


def test_an_expected_browser_error_fails_a_test_that_took_no_browser(tmp_path) -> None:
    (tmp_path / "test_inner.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    environment = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    environment.pop("PYTEST_ADDOPTS", None)

    result = run_command(
        [
            *(sys.executable, "-m", "pytest", "-p", "qa.fixtures.browser_errors"),
            *("-p", "no:cacheprovider", "-p", "no:django", "-p", "no:xdist", "test_inner.py"),
        ],
        cwd=tmp_path,
        env=environment,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "expected a browser error matching 'a 404 that never comes', and none came" in output
