"""Mail off the request path: a request only queues a mail; the task worker builds and sends it.

A mail is named by its *builder*: a module-level function marked ``@mail_builder`` that takes
JSON-serialisable keyword arguments and returns the ``EmailMessage`` to send, or ``None`` when
there is nobody to send it to. ``enqueue_mail(builder, **arguments)`` queues one ``deliver_mail``
task (django-tasks, database backend; ``manage.py db_worker`` runs it), whoever the arguments
name: the request does the same work either way, and never waits on the mail server.

The queue holds the builder's name, its arguments and a language, never the message: a message
may carry a credential (a password-reset link), so it is built in the worker, anew at each
attempt.

A mail the mail server cannot take now (nothing listening, refused, disconnected, timed out: any
``OSError``, which every ``smtplib`` error is) is tried again after each delay of
``MEMBER_MAIL_RETRY_DELAYS``, by queueing the task again to run after that delay with the next
attempt number. After the last attempt the mail is given up with an ERROR log line naming the
recipients and the attempts. No log line carries a message's subject or body, nor the server's
reply text. Any other error (a bug in a builder) fails the task, which the worker logs with its
traceback.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django_tasks import task

from member import metrics
from member.conf import member_settings

logger = logging.getLogger(__name__)

Builder = Callable[..., EmailMessage | None]

_builders: dict[str, Builder] = {}


def _path(builder: Builder) -> str:
    return f"{builder.__module__}.{builder.__qualname__}"


def mail_builder(builder: Builder) -> Builder:
    """Mark ``builder`` as a mail ``deliver_mail`` may build: only marked functions are called
    by name from the queue."""
    _builders[_path(builder)] = builder
    return builder


def enqueue_mail(builder: Builder, *, language: str | None = None, **arguments: Any) -> None:
    """Queue one mail: ``builder(**arguments)`` is called by the task worker, in ``language``
    (default: the active one, i.e. the page's), and what it returns is sent, with retries.

    Raises ``ValueError`` for a function not marked ``@mail_builder``.
    """
    path = _path(builder)
    if _builders.get(path) is not builder:
        raise ValueError(f"{path} is not a @mail_builder")
    deliver_mail.enqueue(path, arguments, language or translation.get_language())


def _builder(path: str) -> Builder:
    import_string(path)  # imports the builder's module, which marks it
    try:
        return _builders[path]
    except KeyError:
        raise ValueError(f"{path} is not a @mail_builder") from None


def _describe(error: OSError) -> str:
    """The error's kind and code, never the server's reply text (it may echo the message)."""
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.smtp_code}"
    return f"{type(error).__name__} {error.strerror}" if error.strerror else type(error).__name__


@task()
def deliver_mail(builder: str, arguments: dict[str, Any], language: str, attempt: int = 1) -> str:
    """Build the mail ``builder`` names and send it; on a mail-server error, queue the next
    attempt after its delay, or give up with an ERROR after the last one.

    Returns what happened: ``sent``, ``nothing to send``, ``retrying`` or ``given up``.
    """
    name = builder.rsplit(".", 1)[-1]
    with translation.override(language):
        message = _builder(builder)(**arguments)
    if message is None:
        logger.info("mail %s nothing to send attempt=%d", name, attempt)
        return "nothing to send"
    kind = name.removesuffix("_mail")
    account = ",".join(message.recipients())
    try:
        message.send()
    except OSError as error:
        delays = member_settings.MAIL_RETRY_DELAYS
        if attempt > len(delays):
            metrics.MAILS.labels(kind, "given_up").inc()
            logger.error(
                "mail %s given up account=%r attempts=%d error=%s",
                name,
                account,
                attempt,
                _describe(error),
            )
            return "given up"
        metrics.MAILS.labels(kind, "failed").inc()
        delay = delays[attempt - 1]
        deliver_mail.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            builder, arguments, language, attempt + 1
        )
        logger.warning(
            "mail %s not sent account=%r attempt=%d of %d error=%s next_attempt_in=%ds",
            name,
            account,
            attempt,
            len(delays) + 1,
            _describe(error),
            delay,
        )
        return "retrying"
    metrics.MAILS.labels(kind, "sent").inc()
    logger.info("mail %s sent account=%r attempt=%d", name, account, attempt)
    return "sent"
