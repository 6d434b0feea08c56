"""Throttling: failed sign-ins per account and per client address, captcha images per client.

Driven through the test client as a robot would: the site's own pages and captcha endpoint, with
``REMOTE_ADDR`` and ``X-Forwarded-For`` as a client controls them. Time moves by shifting the
counters' window ends back (what "the window has passed" means to the database store), and by
the ``now=`` argument of the captcha rate limit, so no test sleeps.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.db.models import F
from django.http import HttpResponse
from django.test import Client, RequestFactory

from member import captcha, ratelimit, throttle
from member.models import Member, ThrottleCounter
from member.tests import helpers
from member.tests.helpers import (
    ATTACKER,
    CAPTCHA_URL,
    LOGIN_URL,
    REGISTER_URL,
    LogRecorder,
    client_failures,
    new_captcha,
    register_data,
    signed_in_member_id,
)
from member.tests.helpers import MEMBER_EMAIL as EMAIL
from member.tests.helpers import MEMBER_PASSWORD as PASSWORD
from qa.contract import BAD_CREDENTIALS, CAPTCHA_WRONG, EMAIL_TAKEN, LOCKED_OUT

UNKNOWN_EMAIL = "nobody@example.com"
WRONG_PASSWORD = "not-the-password"
# Never a right answer: the site draws from 0-9A-F.
WRONG_ANSWER = "ZZZZZ"


BYSTANDER = "203.0.113.20"

ACCOUNT_LIMIT = 10
CLIENT_LIMIT = 100

Outcome = tuple[int, tuple[str, ...]]

pytestmark = pytest.mark.django_db


# Helpers


def post_login(
    client: Client,
    *,
    email: str = EMAIL,
    password: str = PASSWORD,
    right_captcha: bool = True,
    **extra: Any,
) -> HttpResponse:
    """The sign-in form; a wrong captcha is sent without fetching an image (no challenge is a
    wrong answer like any other)."""
    answer = None if right_captcha else WRONG_ANSWER
    return helpers.post_login(client, email=email, password=password, answer=answer, **extra)


def post_register(client: Client, *, email: str, **extra: Any) -> HttpResponse:
    return client.post(REGISTER_URL, register_data(client, email=email), **extra)


def page_messages(response: HttpResponse) -> tuple[str, ...]:
    """The form's error texts: the non-field alert's paragraphs and every field's error items."""
    page = response.content.decode()
    texts: list[str] = []
    for block in re.findall(r'<div[^>]*id="form_errors"[^>]*>(.*?)</div>', page, re.S):
        texts += re.findall(r"<p>(.*?)</p>", block, re.S)
    for block in re.findall(r'<ul class="field-errors">(.*?)</ul>', page, re.S):
        texts += re.findall(r"<li>(.*?)</li>", block, re.S)
    return tuple(html.unescape(text.strip()) for text in texts)


def outcome(response: HttpResponse) -> Outcome:
    return response.status_code, page_messages(response)


def assert_locked_out(response: HttpResponse, client: Client) -> None:
    assert response.status_code == 429, outcome(response)
    assert any(LOCKED_OUT in text for text in page_messages(response)), outcome(response)
    assert signed_in_member_id(client) is None


def fail_passwords(client: Client, count: int, *, email: str = EMAIL, **extra: Any) -> None:
    for _ in range(count):
        response = post_login(client, email=email, password=WRONG_PASSWORD, **extra)
        assert response.status_code in (200, 429), response.status_code


def fail_captchas(client: Client, count: int, *, email: str = EMAIL, **extra: Any) -> None:
    for _ in range(count):
        response = post_login(client, email=email, right_captcha=False, **extra)
        assert response.status_code in (200, 429), response.status_code


def move_attempts_back(seconds: float) -> None:
    """Let ``seconds`` pass for every counter: each window ends that much earlier."""
    ThrottleCounter.objects.update(expires_at=F("expires_at") - seconds)


