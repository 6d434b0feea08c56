"""The reset request never waits on mail: a real app server, its task worker and real SMTP servers.

The contract: "a password-reset request answers the same, in status and time, whether the mail
server is fast, slow or down". Each site runs with the task worker beside it
(``serve_site(task_worker=True)``, as ``make serve`` and ``make run`` run it): gunicorn on SQLite,
runserver on SQLite, gunicorn on throwaway PostgreSQL + Redis. Its ``EMAIL_URL`` is a loopback
port where each test puts the mail server it needs: one that holds every mail until the test lets
it go (a slow server, without timing anything), none at all (down), or none for good (every
attempt fails).

Had the request sent the mail itself, a member's request would hang on the held mail until the
mail client's timeout and then fail, and with no server it would fail at once: a member's answer
would differ from a stranger's in time and status. Every wait is bounded; the times the requests
took are printed (``pytest -s``), never asserted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from member.tests.helpers import one_worker_each
from qa import throwaway_servers
from qa.site_under_test import Answer, Site, Visitor, member_email, readable_log, serve_site
from qa.throwaway_servers import HOST, Inbox, free_port, postgres_server, redis_server

pytestmark = pytest.mark.fault  # a service the site needs, down or slow under a running site

RESET_URL = "/member/password/reset/"
RESET_SENT_URL = "/member/password/reset/sent/"
WAIT_TIMEOUT = 30.0  # seconds for a mail or a log line to show up
POLL = 0.05  # seconds between two looks at the log
# Attempts a second apart: a few seconds before a mail is given up.
RETRY_DELAYS = "1,1,1,1"
ATTEMPTS = 5
LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")
TOKEN = re.compile(r"\b[0-9a-z]+-[0-9a-f]{32}\b")  # Django's reset token


@dataclass
class MailSite:
    name: str
    site: Site
    smtp_port: int

    def log_from(self, offset: int) -> str:
        """What the server and its worker logged since ``offset``, as readable lines."""
        return readable_log(self.site.log.read_bytes()[offset:].decode("utf-8", "replace"))

    @property
    def log_size(self) -> int:
        return self.site.log.stat().st_size


SITES = {
    "gunicorn-sqlite": {"kind": "gunicorn", "workers": 2},
    "runserver-sqlite": {"kind": "runserver"},  # make run
    "gunicorn-postgres-redis": {"kind": "gunicorn", "workers": 2},
}


# Each site's tests on one xdist worker (--dist loadgroup): the site starts once.
@pytest.fixture(
    scope="module",
    params=one_worker_each("mail", SITES),
)
def mail_site(request: pytest.FixtureRequest) -> Iterator[MailSite]:
    """The app server and its task worker, sending to a loopback SMTP port nothing listens on
    yet."""
    smtp_port = free_port()
    backend = {"EMAIL_URL": f"smtp://{HOST}:{smtp_port}", "MEMBER_MAIL_RETRY_DELAYS": RETRY_DELAYS}
    with ExitStack() as services:
        if request.param.endswith("postgres-redis"):
            postgres = services.enter_context(postgres_server())
            backend["DATABASE_URL"] = postgres.create_database("reset_mail")
            backend["REDIS_URL"] = services.enter_context(redis_server()).url()
        site = services.enter_context(
            serve_site(
                members=3,
                backend=backend,
                task_worker=True,
                quick_hashing=True,
                **SITES[request.param],
            )
        )
        yield MailSite(request.param, site, smtp_port)


@pytest.fixture
def smtp_server(mail_site: MailSite) -> Iterator[Callable[..., Inbox]]:
    """Starts a real SMTP server on the site's mail port when called (``held=True``: the gate
    closed); stopped after the test."""
    with ExitStack() as servers:
        yield lambda *, held=False: servers.enter_context(
            throwaway_servers.smtp_server(port=mail_site.smtp_port, held=held)
        )


def ask_for_reset(site: Site, email: str) -> Answer:
    """A new visitor asks for a reset link for ``email``: the form, a solved captcha, the POST."""
    visitor = Visitor(site)
    return visitor.post(RESET_URL, visitor.solved_form(RESET_URL) | {"useremail": email})


def wait_for_log(mail_site: MailSite, offset: int, pattern: str, count: int = 1) -> str:
    """The log written since ``offset`` once ``pattern`` shows ``count`` times in it."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while time.monotonic() < deadline:
        text = mail_site.log_from(offset)
        if len(re.findall(pattern, text)) >= count:
            return text
        time.sleep(POLL)
    raise AssertionError(f"no {pattern!r} in the log in {WAIT_TIMEOUT} s:\n{text}")


