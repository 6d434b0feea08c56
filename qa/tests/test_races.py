"""Races, tried as an attacker would: real parallel requests at real servers, black-box over HTTP.

The product's central promise is "one solved captcha buys one password guess, and an account gets
at most ``LOGIN_FAILURES_PER_ACCOUNT`` guesses per window" — also when the requests arrive at the
same moment. Each server kind the README supports is started on a fresh database: the threaded
development server (``make run``), gunicorn with sync workers (``make serve``) and gunicorn with
threads; on SQLite, and on throwaway PostgreSQL + Redis servers. Every burst waits on a barrier so
the requests leave together; counts and times are bounded, loopback only.

What a response says tells what the server did: the captcha message (stopped at the captcha), the
bad-credentials message (a password was checked), 429 (refused before any check), 302 (signed in
or signed up).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG
from qa.servers import LOAD_PASSWORD, Answer, Site, Visitor, csrf_token, member_email, serve_site
from qa.services import postgres_server, redis_server

pytestmark = pytest.mark.race

ACCOUNT_LIMIT = 10
BURST_TIMEOUT = 60.0  # seconds for a whole burst

SERVERS = {
    "runserver": {"kind": "runserver"},
    "gunicorn-3-sync": {"kind": "gunicorn", "workers": 3},
    "gunicorn-2x8-threads": {"kind": "gunicorn", "workers": 2, "threads": 8},
}


@pytest.fixture(scope="module", params=["sqlite", "postgres-redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """The database and cache the servers share: SQLite alone, or PostgreSQL + Redis."""
    if request.param == "sqlite":
        yield {}
        return
    with postgres_server() as postgres, redis_server() as redis:
        yield {"postgres": postgres, "redis": redis}


@pytest.fixture(scope="module", params=list(SERVERS))
def site(request: pytest.FixtureRequest, backend: dict[str, Any]) -> Iterator[Site]:
    environment: dict[str, str] = {}
    if backend:
        name = f"races_{request.param.replace('-', '_')}"
        environment = {
            "DATABASE_URL": backend["postgres"].create_database(name),
            # A Redis database of its own per site: counters must not carry over between sites.
            "REDIS_URL": backend["redis"].url(list(SERVERS).index(request.param)),
        }
    with serve_site(members=1, backend=environment, **SERVERS[request.param]) as running:
        yield running


def outcome(answer: Answer) -> str:
    if answer.status == 302:
        return "302"
    if answer.status == 429:
        return "429"
    if CAPTCHA_WRONG in answer.text:
        return "captcha wrong"
    if BAD_CREDENTIALS in answer.text:
        return "password checked"
    return f"{answer.status} other"


def solved_form(visitor: Visitor, page: str) -> dict[str, str]:
    """The CSRF token of ``page`` and the answer of a fresh captcha for this visitor's session."""
    token = csrf_token(visitor.get(page))
    assert visitor.get("/member/captcha/").status == 200
    hook = visitor.get("/member/debug/captcha/")
    answer = hook.text.split('"captcha": "')[1].split('"')[0]
    return {"csrfmiddlewaretoken": token, "captcha": answer}


def burst(posts: list[Callable[[], Answer]]) -> Counter[str]:
    """Send every POST at the same moment (a barrier releases them together); count outcomes."""
    start = threading.Barrier(len(posts))

    def fire(post: Callable[[], Answer]) -> str:
        start.wait(timeout=BURST_TIMEOUT)
        return outcome(post())

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        futures = [pool.submit(fire, post) for post in posts]
        return Counter(future.result(timeout=BURST_TIMEOUT) for future in futures)


def signs_in(site: Site, email: str, password: str) -> bool:
    """Whether ``email`` can sign in with ``password``: does the account exist?"""
    visitor = Visitor(site)
    form = solved_form(visitor, "/member/login/")
    answer = visitor.post("/member/login/", form | {"useremail": email, "userpassword": password})
    return answer.status == 302


def copy_of(visitor: Visitor) -> Visitor:
    """Another connection of the same browser: the same cookies, so the same session."""
    twin = Visitor(visitor.site)
    twin.cookies = dict(visitor.cookies)
    return twin


def test_twenty_sign_ins_at_once_on_one_solved_captcha_check_one_password(site: Site) -> None:
    visitor = Visitor(site)
    form = solved_form(visitor, "/member/login/")
    # An account of its own (unknown emails are counted like members'): the last test's budget.
    form |= {"useremail": f"someone-{site.port}@example.com", "userpassword": "a-wrong-password"}

    outcomes = burst([lambda: copy_of(visitor).post("/member/login/", form)] * 20)

    print(f"\n{site.port}: 20 sign-ins, one captcha: {dict(outcomes)}")
    assert outcomes == Counter({"password checked": 1, "captcha wrong": 19})


def test_ten_sign_ups_at_once_on_one_solved_captcha_make_one_account(site: Site) -> None:
    visitor = Visitor(site)
    form = solved_form(visitor, "/member/register/")
    password = "burst-sign-up-2026!"

    def sign_up(number: int) -> Callable[[], Answer]:
        data = form | {
            "username": f"Burst {number}",
            "useremail": f"burst-{site.port}-{number}@example.com",
            "userpassword": password,
            "userpassword2": password,
        }
        return lambda: copy_of(visitor).post("/member/register/", data)

    outcomes = burst([sign_up(number) for number in range(10)])
    accounts = sum(
        signs_in(site, f"burst-{site.port}-{number}@example.com", password) for number in range(10)
    )

    print(f"\n{site.port}: 10 sign-ups, one captcha: {dict(outcomes)}; accounts made: {accounts}")
    assert accounts == 1
    assert outcomes["302"] == 1
    # The others stopped at the captcha. A request still running when the winner's sign-in
    # replaced the shared session gets Django's 400 "session ended" (SessionInterrupted).
    assert outcomes["captcha wrong"] + outcomes["400 other"] == 9


def test_twenty_sessions_at_once_check_at_most_the_account_limit_of_passwords(site: Site) -> None:
    visitors = [Visitor(site) for _ in range(20)]
    forms = [solved_form(visitor, "/member/login/") for visitor in visitors]
    for form in forms:
        form |= {"useremail": member_email(0), "userpassword": "a-wrong-password"}

    outcomes = burst(
        [
            (lambda visitor=visitor, form=form: visitor.post("/member/login/", form))
            for visitor, form in zip(visitors, forms, strict=True)
        ]
    )

    print(f"\n{site.port}: 20 sessions at one account: {dict(outcomes)}")
    assert outcomes == Counter({"password checked": ACCOUNT_LIMIT, "429": 20 - ACCOUNT_LIMIT})
    # And the owner's right password is refused too, until the window ends or the owner uses a
    # remembered device (test_device_token) or resets the password.
    owner = Visitor(site)
    form = solved_form(owner, "/member/login/")
    refused = owner.post(
        "/member/login/", form | {"useremail": member_email(0), "userpassword": LOAD_PASSWORD}
    )
    assert refused.status == 429
