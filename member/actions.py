"""Writes that change members, and the mails about them, as named functions with keyword-only
arguments."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from member import throttle
from member.conf import member_settings
from member.emails import normalise_email_for_lookup
from member.mail import enqueue_mail, mail_builder
from member.models import Member
from member.throttle import lockout_started


class EmailTaken(Exception):
    """Another member already signs in with this email address (in any spelling of it)."""


def member_create(*, email: str, username: str, password: str) -> Member:
    """Create an active member through ``Member.objects.create_user``, all or nothing.

    Raises ``EmailTaken`` when the email is in use, including when a concurrent sign-up wins the
    race between the check and the insert (the unique constraint decides).
    """
    try:
        with transaction.atomic():
            return Member.objects.create_user(email, password, username=username)
    except IntegrityError as error:
        raise EmailTaken(email) from error
    except ValidationError as error:
        codes = {item.code for items in error.error_dict.values() for item in items}
        if codes & {"unique", "email_taken"}:
            raise EmailTaken(email) from error
        raise


def enqueue_password_reset_mail(*, request: HttpRequest, email: str) -> None:
    """Queue the password-reset mail for ``email``, in the page's language, linking to this site.

    One queued task for any address, member or not: the task worker decides whether there is a
    member to mail (``password_reset_mail``), so the answer's status and time say nothing about
    the address, and nothing about the mail server either (it is never contacted here).
    """
    enqueue_mail(
        password_reset_mail,
        email=normalise_email_for_lookup(email),
        base_url=request.build_absolute_uri("/"),
    )


@mail_builder
def password_reset_mail(*, email: str, base_url: str) -> EmailMessage | None:
    """The reset mail for the active member with ``email`` (in its normal form): a one-time link
    under ``base_url`` that expires after ``PASSWORD_RESET_TIMEOUT``, in the active language.

    ``None`` (nothing is sent) for an unknown email, an inactive member and a member without a
    usable password. Built by the task worker at each attempt, so the link is never stored.
    """
    member = Member.objects.filter(email=email, is_active=True).first()
    if member is None or not member.has_usable_password():
        return None
    path = reverse(
        "member:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
            "token": default_token_generator.make_token(member),
        },
    )
    context = {
        "member": member,
        "url": urljoin(base_url, path),
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = render_to_string("member/mail/password_reset_subject.txt", context).strip()
    body = render_to_string("member/mail/password_reset.txt", context)
    return EmailMessage(subject, body, to=[member.email])


@receiver(lockout_started)
def enqueue_lockout_mail(*, request: HttpRequest, account: str, **kwargs: Any) -> None:
    """When an account's lockout starts: queue the mail that tells its owner, in the site's
    language. Queued for any account, member or not, as the reset mail is: the sign-in page
    answers exactly the same either way."""
    enqueue_mail(
        lockout_mail,
        language=settings.LANGUAGE_CODE,
        account=account,
        failures=member_settings.LOGIN_FAILURES_PER_ACCOUNT,
        addresses=throttle.addresses_failing(account),
        base_url=request.build_absolute_uri("/"),
    )


@mail_builder
def lockout_mail(
    *, account: str, failures: int, addresses: int, base_url: str
) -> EmailMessage | None:
    """The mail that tells the active member with email ``account`` that sign-ins to their
    account are being refused: how many failed, from how many addresses, for how long, that
    their remembered browsers still sign in, and where to set a new password. ``None`` for an
    unknown email or an inactive member."""
    member = Member.objects.filter(email=account, is_active=True).first()
    if member is None:
        return None
    context = {
        "member": member,
        "failures": failures,
        "addresses": addresses,
        "minutes": max(1, member_settings.LOGIN_FAILURE_WINDOW // 60),
        "reset_url": urljoin(base_url, reverse("member:password_reset")),
    }
    subject = render_to_string("member/mail/lockout_subject.txt", context).strip()
    body = render_to_string("member/mail/lockout.txt", context)
    return EmailMessage(subject, body, to=[member.email])
