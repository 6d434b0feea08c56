"""Races and lockouts, tried as an attacker would: real parallel requests at real servers, black-box
over HTTP.

The product's central promise is "an attacker with a perfect captcha solver gets at most
``LOGIN_FAILURES_PER_ACCOUNT`` password checks per account per window, and the owner is never the
one locked out" — also when the requests arrive at the same moment, and from the attacker's side:
someone who solves nothing, or who shares an address with the victim. Each server kind the README
supports is started on a fresh database: the threaded development server (``make run``), gunicorn
with sync workers (``make serve``) and gunicorn with threads; on SQLite, and on throwaway
PostgreSQL + Redis servers. The sites trust one proxy, so every visitor has an address of its own
(``X-Forwarded-For``); each test uses addresses and accounts no other test touches. Every burst
waits on a barrier so the requests leave together; counts and times are bounded, loopback only.

What a response says tells what the server did: the captcha message (stopped at the captcha), the
bad-credentials message (a password was checked), 429 (refused before any check), 302 (signed in
or signed up).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest

from member.tests.helpers import one_worker_each
from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG, EMAIL_TAKEN
from qa.site_under_test import (
    LOAD_PASSWORD,
    Answer,
    Site,
    Visitor,
    csrf_token,
    member_email,
    serve_site,
)
from qa.throwaway_servers import postgres_server, redis_server

pytestmark = pytest.mark.race

ACCOUNT_LIMIT = 10
# Lower than the default 100 so that locking an address costs a dozen password hashes, not a
# hundred; the mechanism is the same.
CLIENT_LIMIT = 12
IMAGE_LIMIT = 30  # the default: captcha images per client per minute
BURST_TIMEOUT = 60.0  # seconds for a whole burst
SITE_SETTINGS = {
    "MEMBER_TRUSTED_PROXY_COUNT": 1,
    "MEMBER_LOGIN_FAILURES_PER_CLIENT": CLIENT_LIMIT,
    "MEMBER_CAPTCHA_RATE_LIMIT": IMAGE_LIMIT,
}
# The seeded members, one per test that signs in: a lockout of one leaves the others alone.
LOCKED_BY_A_BURST, FLOODED, REMEMBERED, CHANGES_PASSWORD = (member_email(n) for n in range(4))
NEW_PASSWORD = "a-new-password-2026!"

SERVERS = {
    "runserver": {"kind": "runserver"},
    "gunicorn-3-sync": {"kind": "gunicorn", "workers": 3},
    "gunicorn-2x8-threads": {"kind": "gunicorn", "workers": 2, "threads": 8},
}
# Every server kind on SQLite and on PostgreSQL + Redis (sessions and counters in Redis), and the
# threaded one on PostgreSQL alone (sessions and counters in PostgreSQL).
SITES = {
    **{f"{kind}-sqlite": (kind, "sqlite") for kind in SERVERS},
    **{f"{kind}-postgres-redis": (kind, "postgres-redis") for kind in SERVERS},
    "gunicorn-2x8-threads-postgres": ("gunicorn-2x8-threads", "postgres"),
}
# The tests that cost a few dozen password hashes each run on one site of each server family and
# each store.
TWO_SITES = one_worker_each("races", ("runserver-sqlite", "gunicorn-3-sync-postgres-redis"))


@pytest.fixture(scope="module")
def shared_servers() -> Iterator[Callable[[str], Any]]:
    """PostgreSQL and Redis for the module's sites, each started when a site first needs it."""
    with ExitStack() as stack:
        started: dict[str, Any] = {}

        def server(name: str) -> Any:
            if name not in started:
                start = postgres_server if name == "postgres" else redis_server
                started[name] = stack.enter_context(start())
            return started[name]

        yield server


# Each site's tests on one xdist worker (--dist loadgroup): the site starts once.
@pytest.fixture(
    scope="module",
    params=one_worker_each("races", SITES),
)
def site(request: pytest.FixtureRequest, shared_servers: Callable[[str], Any]) -> Iterator[Site]:
    kind, store = SITES[request.param]
    environment: dict[str, str] = {}
    if store != "sqlite":
        name = f"races_{request.param.replace('-', '_')}"
        environment["DATABASE_URL"] = shared_servers("postgres").create_database(name)
    if store == "postgres-redis":
        # A Redis database of its own per site: counters must not carry over between sites.
        environment["REDIS_URL"] = shared_servers("redis").url(list(SITES).index(request.param))
    with serve_site(
        members=4,
        backend=environment,
        settings=SITE_SETTINGS,
        quick_hashing=True,
        **SERVERS[kind],
    ) as running:
        yield running


_addresses = itertools.count(1)


def new_address() -> str:
    """An IPv4 address no other visitor of this test session has."""
    number = next(_addresses)
    return f"198.18.{number // 250}.{number % 250 + 1}"


