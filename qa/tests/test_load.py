"""Load: gunicorn with several workers on SQLite, 16 visitors at once through captcha and sign-in.

The site runs production style (``DJANGO_DEBUG=0``) on a fresh temporary database with the
captcha rate limit off, as the contract allows a load test; see ``qa.load`` and
``qa.site_under_test``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa.load import Figures, run_visitors
from qa.site_under_test import Site, serve_site

VISITORS = 16
ROUNDS = 3
WORKERS = 3

pytestmark = [pytest.mark.load, pytest.mark.xdist_group("load")]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The site under gunicorn; stopped in teardown whatever the test did."""
    with serve_site(members=VISITORS, workers=WORKERS) as running:
        yield running


@pytest.fixture(scope="module")
def figures(site: Site) -> Figures:
    result = run_visitors(site, visitors=VISITORS, rounds=ROUNDS)
    print(f"\nLoad: gunicorn, {WORKERS} workers, SQLite\n{result.table()}")
    return result


def test_sixteen_concurrent_visitors_sign_in_without_a_single_error(figures: Figures) -> None:
    assert figures.errors == []


def test_every_sign_in_of_every_visitor_lands(figures: Figures) -> None:
    assert figures.sign_ins == VISITORS * ROUNDS == figures.expected_sign_ins
    assert figures.requests == 5 * VISITORS * ROUNDS


def test_server_runs_more_than_one_worker(site: Site) -> None:
    """The run is only a test of shared state if several processes answered."""
    booted = site.log.read_text().count("Booting worker")

    assert booted >= 2
