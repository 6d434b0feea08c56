"""Writes that change members, as named functions with keyword-only arguments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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
