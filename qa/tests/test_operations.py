"""The operator's view through real processes: gunicorn with two workers and the task worker, a real
SMTP server, on SQLite and on throwaway PostgreSQL + Redis.

- the Prometheus scrape adds up both workers' counts exactly, and is a 404 without the token;
- a lockout made over HTTP: ``manage.py throttle show`` and the admin page give the same figures,
  "lift" ends it;
- the owner of a locked account gets exactly one mail, an unknown email none, and the pages the
  attacker saw are the same for both;
- production's log (``LOG_FORMAT=json``) parses line by line and holds no password, token or
  session key of a full run of sign-ins, a change and a reset.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from member.tests.helpers import admin_limit_rows, one_worker_each
from qa.site_under_test import (
    LOAD_PASSWORD,
    STAFF_EMAIL,
    Answer,
    Site,
    Visitor,
    csrf_token,
    member_email,
    serve_site,
)
from qa.throwaway_servers import Inbox, postgres_server, redis_server, smtp_server

pytestmark = pytest.mark.cluster  # several processes of one site, on both stores

TOKEN = "scrape-token-2026"
ACCOUNT_LIMIT = 10
ADMIN_URL = "/admin/member/throttlecounter/"
WAIT_TIMEOUT = 30.0
POLL = 0.05
NEW_PASSWORD = "a-new-password-2026!"
RESET_PASSWORD = "reset-by-mail-2026!"
LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")


@dataclass
class Operated:
    """A site as an operator has it: the app server, its mail server and a scrape token."""

    site: Site
    inbox: Inbox
    addresses: Iterator[int]

    def visitor(self) -> Visitor:
        """A new browser at an address of its own (the site trusts one proxy)."""
        return Visitor(self.site, address=f"198.51.100.{next(self.addresses)}")


# Each site's tests on one xdist worker (--dist loadgroup): the site starts once.
@pytest.fixture(
    scope="module",
    params=one_worker_each("operations", ("sqlite", "postgres-redis")),
)
def operated(request: pytest.FixtureRequest) -> Iterator[Operated]:
    with ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        backend = {
            "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
            "MEMBER_METRICS_TOKEN": TOKEN,
            "MEMBER_TRUSTED_PROXY_COUNT": "1",
            "LOG_FORMAT": "json",
        }
        if request.param == "postgres-redis":
            backend["DATABASE_URL"] = stack.enter_context(postgres_server()).create_database("ops")
            backend["REDIS_URL"] = stack.enter_context(redis_server()).url()
        site = stack.enter_context(
            serve_site(
                members=4,
                workers=2,
                backend=backend,
                task_worker=True,
                staff=True,
                quick_hashing=True,
            )
        )
        yield Operated(site, inbox, iter(range(1, 250)))


def lock(operated: Operated, email: str) -> list[Answer]:
    """Eleven wrong passwords for ``email`` from new browsers: ten checked, the last refused."""
    answers = [
        operated.visitor().sign_in(email, "wrong-password") for _ in range(ACCOUNT_LIMIT + 1)
    ]
    assert [answer.status for answer in answers] == [200] * ACCOUNT_LIMIT + [429]
    return answers


def scrape(site: Site, token: str | None = TOKEN) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Visitor(site).request("GET", "/metrics", headers=headers)


def samples(scraped: Answer) -> dict[str, float]:
    """``name{labels}`` -> value of every sample of the scrape."""
    found = {}
    for line in scraped.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def wait_for_log(site: Site, pattern: str) -> str:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while time.monotonic() < deadline:
        text = site.log.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        time.sleep(POLL)
    raise AssertionError(f"no {pattern!r} in the log in {WAIT_TIMEOUT} s")


# Metrics


def test_the_scrape_adds_up_both_workers_exactly(operated: Operated) -> None:
    before = samples(scrape(operated.site))
    for _ in range(6):
        assert operated.visitor().sign_in("nobody-at-all@example.com", "x").status == 200
    for _ in range(3):
        browser = operated.visitor()
        form = browser.solved_form("/member/login/") | {"captcha": "8"}  # never the answer
        browser.post("/member/login/", form | {"useremail": member_email(3), "userpassword": "x"})
    assert operated.visitor().sign_in(member_email(3), LOAD_PASSWORD).status == 302

    after = samples(scrape(operated.site))

    def delta(name: str) -> int:
        return round(after.get(name, 0) - before.get(name, 0))

    assert delta('member_sign_in_attempts_total{outcome="invalid_login"}') == 6
    assert delta('member_sign_in_attempts_total{outcome="invalid_captcha"}') == 3
    assert delta('member_sign_in_attempts_total{outcome="success"}') == 1
    assert delta('member_captchas_total{kind="image",result="served"}') == 10
    assert delta("member_sign_in_seconds_count") == 10
    booted = operated.site.log.read_text().count("Booting worker")
    assert booted == 2  # both workers answered some of them: the sums are over processes


def test_the_metrics_are_not_found_without_the_token(operated: Operated) -> None:
    assert scrape(operated.site, token=None).status == 404
    assert scrape(operated.site, token="not-the-token").status == 404


# Why is this blocked? The owner told.


def shown(site: Site, email: str) -> dict[str, tuple[str, int, int, bool]]:
    result = site.manage("throttle", "show", "--json", "--email", email)
    assert result.returncode == 0, result.stderr
    return {
        row["limit"]: (row["key"], row["count"], row["budget"], row["refusing"])
        for row in json.loads(result.stdout)["limits"]
    }


def staff_browser(operated: Operated) -> Visitor:
    staff = operated.visitor()
    assert staff.sign_in(STAFF_EMAIL, LOAD_PASSWORD).status == 302
    return staff


def test_throttle_show_and_the_admin_page_agree_and_lift_ends_the_lockout(
    operated: Operated,
) -> None:
    owner = member_email(1)
    lock(operated, owner)
    staff = staff_browser(operated)

    page = staff.get(f"{ADMIN_URL}?email={owner}")
    from_the_command = shown(operated.site, owner)

    assert page.status == 200
    assert admin_limit_rows(page.text) == from_the_command
    assert from_the_command["account"] == (owner, ACCOUNT_LIMIT, ACCOUNT_LIMIT, True)
    lifted = staff.post(ADMIN_URL, {"csrfmiddlewaretoken": csrf_token(page), "email": owner})
    assert lifted.status == 302
    assert shown(operated.site, owner)["account"][1:] == (0, ACCOUNT_LIMIT, False)
    assert operated.visitor().sign_in(owner, LOAD_PASSWORD).status == 302
    wait_for_log(
        operated.site, r'"event": "lockout_lifted".*"lifted_by": "staff@example\.com \(admin\)"'
    )


def test_a_lockout_mails_its_owner_once_and_an_unknown_email_nobody(operated: Operated) -> None:
    owner, stranger = member_email(2), f"nobody-{operated.site.port}@example.com"
    mails_before = len(operated.inbox.recipients)

    def pages(email: str) -> list[tuple[int, str]]:
        return [
            (answer.status, re.sub(r'value="[^"]*"', "", answer.text.replace(email, "EMAIL")))
            for answer in lock(operated, email)
        ]

    assert pages(owner) == pages(stranger)
    wait_for_log(operated.site, r"mail lockout_mail nothing to send")
    assert operated.inbox.wait_for_mail(mails_before + 1)[mails_before:] == [[owner]]
    notice = operated.inbox.contents[mails_before]
    assert "/member/password/reset/" in notice
    # Both lockouts' mails were queued, and the worker has run both: the second found nobody.
    assert operated.inbox.recipients[mails_before:] == [[owner]]


# Auth events as data


def test_the_json_log_parses_line_by_line_and_holds_no_secret(operated: Operated) -> None:
    email = member_email(0)
    browser = operated.visitor()
    secrets = [LOAD_PASSWORD, NEW_PASSWORD, RESET_PASSWORD, "wrong-secret-password"]
    assert browser.sign_in(email, secrets[3]).status == 200
    assert browser.sign_in(email, LOAD_PASSWORD).status == 302
    secrets += list(browser.cookies.values())  # the session key, the device token
    page = browser.get("/member/password/change/")
    change = {"old_password": LOAD_PASSWORD, "new_password1": NEW_PASSWORD}
    change |= {"new_password2": NEW_PASSWORD, "csrfmiddlewaretoken": csrf_token(page)}
    assert browser.post("/member/password/change/", change).status == 302
    secrets += list(browser.cookies.values())
    mails_before = len(operated.inbox.recipients)
    stranger = operated.visitor()
    form = stranger.solved_form("/member/password/reset/") | {"useremail": email}
    assert stranger.post("/member/password/reset/", form).status == 302
    operated.inbox.wait_for_mail(mails_before + 1)
    link = LINK.search(operated.inbox.contents[mails_before].replace("=\n", "")).group(0)
    secrets.append(link.split("/")[-2])  # the reset token
    set_page = stranger.get(link)
    assert set_page.status == 302  # Django moves the token out of the address
    form_page = stranger.get(set_page.headers["Location"])
    done = stranger.post(
        set_page.headers["Location"],
        {
            "csrfmiddlewaretoken": csrf_token(form_page),
            "new_password1": RESET_PASSWORD,
            "new_password2": RESET_PASSWORD,
        },
    )
    assert done.status == 302
    wait_for_log(operated.site, r'"event": "reset_completed"')

    log = operated.site.log.read_text(errors="replace")
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    events = {record.get("event") for record in records}
    assert {"sign_in", "password_change", "reset_requested", "reset_completed"} <= events
    member_lines = [line for line in log.splitlines() if '"logger": "member' in line]
    assert member_lines and all(line.startswith("{") for line in member_lines)
    for secret in secrets:
        assert secret not in log, f"{secret[:6]}... is in the log"