def visitor(site: Site, address: str | None = None) -> Visitor:
    """A new browser at ``address`` (a new address of its own by default)."""
    return Visitor(site, address=address or new_address())


def outcome(answer: Answer) -> str:
    if answer.status == 302:
        return "302"
    if answer.status == 429:
        return "429"
    if CAPTCHA_WRONG in answer.text:
        return "captcha wrong"
    if EMAIL_TAKEN in answer.text:
        return "email taken"
    if BAD_CREDENTIALS in answer.text:
        return "password checked"
    return f"{answer.status} other"


def burst(posts: list[Callable[[], Answer]], *, connections: int = 20) -> Counter[str]:
    """Send every request at once, over at most ``connections`` simultaneous connections (a
    barrier releases them together; more would overflow runserver's listen queue); count the
    outcomes."""
    lanes = [
        posts[lane :: min(connections, len(posts))] for lane in range(min(connections, len(posts)))
    ]
    start = threading.Barrier(len(lanes))

    def fire(lane: list[Callable[[], Answer]]) -> list[str]:
        start.wait(timeout=BURST_TIMEOUT)
        return [outcome(post()) for post in lane]

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        futures = [pool.submit(fire, lane) for lane in lanes]
        return Counter(
            result for future in futures for result in future.result(timeout=BURST_TIMEOUT)
        )


def signs_in(site: Site, email: str, password: str) -> bool:
    """Whether ``email`` signs in with ``password`` from a new browser: does the account exist?"""
    return visitor(site).sign_in(email, password).status == 302


def copy_of(browser: Visitor) -> Visitor:
    """Another connection of the same browser: the same cookies and address, so the same session."""
    twin = Visitor(browser.site, address=browser.address)
    twin.cookies = dict(browser.cookies)
    return twin


def sign_out(browser: Visitor) -> None:
    home = browser.get("/member/")
    assert browser.post("/member/logout/", {"csrfmiddlewaretoken": csrf_token(home)}).status == 302


def wrong_passwords(site: Site, emails: list[str], address: str | None = None) -> Counter[str]:
    """One browser per email, each with a solved captcha and a wrong password, all at once."""
    browsers = [visitor(site, address) for _ in emails]
    forms = [
        browser.solved_form("/member/login/") | {"useremail": email, "userpassword": "wrong!"}
        for browser, email in zip(browsers, emails, strict=True)
    ]
    return burst(
        [
            (lambda browser=browser, form=form: browser.post("/member/login/", form))
            for browser, form in zip(browsers, forms, strict=True)
        ]
    )


def test_twenty_sign_ins_at_once_on_one_solved_captcha_check_one_password(site: Site) -> None:
    browser = visitor(site)
    form = browser.solved_form("/member/login/")
    # An account of its own (unknown emails are counted like members'): the last test's budget.
    form |= {"useremail": f"someone-{site.port}@example.com", "userpassword": "a-wrong-password"}

    outcomes = burst([lambda: copy_of(browser).post("/member/login/", form)] * 20)

    print(f"\n{site.port}: 20 sign-ins, one captcha: {dict(outcomes)}")
    assert outcomes == Counter({"password checked": 1, "captcha wrong": 19})


def test_ten_sign_ups_at_once_on_one_solved_captcha_make_one_account(site: Site) -> None:
    browser = visitor(site)
    form = browser.solved_form("/member/register/")
    password = "burst-sign-up-2026!"

    def sign_up(number: int) -> Callable[[], Answer]:
        data = form | {
            "username": f"Burst {number}",
            "useremail": f"burst-{site.port}-{number}@example.com",
            "userpassword": password,
            "userpassword2": password,
        }
        return lambda: copy_of(browser).post("/member/register/", data)

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


def test_ten_sign_ups_at_once_with_one_email_make_one_member(site: Site) -> None:
    """Ten browsers, each with its own solved captcha, sign up with one email at the same moment:
    the database's unique constraint lets one member in; the others are told it is taken."""
    email = f"same-{site.port}@example.com"
    browsers = [visitor(site) for _ in range(10)]
    forms = [
        browser.solved_form("/member/register/")
        | {
            "username": f"Twin {number}",
            "useremail": email,
            "userpassword": NEW_PASSWORD,
            "userpassword2": NEW_PASSWORD,
        }
        for number, browser in enumerate(browsers)
    ]

    outcomes = burst(
        [
            (lambda browser=browser, form=form: browser.post("/member/register/", form))
            for browser, form in zip(browsers, forms, strict=True)
        ]
    )

    print(f"\n{site.port}: 10 sign-ups with one email: {dict(outcomes)}")
    assert outcomes == Counter({"302": 1, "email taken": 9})
    assert signs_in(site, email, NEW_PASSWORD)


