"""Writes that change members, as named functions with keyword-only arguments."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from member.models import Member


class EmailTaken(Exception):
    """Another member already signs in with this email address (in any letter case)."""


def member_create(*, email: str, username: str, password: str) -> Member:
    """Create an active member with a hashed password, all or nothing.

    Raises ``EmailTaken`` when the email is in use, including when a concurrent sign-up wins the
    race between the form's check and the insert (the unique constraint decides).
    """
    member = Member(email=Member.objects.normalize_email(email), username=username)
    member.set_password(password)
    try:
        with transaction.atomic():
            member.save(force_insert=True)
    except IntegrityError as error:
        raise EmailTaken(email) from error
    return member


def email_in_use(email: str) -> bool:
    return Member.objects.filter(email__iexact=email).exists()