def counted_clients() -> set[str]:
    """The client addresses that have a sign-in counter."""
    prefix = "signin:client:"
    counters = ThrottleCounter.objects.filter(key__startswith=prefix, count__gt=0)
    keys = counters.values_list("key", flat=True)
    return {key.removeprefix(prefix) for key in keys}


# Per account


def test_eleventh_attempt_with_right_password_is_refused_after_ten_failures(
    member: Member, attacker: Client
) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT)

    response = post_login(attacker, password=PASSWORD)

    assert_locked_out(response, attacker)


def assert_signs_in(client: Client) -> None:
    response = post_login(client, password=PASSWORD)
    assert response.status_code == 302, outcome(response)
    assert signed_in_member_id(client) is not None


def test_nine_failures_do_not_lock_the_account(member: Member, attacker: Client) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT - 1)

    assert_signs_in(attacker)


def test_tenth_failure_is_still_bad_credentials_and_the_next_attempt_is_refused(
    member: Member, attacker: Client
) -> None:
    """The contract's message for the attempt that reaches the limit; refusals from then on."""
    fail_passwords(attacker, ACCOUNT_LIMIT - 1)

    response = post_login(attacker, password=WRONG_PASSWORD)

    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.content.decode()
    assert_locked_out(post_login(attacker, password=PASSWORD), attacker)


def test_account_lockout_follows_the_account_to_another_address(
    member: Member, attacker: Client
) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT)
    elsewhere = Client(REMOTE_ADDR=BYSTANDER)

    response = post_login(elsewhere, password=PASSWORD)

    assert_locked_out(response, elsewhere)


def test_account_lockout_leaves_other_accounts_of_the_same_address_alone(
    member: Member, attacker: Client
) -> None:
    Member.objects.create_user("grace@example.com", "cobol-compiler-1959", username="Grace")
    fail_passwords(attacker, ACCOUNT_LIMIT)

    response = post_login(attacker, email="grace@example.com", password="cobol-compiler-1959")

    assert response.status_code == 302
    assert signed_in_member_id(attacker) is not None


def test_rotating_user_agents_do_not_reset_the_account_count(
    member: Member, attacker: Client
) -> None:
    """Axes keeps a record per user agent; the account's count adds them all up."""
    for number in range(ACCOUNT_LIMIT):
        post_login(attacker, password=WRONG_PASSWORD, HTTP_USER_AGENT=f"robot/{number}")

    assert_locked_out(post_login(attacker, HTTP_USER_AGENT="robot/new"), attacker)


def test_account_limit_is_a_setting(member: Member, attacker: Client, settings: Any) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 3
    fail_passwords(attacker, 3)

    assert_locked_out(post_login(attacker, password=PASSWORD), attacker)


