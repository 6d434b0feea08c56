"""Helpers the member tests share: addresses, the captcha through the session, page parsing, spies.

Fixtures live in ``conftest.py``; these are plain functions so a test reads as a short script.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY, hashers
from django.contrib.auth.backends import ModelBackend
from django.core import mail
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client, override_settings
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker

from member import captcha, ratelimit

LOGIN_URL = "/member/login/"
REGISTER_URL = "/member/register/"
HOME_URL = "/member/"
LOGOUT_URL = "/member/logout/"
CAPTCHA_URL = "/member/captcha/"
DEBUG_HOOK_URL = "/member/debug/captcha/"

MEMBER_EMAIL = "ada@example.com"
MEMBER_NAME = "Ada Lovelace"
MEMBER_PASSWORD = "analytical-engine-1843"
ATTACKER = "198.51.100.7"  # the address of the ``attacker`` fixture's browser


# Letters the site never draws by default (0-9A-F): a challenge planted with them cannot be
# mistaken for one the site made, so "the challenge did (not) change" is checked deterministically.
PLANTED_ALPHABET = "GHJKMNPQRS"


def new_captcha(client: Client, **extra: Any) -> str:
    """Fetch a captcha image as a browser does and return the answer the session now holds."""
    response = client.get(CAPTCHA_URL, **extra)
    assert response.status_code == 200, response.status_code
    answer = captcha.current_answer(client.session)
    assert answer is not None
    return answer


def plant_challenge(client: Client, *, issued_at: float | None = None) -> str:
    """Store a challenge in ``client``'s session directly (drawn from ``PLANTED_ALPHABET``).

    ``issued_at`` moves the challenge's clock, e.g. ``time.time() - 301`` for an expired one.
    """
    session = client.session
    with override_settings(MEMBER_CAPTCHA_ALPHABET=PLANTED_ALPHABET):
        answer = captcha.make_challenge(session, now=issued_at)
    session.save()
    return answer


def session_answer(client: Client) -> str | None:
    """The unexpired answer ``client``'s session holds, without using it up."""
    return captcha.current_answer(client.session)


def post_login(
    client: Client,
    *,
    email: str = MEMBER_EMAIL,
    password: str = MEMBER_PASSWORD,
    answer: str | None = None,
    remember: bool = False,
    next_url: str | None = None,
    **kwargs: Any,
) -> HttpResponse:
    """POST the login form; without ``answer`` a fresh captcha is fetched and solved first."""
    data = {
        "useremail": email,
        "userpassword": password,
        "captcha": new_captcha(client, **kwargs) if answer is None else answer,
    }
    if remember:
        data["rememberme"] = "on"
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN_URL, data, **kwargs)


def register_data(
    client: Client,
    *,
    username: str = "Grace Hopper",
    email: str = "grace@example.com",
    password: str = "cobol-compiler-1959",  # noqa: S107  (a test member's password)
    password2: str | None = None,
    answer: str | None = None,
) -> dict[str, str]:
    """Sign-up form data; without ``answer`` a fresh captcha is fetched and solved."""
    return {
        "username": username,
        "useremail": email,
        "userpassword": password,
        "userpassword2": password if password2 is None else password2,
        "captcha": new_captcha(client) if answer is None else answer,
    }


def signed_in_member_id(client: Client) -> str | None:
    """The member id Django's session says is signed in, or ``None`` when anonymous."""
    return client.session.get(SESSION_KEY)


def expired_issue_time(timeout: float = 300) -> float:
    """A challenge issue time just past ``timeout`` seconds ago."""
    return time.time() - timeout - 1


