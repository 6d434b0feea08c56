"""The operator's view: why is this blocked (``throttle show`` and the admin page, one answer), the
owner told of a lockout, the metrics, and authentication events as data.

In-process on whichever store the settings name (the database here, Redis in the suite's second
pass); the same through real gunicorn workers, SMTP and log files: qa/tests/test_operations.py.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from prometheus_client import REGISTRY

from member import throttle
from member.models import Member
from member.tests.helpers import (
    ATTACKER,
    LOGIN_URL,
    MEMBER_EMAIL,
    MEMBER_PASSWORD,
    admin_limit_rows,
    new_captcha,
    post_login,
    run_queued_tasks,
)

ACCOUNT_LIMIT = 10
WRONG = "not-the-password"
ADMIN_URL = "/admin/member/throttlecounter/"
METRICS_TOKEN = "scrape-token-for-tests"


def lock(email: str = MEMBER_EMAIL, *, client: Client | None = None) -> Client:
    """Ten wrong passwords for ``email``'s account from the attacker's address: it is locked."""
    attacker = client or Client(REMOTE_ADDR=ATTACKER)
    for _ in range(ACCOUNT_LIMIT):
        assert post_login(attacker, email=email, password=WRONG).status_code == 200
    assert post_login(attacker, email=email, password=WRONG).status_code == 429
    return attacker


def show(**options: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("throttle", "show", "--json", stdout=out, **options)
    return json.loads(out.getvalue())


def by_limit(rows: list[dict[str, Any]]) -> dict[str, tuple[str, int, int, bool]]:
    return {
        row["limit"]: (row["key"], row["count"], row["budget"], row["refusing"]) for row in rows
    }


# Why is this blocked?


def test_throttle_show_names_every_limit_of_a_locked_account(member: Member) -> None:
    lock()

    shown = show(email="ADA@Example.com")

    limits = by_limit(shown["limits"])
    assert limits["account"] == (MEMBER_EMAIL, ACCOUNT_LIMIT, ACCOUNT_LIMIT, True)
    assert limits["reset-address"] == (MEMBER_EMAIL, 0, 3, False)
    account = next(row for row in shown["limits"] if row["limit"] == "account")
    assert 0 < account["seconds_left"] <= 15 * 60


def test_throttle_show_lists_each_remembered_browsers_budget(member: Member) -> None:
    owner = Client(REMOTE_ADDR="203.0.113.5")
    assert post_login(owner).status_code == 302
    owner.post("/member/logout/")
    post_login(owner, password=WRONG)

    devices = [row for row in show(email=MEMBER_EMAIL)["limits"] if row["limit"] == "device"]

    assert len(devices) == 1
    assert devices[0]["count"] == 1
    assert devices[0]["budget"] == 5
    assert devices[0]["key"].startswith(f"{MEMBER_EMAIL}:")


def test_throttle_show_of_a_client_counts_an_ipv6_client_by_its_slash_64(
    member: Member, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 2
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 30
    for host in (1, 2):
        post_login(Client(REMOTE_ADDR=f"2001:db8:5:6::{host}"), email=f"x{host}@example.com")

    limits = by_limit(show(client="2001:db8:5:6::99")["limits"])

    assert limits["client"] == ("2001:db8:5:6::/64", 2, 2, True)
    assert limits["captcha"][1:] == (2, 30, False)  # two images fetched for the two sign-ins


def test_throttle_lift_ends_the_lockout_and_says_who_did_it(
    member: Member, caplog: pytest.LogCaptureFixture
) -> None:
    lock()

    with caplog.at_level(logging.INFO, logger="member.events"):
        call_command("throttle", "lift", email=MEMBER_EMAIL, stdout=io.StringIO())

    assert post_login(Client(REMOTE_ADDR="203.0.113.9")).status_code == 302
    [lifted] = [
        record for record in caplog.records if getattr(record, "event", "") == "lockout_lifted"
    ]
    assert lifted.account == MEMBER_EMAIL
    assert "manage.py throttle lift" in lifted.lifted_by


def test_throttle_needs_an_email_or_a_client() -> None:
    with pytest.raises(Exception, match="give --email, --client or both"):
        call_command("throttle", "show")


def test_clearthrottle_keeps_working(member: Member) -> None:
    lock()

    call_command("clearthrottle", email=MEMBER_EMAIL, stdout=io.StringIO())

    assert post_login(Client(REMOTE_ADDR="203.0.113.9")).status_code == 302


@pytest.fixture
def staff(db: None, fast_password_hasher: None) -> Client:
    admin = Member.objects.create_superuser(
        "root@example.com", "root-password-2026", username="Root"
    )
    browser = Client()
    browser.force_login(admin)
    return browser


def test_the_admin_page_shows_what_throttle_show_shows(member: Member, staff: Client) -> None:
    lock()

    page = staff.get(ADMIN_URL, {"email": "ada@EXAMPLE.com", "client": ATTACKER})

    assert page.status_code == 200
    shown = by_limit(show(email=MEMBER_EMAIL, client=ATTACKER)["limits"])
    assert admin_limit_rows(page.content.decode()) == shown
    assert shown["account"][3] is True


def test_lifting_on_the_admin_page_ends_the_lockout(
    member: Member, staff: Client, caplog: pytest.LogCaptureFixture
) -> None:
    lock()

    with caplog.at_level(logging.INFO, logger="member.events"):
        answer = staff.post(ADMIN_URL, {"email": MEMBER_EMAIL, "client": ""}, follow=True)

    assert answer.status_code == 200
    assert admin_limit_rows(answer.content.decode())["account"][1:] == (0, ACCOUNT_LIMIT, False)
    assert post_login(Client(REMOTE_ADDR="203.0.113.9")).status_code == 302
    [lifted] = [
        record for record in caplog.records if getattr(record, "event", "") == "lockout_lifted"
    ]
    assert lifted.lifted_by == "root@example.com (admin)"


def test_members_who_are_not_staff_cannot_see_or_lift(member: Member) -> None:
    browser = Client()
    browser.force_login(member)

    assert browser.get(ADMIN_URL, {"email": MEMBER_EMAIL}).status_code == 302
    assert browser.post(ADMIN_URL, {"email": MEMBER_EMAIL}).status_code == 302


# The owner is told


def test_a_lockout_mails_its_owner_once_in_the_sites_language(member: Member) -> None:
    lock(client=Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en"))
    post_login(Client(REMOTE_ADDR="203.0.113.77"), password=WRONG)  # refused: no second mail

    run_queued_tasks()

    [notice] = mail.outbox
    assert notice.to == [MEMBER_EMAIL]
    assert "拒絕" in notice.subject  # zh-hant, the site's language, whatever the attacker's
    assert "10" in notice.body
    assert "1 個" in notice.body  # from one address
    assert "http://testserver/member/password/reset/" in notice.body
    assert WRONG not in notice.body


def test_a_lockout_after_a_lifted_one_tells_the_owner_again(member: Member) -> None:
    lock()
    call_command("throttle", "lift", email=MEMBER_EMAIL, stdout=io.StringIO())
    lock(client=Client(REMOTE_ADDR="203.0.113.50"))

    run_queued_tasks()

    assert [message.to for message in mail.outbox] == [[MEMBER_EMAIL], [MEMBER_EMAIL]]


def test_a_lockout_of_an_unknown_email_mails_nobody_and_answers_the_same(member: Member) -> None:
    def pages(email: str) -> list[tuple[int, str]]:
        attacker = Client(REMOTE_ADDR=ATTACKER if email == MEMBER_EMAIL else "203.0.113.40")
        answers = [post_login(attacker, email=email, password=WRONG) for _ in range(11)]
        return [
            (
                answer.status_code,
                re.sub(r'value="[^"]*"', "", answer.content.decode().replace(email, "EMAIL")),
            )
            for answer in answers
        ]

    known, unknown = pages(MEMBER_EMAIL), pages("nobody@example.com")
    run_queued_tasks()

    assert known == unknown
    assert [mail.to for mail in mail.outbox] == [[MEMBER_EMAIL]]


# Auth events as data


@pytest.fixture
def json_log(settings: Any) -> Iterator[io.StringIO]:
    """What the ``member`` loggers write under ``LOG_FORMAT=json``, as the settings configure it."""
    from django.utils.log import configure_logging

    stream = io.StringIO()
    logging_config = json.loads(json.dumps(settings.LOGGING))
    logging_config["handlers"]["stderr"]["formatter"] = "json"
    logging_config["handlers"]["stderr"]["stream"] = stream
    configure_logging(settings.LOGGING_CONFIG, logging_config)
    yield stream
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_every_authentication_event_is_one_json_line_with_its_fields(
    member: Member, json_log: io.StringIO, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 2
    browser = Client(
        REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Firefox/140", HTTP_X_REQUEST_ID="r-1"
    )
    post_login(browser, password=WRONG)
    post_login(browser, password=WRONG)  # reaches the limit: the lockout starts
    post_login(Client(REMOTE_ADDR="203.0.113.6"))  # refused

    records = [json.loads(line) for line in json_log.getvalue().splitlines()]

    events = [(record["event"], record["outcome"]) for record in records if "event" in record]
    assert events == [
        ("sign_in", "invalid_login"),
        ("lockout_started", "account"),
        ("sign_in", "invalid_login"),
        ("sign_in", "locked_out"),
    ]
    first = records[0]
    assert first["account"] == MEMBER_EMAIL
    assert first["client"] == "203.0.113.5"
    assert first["user_agent"] == "Firefox/140"
    assert first["request_id"] == "r-1"
    assert first["level"] == "INFO"
    assert first["time"]
    assert re.fullmatch(r"[0-9a-f]{32}", records[-1]["request_id"])


def test_a_full_run_of_sign_ins_changes_and_resets_logs_no_secret(
    member: Member, json_log: io.StringIO
) -> None:
    """Every password, captcha answer, token and session key of the run, searched for in the log."""
    secrets = [MEMBER_PASSWORD, WRONG, "changed-password-2026!", "reset-password-2026!"]
    browser = Client()
    secrets.append(new_captcha(browser))
    browser.post(
        LOGIN_URL, {"useremail": MEMBER_EMAIL, "userpassword": WRONG, "captcha": secrets[-1]}
    )
    secrets.append(new_captcha(browser))
    browser.post(
        LOGIN_URL,
        {"useremail": MEMBER_EMAIL, "userpassword": MEMBER_PASSWORD, "captcha": secrets[-1]},
    )
    secrets.append(browser.cookies["sessionid"].value)
    browser.post(
        "/member/password/change/",
        {
            "old_password": MEMBER_PASSWORD,
            "new_password1": secrets[2],
            "new_password2": secrets[2],
        },
    )
    secrets.append(browser.cookies[throttle.DEVICE_COOKIE].value)
    browser.post("/member/logout/")
    secrets.append(new_captcha(browser))
    browser.post("/member/password/reset/", {"useremail": MEMBER_EMAIL, "captcha": secrets[-1]})
    run_queued_tasks()
    link = re.search(r"/member/password/reset/[^/\s]+/[^/\s]+/", mail.outbox[-1].body).group(0)
    secrets.append(link.split("/")[-2])
    form = browser.get(link, follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": secrets[3], "new_password2": secrets[3]},
    )

    logged = json_log.getvalue()
    events = {json.loads(line).get("event") for line in logged.splitlines()}
    assert {
        "sign_in",
        "password_change",
        "sign_out",
        "reset_requested",
        "reset_completed",
    } <= events
    for secret in secrets:
        assert secret not in logged, secret


# Metrics


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_not_found_without_the_token(client: Client, settings: Any) -> None:
    settings.MEMBER_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.MEMBER_METRICS_TOKEN = METRICS_TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_sign_in_outcomes_lockouts_and_captchas_are_counted(
    member: Member, client: Client, settings: Any
) -> None:
    settings.MEMBER_METRICS_TOKEN = METRICS_TOKEN
    names = [
        ("member_sign_in_attempts_total", {"outcome": "success"}),
        ("member_sign_in_attempts_total", {"outcome": "invalid_login"}),
        ("member_sign_in_attempts_total", {"outcome": "invalid_captcha"}),
        ("member_sign_in_attempts_total", {"outcome": "locked_out"}),
        ("member_lockouts_total", {"kind": "account"}),
        ("member_captchas_total", {"kind": "image", "result": "served"}),
        ("member_sign_in_seconds_count", {}),
    ]
    before = [metric(name, **labels) for name, labels in names]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    post_login(attacker, answer="WRONG")
    lock(client=attacker)
    post_login(Client(REMOTE_ADDR="203.0.113.8"), email="other@example.com")

    after = [metric(name, **labels) for name, labels in names]

    deltas = [round(b - a) for a, b in zip(before, after, strict=True)]
    assert deltas == [0, 11, 1, 1, 1, 12, 13]
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert scraped.status_code == 200
    assert scraped["Content-Type"].startswith("text/plain")
    assert 'member_lockouts_total{kind="account"}' in scraped.content.decode()


# Proxies checked live


def test_failures_from_one_private_address_warn_once_naming_the_settings(
    db: None, fast_password_hasher: None, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 1000
    throttle._recent_failures.clear()
    throttle._warn_failures_from_one_private_address.cache_clear()
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    with caplog.at_level(logging.WARNING, logger="member.throttle"):
        for number in range(60):
            post_login(proxy, email=f"user{number}@example.com", password=WRONG)

    warnings = [r.getMessage() for r in caplog.records if "private address" in r.getMessage()]
    assert len(warnings) == 1
    assert "10.0.0.2" in warnings[0]
    assert "MEMBER_TRUSTED_PROXY_COUNT" in warnings[0]
