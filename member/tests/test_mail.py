"""Mail off the request path (member.mail): a reset request only queues a task; the task worker
builds the mail, sends it, and tries again while the mail server cannot take it.

The worker is django-tasks-db's own, run in this process over the test database
(``run_queued_tasks``); the mail server is Django's test outbox, a real SMTP server (aiosmtpd), or
a loopback port where nothing listens. Delays of 0 seconds let one batch run every attempt; a
longer one is read back from the queue, never waited for. The same path through real app server,
worker and SMTP processes: qa/tests/test_reset_mail.py.
"""

from __future__ import annotations

import logging
import os
import re
import runpy
from datetime import timedelta
from typing import Any, ClassVar
from unittest import mock

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.locmem import EmailBackend as OutboxBackend
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from member.mail import deliver_mail, enqueue_mail
from member.models import Member
from member.tests.helpers import (
    MEMBER_EMAIL,
    LogRecorder,
    new_captcha,
    run_queued_tasks,
    sent_mail,
)
from member.tests.test_production import SETTINGS_FILE, production_environment
from qa.throwaway_servers import free_port, smtp_server

RESET_URL = "/member/password/reset/"
STRANGER = "nobody@example.com"
LINK = re.compile(r"/member/password/reset/[^/\s]+/[^/\s]+/")
# Django's reset token: the timestamp in base 36, a dash, 32 hex digits of HMAC.
SAVEPOINT = re.compile(r'SAVEPOINT "[^"]+"')
TOKEN = re.compile(r"\b[0-9a-z]+-[0-9a-f]{32}\b")


def ask_for_reset(client: Client, email: str = MEMBER_EMAIL, **extra: Any) -> Any:
    return client.post(RESET_URL, {"useremail": email, "captcha": new_captcha(client)}, **extra)


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status=TaskResultStatus.READY))


def results() -> list[str]:
    """What each task that ran returned, oldest first."""
    finished = DBTaskResult.objects.exclude(status=TaskResultStatus.READY).order_by("enqueued_at")
    return [task.return_value for task in finished]


