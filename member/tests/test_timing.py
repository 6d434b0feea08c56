"""Bad credentials look alike: the same page and the same password work whoever the email names.

An unknown email, a member's wrong password, a member with an unusable password and an inactive
member with the right password each get the byte-identical page (apart from the CSRF token) and
each cost exactly one run of the real, first-configured hasher (Argon2): Django hashes a dummy
password for unknown users and for unusable passwords, and the site must keep it so.

Costs are counted with a spy on the hashers, not measured: a timing assertion would be flaky. The
measured medians are printed for the record (``pytest -s``).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.hashers import get_hasher
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings

from member import captcha
from member.models import Member
from member.tests.helpers import LOGIN_URL, recording_password_work, signed_in_member_id
from member.tests.helpers import MEMBER_EMAIL as EMAIL
from member.tests.helpers import MEMBER_PASSWORD as PASSWORD
from qa.contract import BAD_CREDENTIALS

WRONG_PASSWORD = "not-the-password"
REPEATS = 3


def normalised(response: HttpResponse) -> str:
    """The page with its per-request token blanked: the CSRF token is masked anew each time."""
    return re.sub(
        r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1TOKEN"', response.content.decode()
    )


# Cookies carry tokens; Expires is the moment of the response (never_cache sets it to now).
PER_RESPONSE_HEADERS = {"set-cookie", "expires", "date"}


def headers_without_cookies(response: HttpResponse) -> dict[str, str]:
    """Every header but the per-response ones, which are present but not compared by value."""
    return {
        name: "..." if name.lower() in PER_RESPONSE_HEADERS else value
        for name, value in response.items()
    }


@dataclass
class Attempt:
    status: int
    page: str
    headers: dict[str, str]
    cookie_names: set[str]
    hasher_runs: list[str]
    seconds: float


def sign_in_once(password: str) -> Attempt:
    """A new visitor solves the captcha and signs in as ``EMAIL`` with ``password``."""
    client = Client()
    session = client.session
    answer = captcha.make_challenge(session)
    session.save()
    data = {"useremail": EMAIL, "userpassword": password, "captcha": answer}
    with recording_password_work() as runs:
        started = time.perf_counter()
        response = client.post(LOGIN_URL, data)
        seconds = time.perf_counter() - started
    assert signed_in_member_id(client) is None
    return Attempt(
        status=response.status_code,
        page=normalised(response),
        headers=headers_without_cookies(response),
        cookie_names=set(response.cookies),
        hasher_runs=runs.algorithms,
        seconds=seconds,
    )


def no_member() -> str:
    Member.objects.filter(email__iexact=EMAIL).delete()
    return PASSWORD


def make_member(*, usable_password: bool, active: bool) -> None:
    member = Member.objects.get(email=EMAIL)
    if usable_password:
        member.set_password(PASSWORD)
    else:
        member.set_unusable_password()
    member.is_active = active
    member.save()


def member_with_wrong_password() -> str:
    make_member(usable_password=True, active=True)
    return WRONG_PASSWORD


def member_with_unusable_password() -> str:
    make_member(usable_password=False, active=True)
    return PASSWORD


def inactive_member_with_right_password() -> str:
    make_member(usable_password=True, active=False)
    return PASSWORD


SCENARIOS: dict[str, Callable[[], str]] = {
    "wrong password": member_with_wrong_password,
    "unusable password": member_with_unusable_password,
    "inactive, right password": inactive_member_with_right_password,
    "unknown email": no_member,
}


@pytest.fixture(scope="module")
def attempts(django_db_setup: None, django_db_blocker: Any) -> dict[str, list[Attempt]]:
    """``REPEATS`` sign-ins per scenario, with the project's real hasher settings.

    Made once for the module (each costs an Argon2 run) in a transaction that is rolled back.
    One email for every scenario, so the pages can be compared byte for byte; the account limit
    is lifted so the repeated failures of this one email are not throttled.
    """
    results: dict[str, list[Attempt]] = {}
    with (
        django_db_blocker.unblock(),
        override_settings(MEMBER_LOGIN_FAILURES_PER_ACCOUNT=10**6),
        transaction.atomic(),
    ):
        Member.objects.create_user(EMAIL, PASSWORD, username="Ada Lovelace")
        for name, arrange in SCENARIOS.items():
            password = arrange()
            results[name] = [sign_in_once(password) for _ in range(REPEATS)]
        transaction.set_rollback(True)
    for name, runs in results.items():
        median = statistics.median(attempt.seconds for attempt in runs)
        print(f"\n{name:>26}: median {median * 1000:6.1f} ms over {REPEATS}")
    return results


def test_project_hashes_passwords_with_argon2() -> None:
    """What the rest of this module measures is the production hasher."""
    assert get_hasher().algorithm == "argon2"


def test_every_kind_of_bad_credentials_gets_the_generic_message(
    attempts: dict[str, list[Attempt]],
) -> None:
    for name, runs in attempts.items():
        for attempt in runs:
            assert attempt.status == 200, name
            assert BAD_CREDENTIALS in attempt.page, name


def test_pages_are_byte_identical_apart_from_the_csrf_token(
    attempts: dict[str, list[Attempt]],
) -> None:
    reference = attempts["unknown email"][0]
    for name, runs in attempts.items():
        for attempt in runs:
            assert attempt.page == reference.page, name
            assert attempt.headers == reference.headers, name
            assert attempt.cookie_names == reference.cookie_names, name


def test_each_kind_costs_exactly_one_argon2_run(attempts: dict[str, list[Attempt]]) -> None:
    for name, runs in attempts.items():
        for attempt in runs:
            assert attempt.hasher_runs == ["argon2"], name


@pytest.mark.django_db
def test_csrf_token_is_the_only_difference_normalised_away(fast_password_hasher: None) -> None:
    """The normalisation is not hiding more than the token: two raw pages differ only there."""
    Member.objects.create_user(EMAIL, PASSWORD, username="Ada Lovelace")
    pages = []
    for _ in range(2):
        client = Client()
        session = client.session
        answer = captcha.make_challenge(session)
        session.save()
        data = {"useremail": EMAIL, "userpassword": WRONG_PASSWORD, "captcha": answer}
        pages.append(client.post(LOGIN_URL, data).content.decode())
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')

    assert token.sub("", pages[0]) == token.sub("", pages[1])
    assert token.findall(pages[0]) != token.findall(pages[1])