def assert_same_answer(member: Answer, stranger: Answer) -> None:
    assert (member.status, stranger.status) == (302, 302)
    assert member.headers["Location"] == stranger.headers["Location"] == RESET_SENT_URL


def test_a_slow_mail_server_holds_up_neither_a_members_request_nor_a_strangers(
    mail_site: MailSite, smtp_server: Callable[..., Inbox]
) -> None:
    inbox = smtp_server(held=True)
    member, stranger = member_email(0), f"nobody-{mail_site.smtp_port}@example.com"
    offset = mail_site.log_size

    member_answer = ask_for_reset(mail_site.site, member)
    # The worker has the member's mail in the DATA command, and the server does not answer.
    assert inbox.holding.wait(WAIT_TIMEOUT)
    stranger_answer = ask_for_reset(mail_site.site, stranger)
    assert inbox.recipients == []  # both answered while the member's mail was held

    print(
        f"\n{mail_site.name}, reset POST with the member's mail held by the mail server: member "
        f"{member_answer.seconds * 1000:.0f} ms, stranger {stranger_answer.seconds * 1000:.0f} ms"
    )
    assert_same_answer(member_answer, stranger_answer)
    inbox.gate.set()
    assert inbox.wait_for_mail(1) == [[member]]
    # The mail the server held is the one that arrived: sent by the worker at the first attempt.
    # (A request that sent it would have given up on the held mail and tried again later.)
    sent = f"mail password_reset_mail sent account='{re.escape(member)}' attempt=1$"
    wait_for_log(mail_site, offset, f"(?m){sent}")
    # The stranger's task ran after the member's (one worker, in order) and found nobody.
    log = wait_for_log(mail_site, offset, r"mail password_reset_mail nothing to send")
    assert "not sent" not in log
    assert inbox.recipients == [[member]]
    assert LINK.search(inbox.contents[0])


def test_a_mail_server_that_is_down_changes_no_answer_and_gets_the_mail_when_back(
    mail_site: MailSite, smtp_server: Callable[..., Inbox]
) -> None:
    member, stranger = member_email(1), f"nobody-else-{mail_site.smtp_port}@example.com"
    offset = mail_site.log_size

    member_answer = ask_for_reset(mail_site.site, member)
    stranger_answer = ask_for_reset(mail_site.site, stranger)

    print(
        f"\n{mail_site.name}, reset POST with no mail server: member "
        f"{member_answer.seconds * 1000:.0f} ms, "
        f"stranger {stranger_answer.seconds * 1000:.0f} ms"
    )
    assert_same_answer(member_answer, stranger_answer)
    wait_for_log(
        mail_site, offset, f"mail password_reset_mail not sent account='{re.escape(member)}'"
    )
    inbox = smtp_server()  # the mail server is back
    assert inbox.wait_for_mail(1) == [[member]]
    wait_for_log(mail_site, offset, f"mail password_reset_mail sent account='{re.escape(member)}'")
    wait_for_log(mail_site, offset, r"mail password_reset_mail nothing to send")
    assert inbox.recipients == [[member]]


def test_a_mail_never_taken_is_logged_as_an_error_naming_the_account_never_the_link(
    mail_site: MailSite,
) -> None:
    member = member_email(2)
    offset = mail_site.log_size

    assert ask_for_reset(mail_site.site, member).status == 302

    log = wait_for_log(mail_site, offset, r"ERROR member\.mail: mail password_reset_mail given up")
    assert f"given up account='{member}' attempts={ATTEMPTS} " in log
    assert log.count(f"not sent account='{member}'") == ATTEMPTS - 1
    everything = mail_site.site.log.read_text(errors="replace")  # every field of every line
    assert not LINK.search(everything)
    assert not TOKEN.search(everything)