@pytest.fixture
def nothing_listening(settings: Any) -> None:
    """The site's mail server is down: SMTP to a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


class FlakyBackend(OutboxBackend):
    """The test outbox behind a mail server that drops the first ``failures`` connections."""

    failures: ClassVar[int] = 0

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise ConnectionResetError(104, "Connection reset by peer")
        return super().send_messages(messages)


# The request


def test_the_request_queues_the_mail_and_sends_nothing_itself(member: Member) -> None:
    response = ask_for_reset(Client())

    assert response.status_code == 302
    assert mail.outbox == []
    assert [task.task_path for task in queued()] == ["member.mail.deliver_mail"]
    assert [message.to for message in sent_mail()] == [[MEMBER_EMAIL]]


def test_a_member_and_a_stranger_cost_the_request_the_same_work(member: Member) -> None:
    """The same SQL statements (values aside) and one queued task of the same shape: nothing in
    the request depends on whether the address has a member."""
    statements: dict[str, list[str]] = {}
    for number, email in enumerate((MEMBER_EMAIL, STRANGER)):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        sql: list[str] = []

        def record(execute: Any, query: str, *args: Any, sql: list[str] = sql) -> Any:
            sql.append(query)
            return execute(query, *args)

        with connection.execute_wrapper(record):
            assert ask_for_reset(client, email).status_code == 302
        statements[email] = [SAVEPOINT.sub("SAVEPOINT", query) for query in sql]

    assert statements[MEMBER_EMAIL] == statements[STRANGER]
    member_task, stranger_task = sorted(queued(), key=lambda task: task.enqueued_at)
    assert member_task.task_path == stranger_task.task_path
    stranger_arguments = stranger_task.args_kwargs["args"]
    stranger_arguments[1]["email"] = MEMBER_EMAIL
    assert member_task.args_kwargs["args"] == stranger_arguments
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["unknown", "inactive", "unusable password"])
def test_nobody_to_mail_is_nothing_sent_and_nothing_retried(member: Member, who: str) -> None:
    if who == "inactive":
        member.is_active = False
    elif who == "unusable password":
        member.set_unusable_password()
    member.save()

    ask_for_reset(Client(), STRANGER if who == "unknown" else MEMBER_EMAIL)

    assert sent_mail() == []
    assert results() == ["nothing to send"]
    assert queued() == []


def test_the_link_points_at_the_site_the_request_came_to(member: Member) -> None:
    ask_for_reset(Client(), headers={"X-Forwarded-Proto": "https", "Host": "localhost"})

    [message] = sent_mail()
    assert "https://localhost/member/password/reset/" in message.body


# Retries


def test_a_mail_the_server_cannot_take_is_queued_again_for_after_the_delay(
    member: Member, nothing_listening: None, settings: Any, logged: LogRecorder
) -> None:
    settings.MEMBER_MAIL_RETRY_DELAYS = [3600]
    ask_for_reset(Client())

    before = timezone.now()
    run_queued_tasks()
    after = timezone.now()

    [retry] = queued()
    assert before + timedelta(hours=1) <= retry.run_after <= after + timedelta(hours=1)
    assert retry.args_kwargs["args"][3] == 2  # the attempt
    assert results() == ["retrying"]
    assert logged.lines("member.mail", logging.WARNING) == [
        f"mail password_reset_mail not sent account='{MEMBER_EMAIL}' attempt=1 of 2 "
        "error=ConnectionRefusedError Connection refused next_attempt_in=3600s"
    ]


def test_a_mail_is_sent_once_the_server_takes_it(
    member: Member, settings: Any, logged: LogRecorder
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.MEMBER_MAIL_RETRY_DELAYS = [0, 0, 0]
    FlakyBackend.failures = 2

    ask_for_reset(Client())

    assert [message.to for message in sent_mail()] == [[MEMBER_EMAIL]]
    assert results() == ["retrying", "retrying", "sent"]
    assert len(logged.lines("member.mail", logging.WARNING)) == 2
    assert logged.lines("member.mail", logging.INFO)[-1] == (
        f"mail password_reset_mail sent account='{MEMBER_EMAIL}' attempt=3"
    )


def test_a_mail_never_taken_is_given_up_with_an_error_naming_the_account_never_the_link(
    member: Member, nothing_listening: None, settings: Any, logged: LogRecorder
) -> None:
    settings.MEMBER_MAIL_RETRY_DELAYS = [0, 0]
    ask_for_reset(Client())

    run_queued_tasks()

    assert results() == ["retrying", "retrying", "given up"]
    assert queued() == []
    assert logged.lines("member.mail", logging.ERROR) == [
        f"mail password_reset_mail given up account='{MEMBER_EMAIL}' attempts=3 "
        "error=ConnectionRefusedError Connection refused"
    ]
    everything = logged.everything()
    assert MEMBER_EMAIL in everything  # the recorder saw the mail module's lines
    assert not LINK.search(everything)
    assert not TOKEN.search(everything)


def test_a_real_smtp_server_that_comes_back_gets_the_mail(
    member: Member, nothing_listening: None, settings: Any
) -> None:
    settings.MEMBER_MAIL_RETRY_DELAYS = [3600]
    ask_for_reset(Client())
    run_queued_tasks()  # the first attempt, against the dead port
    [retry] = queued()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # the hour passed

    with smtp_server(port=settings.EMAIL_PORT) as inbox:
        run_queued_tasks()

    [message] = inbox.contents
    assert f"To: {MEMBER_EMAIL}" in message
    assert results() == ["retrying", "sent"]


# The queue's contents are data: only marked builders are ever called by name.


def test_only_marked_builders_are_queued_or_called(db: None) -> None:
    with pytest.raises(ValueError, match="not a @mail_builder"):
        enqueue_mail(timezone.now)

    deliver_mail.enqueue("django.utils.timezone.now", {}, "en")
    run_queued_tasks()

    [failed] = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert failed.exception_class_path == "builtins.ValueError"


# The setting


@pytest.mark.parametrize("value", ["60", [60, -1], [1.5], 60, [True]])
def test_retry_delays_of_the_wrong_type_are_refused(settings: Any, value: Any) -> None:
    settings.MEMBER_MAIL_RETRY_DELAYS = value

    assert "member.E027" in {message.id for message in run_checks()}


@pytest.mark.parametrize("value", [[], (0,), [60, 300]])
def test_retry_delays_as_lists_of_seconds_are_accepted(settings: Any, value: Any) -> None:
    settings.MEMBER_MAIL_RETRY_DELAYS = value

    assert "member.E027" not in {message.id for message in run_checks()}


def test_retry_delays_come_from_the_environment() -> None:
    environment = production_environment(MEMBER_MAIL_RETRY_DELAYS=" 5, 10 ")
    with mock.patch.dict(os.environ, environment, clear=True):
        namespace = runpy.run_path(str(SETTINGS_FILE))

    assert namespace["MEMBER_MAIL_RETRY_DELAYS"] == [5, 10]


@pytest.mark.parametrize("raw", ["5,soon", "5,-1"])
def test_retry_delays_in_the_environment_must_be_seconds(raw: str) -> None:
    environment = production_environment(MEMBER_MAIL_RETRY_DELAYS=raw)
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        pytest.raises(ImproperlyConfigured, match="MEMBER_MAIL_RETRY_DELAYS"),
    ):
        runpy.run_path(str(SETTINGS_FILE))