class _InputCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(response: HttpResponse) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of the page as ``(tag, attributes)``."""
    parser = _InputCollector()
    parser.feed(response.content.decode())
    return parser.elements


def inputs_by_name(response: HttpResponse) -> dict[str, dict[str, str | None]]:
    """The page's ``<input>`` attributes keyed by the input's ``name``."""
    return {
        attrs["name"]: attrs
        for tag, attrs in elements(response)
        if tag == "input" and attrs.get("name")
    }


def element_by_id(response: HttpResponse, element_id: str) -> tuple[str, dict[str, str | None]]:
    found = [(tag, attrs) for tag, attrs in elements(response) if attrs.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
    return found[0]


def csrf_token_of(response: HttpResponse) -> str:
    token = inputs_by_name(response)["csrfmiddlewaretoken"]["value"]
    assert token
    return token


@dataclass
class PasswordWork:
    """What a request cost in password work: backend ``authenticate()`` calls and hasher runs."""

    authentications: list[dict[str, Any]] = field(default_factory=list)
    # The algorithm of every outermost hasher ``encode``/``verify`` call, in order.
    algorithms: list[str] = field(default_factory=list)
    depth: int = 0

    @property
    def hashes(self) -> int:
        return len(self.algorithms)

    @property
    def none(self) -> bool:
        return not self.authentications and self.hashes == 0


@contextmanager
def recording_password_work() -> Iterator[PasswordWork]:
    """Record every ``ModelBackend.authenticate()`` call and every hash made or checked.

    The one password spy of the suite: it wraps every configured hasher's ``encode`` and
    ``verify``, whoever calls them (the model, the backend's dummy hash for unknown emails, a
    form). A hasher's ``verify`` may call its own ``encode`` (MD5 and PBKDF2 do): only the
    outermost call counts, so one check is one.
    """
    work = PasswordWork()
    original_authenticate = ModelBackend.authenticate

    def authenticate(backend: ModelBackend, request: Any, **credentials: Any) -> Any:
        work.authentications.append(credentials)
        return original_authenticate(backend, request, **credentials)

    patches = [mock.patch.object(ModelBackend, "authenticate", authenticate)]
    for hasher in hashers.get_hashers():
        for name in ("encode", "verify"):
            original = getattr(type(hasher), name)

            def spy(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                if work.depth == 0:
                    work.algorithms.append(self.algorithm)
                work.depth += 1
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    work.depth -= 1

            patches.append(mock.patch.object(type(hasher), name, spy))
    for patch in patches:
        patch.start()
    try:
        yield work
    finally:
        for patch in reversed(patches):
            patch.stop()


def client_failures(address: str) -> int:
    """How many failures the counters hold for client ``address``, in whichever store is on."""
    key = f"signin:client:{address}"
    return next(n for n in range(1000) if ratelimit.exhausted(key, limit=n + 1) is None)


def run_queued_tasks() -> None:
    """Run every task that is due, in this process, as ``manage.py db_worker --batch`` does: the
    project's worker loop on the project's queue (the database), then return.

    The worker's housekeeping between tasks closes a connection that is inside a transaction,
    which would end the test's own; Django's test client skips it for requests the same way.
    """
    worker = Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    with mock.patch.object(db_worker, "close_old_connections"):
        worker.run()


def sent_mail() -> list[EmailMessage]:
    """What the task worker sends once every queued task has run (the test outbox)."""
    run_queued_tasks()
    return mail.outbox


class LogRecorder(logging.Handler):
    """Every log record it is handed, kept (the ``logged`` fixture attaches it everywhere)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, logger: str, level: int | None = None) -> list[str]:
        """The messages of ``logger`` (and its children), at ``level`` if given, in order."""
        return [
            record.getMessage()
            for record in self.records
            if (record.name == logger or record.name.startswith(f"{logger}."))
            and (level is None or record.levelno == level)
        ]

    def everything(self) -> str:
        """Every part of every record: message, arguments, traceback and every attribute."""
        parts = []
        for record in self.records:
            parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
            parts += [str(value) for value in vars(record).values()]
        return "\n".join(parts)


def admin_limit_rows(page: str) -> dict[str, tuple[str, int, int, bool]]:
    """The admin's "Why is this blocked?" table: by limit, what it counts for, the count, the
    budget (0 where the page says it is unlimited) and whether it refuses now (what
    ``throttle show --json`` gives, in that order)."""
    rows = {}
    pattern = r'<tr class="limit-([\w-]+)( refusing)?">\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*'
    pattern += r"<td>(\d+)</td>\s*<td>([^<]*)</td>"
    for name, refusing, subject, count, budget in re.findall(pattern, page):
        budget = int(budget) if budget.isdigit() else 0
        rows[name] = (html.unescape(subject), int(count), budget, bool(refusing))
    return rows


def one_worker_each(group: str, names: Iterable[str]) -> list[Any]:
    """``names`` as fixture parameters, each in an xdist group of its own (``group-name``): under
    ``--dist loadgroup`` all tests of one parameter run on one worker, so a module-scoped server
    behind the parameter starts once."""
    return [pytest.param(name, marks=pytest.mark.xdist_group(f"{group}-{name}")) for name in names]
