"""Two app servers, one PostgreSQL, one Redis: the deployment of "Running on several machines".

Two gunicorn instances on distinct ports share a throwaway PostgreSQL and Redis. A visitor is a
browser whose requests the TLS proxy may send to either server: challenges, sessions, lockouts
and limits must be the same whichever answers. The servers trust one proxy
(``MEMBER_TRUSTED_PROXY_COUNT=1``), so each test is a client address of its own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.contract import BAD_CREDENTIALS, SIGNED_IN
from qa.site_under_test import LOAD_PASSWORD, Site, Visitor, csrf_token, member_email, serve_site
from qa.throwaway_servers import postgres_and_redis

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

IMAGE_LIMIT = 30


@pytest.fixture(scope="module")
def backend() -> Iterator[dict[str, str]]:
    with postgres_and_redis() as environment:
        yield {
            **environment,
            "MEMBER_TRUSTED_PROXY_COUNT": "1",
            "MEMBER_CAPTCHA_RATE_LIMIT": str(IMAGE_LIMIT),
        }


@pytest.fixture(scope="module")
def servers(backend: dict[str, str]) -> Iterator[tuple[Site, Site]]:
    with (
        serve_site(members=1, workers=2, backend=backend, quick_hashing=True) as first,
        serve_site(workers=2, backend=backend, prepare=False, quick_hashing=True) as second,
    ):
        yield first, second


def on(site: Site, visitor: Visitor) -> Visitor:
    """The same browser (cookies, address), its next request sent to ``site``."""
    twin = Visitor(site, address=visitor.address)
    twin.cookies = visitor.cookies  # shared: what one server sets, the browser sends to both
    return twin


def sign_in(visitor: Visitor, *, remember: bool = False) -> int:
    return visitor.sign_in(member_email(0), LOAD_PASSWORD, remember=remember).status


def test_a_captcha_drawn_by_one_server_is_answered_on_the_other(servers: tuple[Site, Site]) -> None:
    first, second = servers
    visitor = Visitor(first, address="192.0.2.1")
    form = visitor.solved_form("/member/login/") | {
        "useremail": member_email(0),
        "userpassword": LOAD_PASSWORD,
    }

    assert on(second, visitor).post("/member/login/", form).status == 302
    assert SIGNED_IN in on(first, visitor).get("/member/").text


def test_a_session_signed_in_on_one_is_signed_in_on_both_and_ends_on_both(
    servers: tuple[Site, Site],
) -> None:
    first, second = servers
    visitor = Visitor(first, address="192.0.2.2")
    assert sign_in(visitor) == 302

    home = on(second, visitor).get("/member/")
    assert home.status == 200
    signed_out = on(second, visitor).post(
        "/member/logout/", {"csrfmiddlewaretoken": csrf_token(home)}
    )
    assert signed_out.status == 302
    assert on(first, visitor).get("/member/").status == 302  # to the login page


def test_ten_failures_spread_over_both_servers_lock_the_account_on_both(
    servers: tuple[Site, Site],
) -> None:
    account = "spread@example.com"
    for attempt in range(10):
        visitor = Visitor(servers[attempt % 2], address=f"198.51.100.{attempt + 1}")
        assert BAD_CREDENTIALS in visitor.sign_in(account, "wrong-password").text

    for site in servers:
        visitor = Visitor(site, address="198.51.100.99")
        assert visitor.sign_in(account, "wrong-password").status == 429


def test_the_image_limit_is_exact_across_both_servers_under_concurrency(
    servers: tuple[Site, Site],
) -> None:
    start = threading.Barrier(80)

    def fetch(number: int) -> int:
        visitor = Visitor(servers[number % 2], address="203.0.113.80")
        start.wait(timeout=60)
        return visitor.get("/member/captcha/").status

    with ThreadPoolExecutor(max_workers=80) as pool:
        statuses = Counter(pool.map(fetch, range(80), timeout=120))

    print(f"\n80 simultaneous images, limit {IMAGE_LIMIT}: {dict(statuses)}")
    assert statuses == Counter({200: IMAGE_LIMIT, 429: 80 - IMAGE_LIMIT})


def test_a_remembered_session_survives_a_restart_of_both_servers(
    backend: dict[str, str], servers: tuple[Site, Site]
) -> None:
    visitor = Visitor(servers[0], address="192.0.2.3")
    assert sign_in(visitor, remember=True) == 302
    cookies = dict(visitor.cookies)

    # New server processes (the fixture's stay up for the other tests): same database and Redis.
    with (
        serve_site(workers=1, backend=backend, prepare=False, quick_hashing=True) as first,
        serve_site(workers=1, backend=backend, prepare=False, quick_hashing=True) as second,
    ):
        for site in (first, second):
            again = Visitor(site, address="192.0.2.3")
            again.cookies = dict(cookies)
            assert again.get("/member/").status == 200