def test_unknown_email_is_throttled_exactly_like_a_member(
    member: Member, database_counters: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same statuses, same messages, same pages (apart from the typed email and the token), and
    the same Retry-After: both runs see one fixed clock."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))

    def run(email: str) -> list[tuple[Outcome, str, str | None]]:
        client = Client(REMOTE_ADDR=ATTACKER if email == EMAIL else BYSTANDER)
        responses = [
            post_login(client, email=email, password=WRONG_PASSWORD) for _ in range(ACCOUNT_LIMIT)
        ]
        responses.append(post_login(client, email=email, password=PASSWORD))
        return [
            (outcome(response), normalised_page(response, email), response.get("Retry-After"))
            for response in responses
        ]

    known = run(EMAIL)
    unknown = run(UNKNOWN_EMAIL)

    assert known == unknown
    assert known[-1][0][0] == 429
    assert known[-1][2] == str(15 * 60)


def normalised_page(response: HttpResponse, email: str) -> str:
    page = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', page)


@pytest.mark.parametrize(
    "variants",
    [
        ["ADA@EXAMPLE.COM", "Ada@Example.com", "ada@EXAMPLE.com", " ada@example.com "],
        ["ada@example.com", "ADA@example.com"],
    ],
    ids=["letter-case-and-spaces", "two-spellings"],
)
def test_email_spellings_count_toward_one_account(
    member: Member, attacker: Client, variants: list[str]
) -> None:
    for attempt in range(ACCOUNT_LIMIT):
        post_login(attacker, email=variants[attempt % len(variants)], password=WRONG_PASSWORD)

    assert_locked_out(post_login(attacker, email=EMAIL, password=PASSWORD), attacker)


def test_unknown_email_spellings_count_toward_one_account(
    db: None, fast_password_hasher: None, attacker: Client
) -> None:
    for attempt in range(ACCOUNT_LIMIT):
        email = UNKNOWN_EMAIL.upper() if attempt % 2 else UNKNOWN_EMAIL
        assert post_login(attacker, email=email, password=WRONG_PASSWORD).status_code == 200

    assert post_login(attacker, email="NoBody@Example.com").status_code == 429


# Only password checks lock: a wrong or missing captcha counts toward no limit


def test_wrong_captchas_do_not_count_toward_the_account(member: Member, attacker: Client) -> None:
    fail_captchas(attacker, ACCOUNT_LIMIT + 5)

    assert_signs_in(attacker)


def test_wrong_captcha_is_answered_with_the_captcha_message(
    member: Member, attacker: Client
) -> None:
    response = post_login(attacker, right_captcha=False)

    assert outcome(response) == (200, (CAPTCHA_WRONG,))
    assert signed_in_member_id(attacker) is None


def test_more_wrong_captchas_than_the_client_limit_lock_nobody_out_of_the_address(
    member: Member, attacker: Client
) -> None:
    """A robot that solves nothing at an address an office shares: its people still sign in and
    sign up."""
    fail_captchas(attacker, CLIENT_LIMIT + 10)

    neighbour = Client(REMOTE_ADDR=ATTACKER)
    assert_signs_in(neighbour)
    members_before = Member.objects.count()
    assert post_register(Client(REMOTE_ADDR=ATTACKER), email="new@example.com").status_code == 302
    assert Member.objects.count() == members_before + 1
    assert client_failures(ATTACKER) == 0


def test_taken_emails_at_sign_up_count_toward_no_limit(
    member: Member, attacker: Client, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 3
    for _ in range(5):
        response = post_register(attacker, email=EMAIL)
        assert response.status_code == 200
        assert EMAIL_TAKEN in response.content.decode()

    assert_signs_in(attacker)


def test_password_failures_that_reach_the_client_limit_lock_the_address_out_of_sign_in(
    db: None, fast_password_hasher: None, attacker: Client, settings: Any
) -> None:
    """Like the failure that reaches the account limit: its own message, then 429."""
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 5
    for number in range(4):
        post_login(attacker, email=f"guess{number}@example.com", password=WRONG_PASSWORD)

    reaching = post_login(attacker, email="guess4@example.com", password=WRONG_PASSWORD)

    assert outcome(reaching) == (200, (BAD_CREDENTIALS,))
    assert_locked_out(post_login(attacker, email="fresh@example.com"), attacker)


@pytest.fixture
def locked_out_address(member: Member, attacker: Client, settings: Any) -> Client:
    """The attacker's address, locked out of sign-in by password failures on a stranger's email."""
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 2
    fail_passwords(attacker, 2, email=UNKNOWN_EMAIL)
    assert_locked_out(post_login(attacker, password=PASSWORD), attacker)
    return attacker


def test_a_locked_out_address_can_still_sign_up(locked_out_address: Client) -> None:
    """Sign-up checks no password: the sign-in lockouts do not apply to it."""
    assert post_register(locked_out_address, email="new@example.com").status_code == 302


def test_client_lockout_leaves_other_addresses_alone(locked_out_address: Client) -> None:
    assert_signs_in(Client(REMOTE_ADDR=BYSTANDER))


def test_failures_from_different_addresses_are_counted_separately(
    member: Member, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 6
    first, second = Client(REMOTE_ADDR=ATTACKER), Client(REMOTE_ADDR=BYSTANDER)
    fail_passwords(first, 5, email=UNKNOWN_EMAIL)
    fail_passwords(second, 5, email="other@example.com")

    assert post_login(first, password=PASSWORD).status_code == 302
    assert post_login(second, password=PASSWORD).status_code == 302


def test_an_ipv6_client_is_counted_by_its_slash_64(
    db: None, fast_password_hasher: None, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 3
    for host in range(1, 4):
        client = Client(REMOTE_ADDR=f"2001:db8:1:2::{host}")
        post_login(client, email=f"guess{host}@example.com", password=WRONG_PASSWORD)

    same_machine = Client(REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert_locked_out(post_login(same_machine, email="fresh@example.com"), same_machine)
    next_network = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert post_login(next_network, email="fresh@example.com").status_code == 200


# The client address: REMOTE_ADDR, X-Forwarded-For only behind trusted proxies


def spoofed_headers(number: int) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": f"10.{number}.{number}.{number}"}


def test_spoofed_forwarded_for_neither_resets_nor_spreads_the_client_count(
    database_counters: None, member: Member, settings: Any
) -> None:
    settings.MEMBER_TRUSTED_PROXY_COUNT = 0
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 5
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for number in range(5):
        fail_passwords(attacker, 1, email=UNKNOWN_EMAIL, **spoofed_headers(number))

    # Not reset: a new claimed address does not help the attacker.
    assert_locked_out(post_login(attacker, **spoofed_headers(99)), attacker)
    # Not spread: naming the attacker's address from elsewhere does not lock anybody out.
    bystander = Client(REMOTE_ADDR=BYSTANDER, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert post_login(bystander).status_code == 302
    assert counted_clients() == {ATTACKER}


def test_behind_one_trusted_proxy_the_rightmost_hop_is_the_client(
    database_counters: None, member: Member, settings: Any
) -> None:
    settings.MEMBER_TRUSTED_PROXY_COUNT = 1
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 5
    proxy = "10.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy)
    for number in range(5):
        forwarded = f"192.0.2.{number}, {ATTACKER}"
        fail_passwords(attacker, 1, email=UNKNOWN_EMAIL, HTTP_X_FORWARDED_FOR=forwarded)

    assert counted_clients() == {ATTACKER}
    locked = post_login(attacker, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert_locked_out(locked, attacker)
    # Another client behind the same proxy, even one claiming the attacker's address on the left.
    bystander = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {BYSTANDER}")
    assert post_login(bystander).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, None, "192.0.2.1"),
        (0, "203.0.113.9", "192.0.2.1"),
        (1, None, "192.0.2.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, " 6.6.6.6 ,203.0.113.9 ", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "192.0.2.1"),
        (1, "not-an-address", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxy_hops(
    settings: Any, proxies: int, forwarded_for: str | None, expected: str
) -> None:
    settings.MEMBER_TRUSTED_PROXY_COUNT = proxies
    extra = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **extra)

    assert throttle.client_address(request) == expected


PROXIES = ["10.0.0.0/8", "192.0.2.1", "2001:db8:ff::/48"]


@pytest.mark.parametrize(
    ("remote", "forwarded_for", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),  # not from a proxy: the header is ignored
        ("203.0.113.5", "6.6.6.6", "203.0.113.5"),
        ("10.1.2.3", "203.0.113.9", "203.0.113.9"),  # one trusted hop
        ("10.1.2.3", "6.6.6.6, 203.0.113.9, 10.9.9.9", "203.0.113.9"),  # two trusted hops
        ("192.0.2.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a single trusted address
        ("10.1.2.3", "203.0.113.9, 192.0.2.1", "203.0.113.9"),
        ("2001:db8:ff:1::1", "2001:db8:1::5", "2001:db8:1::5"),
        ("10.1.2.3", "not-an-address", "10.1.2.3"),  # the proxy's report is garbage: the proxy
        ("10.1.2.3", "10.4.4.4, 10.5.5.5", "10.4.4.4"),  # every hop trusted: the leftmost
        ("10.1.2.3", "::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped IPv6 is the IPv4
    ],
)
def test_client_address_walks_forwarded_for_over_trusted_proxies(
    settings: Any, remote: str, forwarded_for: str | None, expected: str
) -> None:
    settings.MEMBER_TRUSTED_PROXIES = PROXIES
    extra = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)

    assert throttle.client_address(request) == expected


def test_trusted_proxies_by_address_behind_a_proxy_count_each_client(
    member: Member, settings: Any
) -> None:
    settings.MEMBER_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 3
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ATTACKER}")
    fail_passwords(attacker, 3, email=UNKNOWN_EMAIL)

    assert_locked_out(post_login(attacker), attacker)
    bystander = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=BYSTANDER)
    assert_signs_in(bystander)


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_per_client_limits_count_an_ipv6_client_by_its_slash_64(
    address: str, counted_as: str
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=address)

    assert throttle.client_network(request) == counted_as


def test_forwarded_for_without_a_trusted_proxy_logs_one_warning_naming_the_settings(
    member: Member, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.MEMBER_TRUSTED_PROXY_COUNT = 0
    throttle._warn_untrusted_forwarding.cache_clear()
    for number in range(3):
        post_login(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}"))

    warnings = [
        r for r in caplog.records if r.name == "member.throttle" and r.levelname == "WARNING"
    ]
    assert len(warnings) == 1
    assert "MEMBER_TRUSTED_PROXY_COUNT" in warnings[0].getMessage()
    assert "MEMBER_TRUSTED_PROXIES" in warnings[0].getMessage()


# The window


def test_account_lockout_ends_when_the_window_has_passed(
    database_counters: None, member: Member, attacker: Client
) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT)
    window = 15 * 60

    move_attempts_back(window - 60)
    assert_locked_out(post_login(attacker, password=PASSWORD), attacker)

    move_attempts_back(61)
    assert_signs_in(attacker)


def test_client_lockout_ends_when_a_shorter_window_setting_has_passed(
    database_counters: None, member: Member, attacker: Client, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 5
    settings.MEMBER_LOGIN_FAILURE_WINDOW = 120
    fail_passwords(attacker, 5, email=UNKNOWN_EMAIL)
    assert_locked_out(post_login(attacker, password=PASSWORD), attacker)

    move_attempts_back(121)

    assert post_login(attacker, password=PASSWORD).status_code == 302


def test_refused_attempts_during_a_lockout_do_not_extend_it(
    database_counters: None, member: Member, attacker: Client
) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT)
    move_attempts_back(15 * 60 - 30)
    for _ in range(3):
        assert_locked_out(post_login(attacker, password=WRONG_PASSWORD), attacker)

    move_attempts_back(31)

    assert post_login(attacker, password=PASSWORD).status_code == 302


def test_every_lockout_answer_says_when_to_retry(member: Member, attacker: Client) -> None:
    fail_passwords(attacker, ACCOUNT_LIMIT - 1)

    reaching_the_limit = post_login(attacker, password=WRONG_PASSWORD)
    already_locked = post_login(attacker, password=PASSWORD)

    assert reaching_the_limit.status_code == 200  # checked like any other attempt
    assert already_locked.status_code == 429
    # The time actually left of the window that began with the first failure.
    assert 15 * 60 - 30 <= int(already_locked["Retry-After"]) <= 15 * 60


# Captcha image rate limit


@pytest.fixture
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_captcha_image_past_the_rate_limit_is_refused_with_retry_after(
    db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 3
    client = Client(REMOTE_ADDR=ATTACKER)
    statuses = [client.get(CAPTCHA_URL).status_code for _ in range(3)]

    refused = client.get(CAPTCHA_URL)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"].startswith("text/plain")


def test_refused_captcha_image_leaves_the_current_challenge_alone(
    db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 1
    client = Client(REMOTE_ADDR=ATTACKER)
    answer = new_captcha(client)

    assert client.get(CAPTCHA_URL).status_code == 429
    assert captcha.current_answer(client.session) == answer


def test_captcha_rate_limit_of_one_address_leaves_another_alone(
    db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 3
    attacker, bystander = Client(REMOTE_ADDR=ATTACKER), Client(REMOTE_ADDR=BYSTANDER)
    for _ in range(4):
        attacker.get(CAPTCHA_URL)

    assert bystander.get(CAPTCHA_URL).status_code == 200


def test_captcha_rate_limit_counts_the_address_not_the_session(
    db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 3
    statuses = [Client(REMOTE_ADDR=ATTACKER).get(CAPTCHA_URL).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_captcha_rate_limit_starts_again_in_the_next_minute(
    database_counters: None, db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 3
    request = RequestFactory().get(CAPTCHA_URL, REMOTE_ADDR=ATTACKER)
    minute = 1_700_000_040.0  # a multiple of 60: the start of a window

    within = [throttle.consume_captcha_request(request, now=minute + 10 * i) for i in range(4)]
    next_minute = throttle.consume_captcha_request(request, now=minute + 60)

    assert within[:3] == [None, None, None]
    assert within[3] is not None
    assert within[3].retry_after == 30  # the window that began at ``minute`` ends at minute + 60
    assert next_minute is None


def test_captcha_rate_limit_zero_means_unlimited(
    db: None, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 0
    request = RequestFactory().get(CAPTCHA_URL, REMOTE_ADDR=ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)

    hits = [throttle.consume_captcha_request(request, now=1_700_000_040.0) for _ in range(500)]
    statuses = {client.get(CAPTCHA_URL).status_code for _ in range(35)}

    assert hits == [None] * 500
    assert statuses == {200}


def test_captcha_rate_limit_default_is_thirty_a_minute(
    db: None, empty_cache: None, settings: Any
) -> None:
    del settings.MEMBER_CAPTCHA_RATE_LIMIT  # the test settings turn it off; this is the default
    request = RequestFactory().get(CAPTCHA_URL, REMOTE_ADDR=ATTACKER)

    hits = [throttle.consume_captcha_request(request, now=1_700_000_040.0) for _ in range(31)]

    assert [hit is not None for hit in hits] == [False] * 30 + [True]


# Logging


SECRET_PASSWORD = "Correct-Horse-Battery-9431"
CAPTCHA_LETTERS = "GHJKMNPQRSTUVWXY"
WRONG_TYPED_ANSWER = "QQXXWWZZ"


def sign_in_lines(logged: LogRecorder) -> list[str]:
    return [line for line in logged.lines("member") if line.startswith("sign-in ")]


@pytest.fixture
def secret_member(db: None, fast_password_hasher: None, settings: Any) -> Member:
    # Answers drawn from letters no log line contains by chance.
    settings.MEMBER_CAPTCHA_ALPHABET = CAPTCHA_LETTERS
    settings.MEMBER_CAPTCHA_LENGTH = 8
    return Member.objects.create_user(EMAIL, SECRET_PASSWORD, username="Ada")


def test_sign_in_attempts_are_logged_with_outcome_account_and_client(
    secret_member: Member, logged: LogRecorder, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 2
    client = Client(REMOTE_ADDR=ATTACKER)
    post_login(client, email="ADA@example.com", password=SECRET_PASSWORD, right_captcha=False)
    post_login(client, password="wrong-1-" + SECRET_PASSWORD)
    post_login(client, password="wrong-2-" + SECRET_PASSWORD)  # reaches the limit of 2
    post_login(client, password=SECRET_PASSWORD)  # refused
    post_login(client, email=UNKNOWN_EMAIL, password=SECRET_PASSWORD)
    lines = sign_in_lines(logged)

    assert len(lines) == 5, lines
    outcomes = ["invalid_captcha", "invalid_login", "invalid_login", "locked_out", "invalid_login"]
    for line, outcome_name in zip(lines, outcomes, strict=True):
        assert outcome_name in line, line
        assert ATTACKER in line, line
    assert all(EMAIL in line for line in lines[:4]), lines
    assert UNKNOWN_EMAIL in lines[4], lines


def test_successful_sign_in_is_logged(secret_member: Member, logged: LogRecorder) -> None:
    post_login(Client(REMOTE_ADDR=BYSTANDER), password=SECRET_PASSWORD)

    [line] = sign_in_lines(logged)
    assert "success" in line
    assert EMAIL in line
    assert BYSTANDER in line


def test_no_log_record_holds_the_password_or_the_captcha_answer(
    secret_member: Member, logged: LogRecorder, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 3
    client = Client(REMOTE_ADDR=ATTACKER)
    answers: list[str] = []
    for password in ("wrong-1-" + SECRET_PASSWORD, "wrong-2-" + SECRET_PASSWORD, SECRET_PASSWORD):
        answers.append(new_captcha(client))
        data = {"useremail": EMAIL, "userpassword": password, "captcha": answers[-1]}
        client.post(LOGIN_URL, data)
    client.post(
        LOGIN_URL,
        {"useremail": EMAIL, "userpassword": SECRET_PASSWORD, "captcha": WRONG_TYPED_ANSWER},
    )
    answers.append(new_captcha(Client(REMOTE_ADDR=BYSTANDER)))
    post_login(Client(REMOTE_ADDR=BYSTANDER), password=SECRET_PASSWORD)

    everything = logged.everything()
    assert len(sign_in_lines(logged)) == 5
    assert SECRET_PASSWORD not in everything
    assert WRONG_TYPED_ANSWER not in everything
    for answer in answers:
        assert answer not in everything


def test_failure_records_in_the_database_hold_neither_password_nor_answer(
    database_counters: None, secret_member: Member, attacker: Client
) -> None:
    answer = new_captcha(attacker)
    attacker.post(
        LOGIN_URL, {"useremail": EMAIL, "userpassword": "x" + SECRET_PASSWORD, "captcha": answer}
    )
    attacker.post(
        LOGIN_URL,
        {"useremail": EMAIL, "userpassword": SECRET_PASSWORD, "captcha": WRONG_TYPED_ANSWER},
    )
    stored = "\n".join(str(row) for row in ThrottleCounter.objects.values_list())

    # The password check counted for the account and the client (and noted where it failed from);
    # the wrong captcha counts toward nothing (a spent challenge's marker is keyed by its id).
    assert set(ThrottleCounter.objects.values_list("key", flat=True)) - {
        key
        for key in ThrottleCounter.objects.values_list("key", flat=True)
        if key.startswith("captcha:")
    } == {
        f"signin:account:{EMAIL}",
        f"signin:client:{ATTACKER}",
        f"signin:failed-from:{EMAIL}:{ATTACKER}",
    }
    assert SECRET_PASSWORD not in stored
    assert WRONG_TYPED_ANSWER not in stored
    assert answer not in stored


def test_a_newline_in_the_email_cannot_forge_a_log_line(
    secret_member: Member, logged: LogRecorder
) -> None:
    forged = "x@example.com\nsign-in success account='ada@example.com' client=10.0.0.1"
    post_login(Client(REMOTE_ADDR=ATTACKER), email=forged, password="whatever")

    lines = sign_in_lines(logged)
    assert len(lines) == 1
    assert "\n" not in lines[0]
