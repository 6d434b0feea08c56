"""Writes that change members, as named functions with keyword-only arguments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from member.emails import normalise_email_for_lookup
from member.models import Member


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


def password_reset_send(*, request: HttpRequest, email: str) -> bool:
    """Mail a one-time reset link to the active member with ``email``, if there is one.

    The mail is in the request's language. Members without a usable password and inactive
    members get nothing; the caller answers the same either way, and the same work is done
    either way (the token and the mail are made for a stand-in member too, only not sent), so
    the time an answer takes says nothing about the address. Returns whether a mail went out.
    """
    address = normalise_email_for_lookup(email)
    member = Member.objects.filter(email=address, is_active=True).first()
    real = member is not None and member.has_usable_password()
    recipient = member if real else Member(email=address, username="")
    if not real:
        recipient.set_unusable_password()
    path = reverse(
        "member:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(recipient.pk or 0)),
            "token": default_token_generator.make_token(recipient),
        },
    )
    context = {
        "member": recipient,
        "url": request.build_absolute_uri(path),
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = render_to_string("member/mail/password_reset_subject.txt", context).strip()
    body = render_to_string("member/mail/password_reset.txt", context)
    if real:
        send_mail(subject, body, None, [recipient.email])
    return real