def test_twenty_sessions_at_once_check_at_most_the_account_limit_of_passwords(site: Site) -> None:
    outcomes = wrong_passwords(site, [LOCKED_BY_A_BURST] * 20)

    print(f"\n{site.port}: 20 sessions at one account: {dict(outcomes)}")
    assert outcomes == Counter({"password checked": ACCOUNT_LIMIT, "429": 20 - ACCOUNT_LIMIT})
    # And the owner's right password is refused too, from a browser that never signed in, until
    # the window ends or the owner resets the password.
    assert visitor(site).sign_in(LOCKED_BY_A_BURST, LOAD_PASSWORD).status == 429


# Nobody locks anyone else out


def test_a_flood_without_captchas_locks_nobody_out_of_a_shared_address(site: Site) -> None:
    """110 sign-in POSTs that solved nothing, from the address an office shares: no password is
    checked, so no limit counts them, and the people at that address sign in and sign up."""
    shared = new_address()
    robot = visitor(site, shared)
    token = csrf_token(robot.get("/member/login/"))
    flood = {
        "csrfmiddlewaretoken": token,
        "useremail": FLOODED,
        "userpassword": "guess",
        "captcha": "",
    }

    outcomes = burst([lambda: copy_of(robot).post("/member/login/", flood)] * 110)

    print(f"\n{site.port}: 110 POSTs without a captcha: {dict(outcomes)}")
    assert outcomes == Counter({"captcha wrong": 110})
    assert visitor(site, shared).sign_in(FLOODED, LOAD_PASSWORD).status == 302
    newcomer = visitor(site, shared)
    form = newcomer.solved_form("/member/register/") | {
        "username": "Newcomer",
        "useremail": f"newcomer-{site.port}@example.com",
        "userpassword": NEW_PASSWORD,
        "userpassword2": NEW_PASSWORD,
    }
    assert newcomer.post("/member/register/", form).status == 302


@pytest.mark.parametrize("site", TWO_SITES, indirect=True)
def test_the_remembered_browser_gets_past_a_locked_address(site: Site) -> None:
    """Strangers' emails, solved captchas, wrong passwords: the shared address is locked out of
    sign-in, but not the browser that signed in to its account before."""
    shared = new_address()
    owner = visitor(site, shared)
    assert owner.sign_in(REMEMBERED, LOAD_PASSWORD).status == 302
    sign_out(owner)

    strangers = [f"stranger-{number}-{site.port}@example.com" for number in range(CLIENT_LIMIT + 4)]
    outcomes = wrong_passwords(site, strangers, shared)

    print(f"\n{site.port}: {len(strangers)} failures from one address: {dict(outcomes)}")
    assert outcomes == Counter({"password checked": CLIENT_LIMIT, "429": 4})
    assert visitor(site, shared).sign_in(REMEMBERED, LOAD_PASSWORD).status == 429
    assert owner.sign_in(REMEMBERED, LOAD_PASSWORD).status == 302


@pytest.mark.parametrize("site", TWO_SITES, indirect=True)
def test_a_password_change_revokes_the_device_tokens_minted_before_it(site: Site) -> None:
    changer, other = visitor(site), visitor(site)
    assert changer.sign_in(CHANGES_PASSWORD, LOAD_PASSWORD).status == 302
    assert other.sign_in(CHANGES_PASSWORD, LOAD_PASSWORD).status == 302
    page = changer.get("/member/password/change/")
    change = {
        "csrfmiddlewaretoken": csrf_token(page),
        "old_password": LOAD_PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    assert changer.post("/member/password/change/", change).status == 302
    sign_out(changer)

    outcomes = wrong_passwords(site, [CHANGES_PASSWORD] * (ACCOUNT_LIMIT + 2))

    assert outcomes == Counter({"password checked": ACCOUNT_LIMIT, "429": 2})
    # The other browser's token is from before the change: locked out like anyone.
    assert other.sign_in(CHANGES_PASSWORD, NEW_PASSWORD).status == 429
    # The browser that changed the password got a fresh token with it.
    assert changer.sign_in(CHANGES_PASSWORD, NEW_PASSWORD).status == 302


def test_an_ipv6_client_is_counted_by_its_slash_64(site: Site) -> None:
    """One machine owns 2^64 addresses: 40 of them ask for images at once, against a limit of 30
    a minute for one client."""
    addresses = [f"2001:db8:{site.port:x}:7::{number:x}" for number in range(1, 41)]

    outcomes = burst(
        [lambda a=address: visitor(site, a).get("/member/captcha/") for address in addresses]
    )

    print(f"\n{site.port}: 40 images from one /64: {dict(outcomes)}")
    assert outcomes == Counter({"200 other": IMAGE_LIMIT, "429": 40 - IMAGE_LIMIT})
