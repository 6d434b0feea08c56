"""Fixtures of the QA test modules here (the shared ones are in the root conftest.py)."""

from __future__ import annotations

import pytest

from qa.tests import harness_run

HARNESS_TESTS = "test_harness_report.py"


@pytest.fixture(scope="session", autouse=True)
def _harness_inner_run_started(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """When the session has the harness's own tests, start their inner run (a whole browser suite
    in a pytest of its own) in the background with the first test here, not when the first of
    them asks: under xdist it would keep a worker waiting."""
    if any(item.path.name == HARNESS_TESTS for item in request.session.items):
        harness_run.start(harness_run.shared_folder(tmp_path_factory.getbasetemp()))
