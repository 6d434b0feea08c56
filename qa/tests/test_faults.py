"""Faults: Redis or PostgreSQL stopped and started again under a running site, nothing lost.

A request that needs the missing service gets 503 with a short text (never a 500, never a hang:
every request here is bounded by the client's timeout), and the site recovers by itself once the
service is back, without an app server restart. Throwaway servers on loopback; gunicorn with two
sync workers.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from qa.site_under_test import LOAD_PASSWORD, Site, Visitor, member_email, serve_site
from qa.throwaway_servers import PostgresServer, RedisServer, postgres_server, redis_server

pytestmark = [pytest.mark.fault, pytest.mark.xdist_group("faults")]

UNAVAILABLE = "網站暫時無法使用"


@dataclass
class Deployment:
    site: Site
    postgres: PostgresServer
    redis: RedisServer


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    with postgres_server() as postgres, redis_server() as redis:
        backend = {
            "DATABASE_URL": postgres.create_database("faults"),
            "REDIS_URL": redis.url(),
        }
        with serve_site(members=1, workers=2, backend=backend, quick_hashing=True) as site:
            yield Deployment(site, postgres, redis)


def timed_get(visitor: Visitor, path: str) -> tuple[int, float, str]:
    started = time.perf_counter()
    answer = visitor.get(path)
    return answer.status, time.perf_counter() - started, answer.text


def test_redis_down_gives_503_then_the_site_recovers_by_itself(deployment: Deployment) -> None:
    visitor = Visitor(deployment.site)
    assert visitor.get("/member/captcha/").status == 200

    deployment.redis.stop()
    try:
        status, seconds, text = timed_get(visitor, "/member/captcha/")
        print(f"\nRedis down: captcha image answered {status} in {seconds:.2f} s")
        assert status == 503
        assert UNAVAILABLE in text
    finally:
        deployment.redis.start()

    assert visitor.get("/member/captcha/").status == 200


def test_postgres_restarted_under_load_gives_503_during_and_200_after(
    deployment: Deployment,
) -> None:
    members = [Visitor(deployment.site) for _ in range(4)]
    for member in members:
        assert member.sign_in(member_email(0), LOAD_PASSWORD).status == 302

    deployment.postgres.stop()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            during = Counter(
                status for status, _, _ in pool.map(lambda m: timed_get(m, "/member/"), members)
            )
    finally:
        deployment.postgres.start()
    after = Counter(member.get("/member/").status for member in members)

    print(f"\nPostgreSQL down: {dict(during)}; back up: {dict(after)}")
    assert during == Counter({503: 4})
    assert after == Counter({200: 4})


def test_a_sign_up_cut_off_by_the_database_leaves_no_member(deployment: Deployment) -> None:
    visitor = Visitor(deployment.site)
    password = "cut-off-sign-up-2026!"
    form = visitor.solved_form("/member/register/") | {
        "username": "Cut Off",
        "useremail": "cut-off@example.com",
        "userpassword": password,
        "userpassword2": password,
    }

    deployment.postgres.stop()
    try:
        assert visitor.post("/member/register/", form).status == 503
    finally:
        deployment.postgres.start()

    # No member was made: the address is free, and signs up now with a fresh captcha.
    again = Visitor(deployment.site)
    form |= again.solved_form("/member/register/")
    assert again.post("/member/register/", form).status == 302
