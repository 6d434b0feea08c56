"""``manage.py seed_members --count N [--password PW]``: many members, fast, through the factories.

Fast because the expensive parts happen once: the password is hashed once (``hashed_password``),
a small pool of Faker names is drawn once and cycled, the email prefix is normalised once, and
rows go in through ``MemberFactory.insert_many`` (one factory-built prototype whose database
values are prepared once) in batches of ``executemany`` inside one transaction (all or nothing).
Batches are made as they are inserted, so memory stays flat however many members are asked for.
Emails carry a per-run prefix checked against the database, so a run never collides with members
that are already there, seeded or not.
"""

from __future__ import annotations

import secrets
import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from member.emails import normalise_email
from member.models import Member
from qa.factories import DEFAULT_PASSWORD, MemberFactory

EMAIL_DOMAIN = "example.com"
# Distinct names drawn from Faker per run and cycled: Faker is slow per name, and a few hundred
# names look just as real in a member list.
NAME_POOL_SIZE = 500
PREFIX_ATTEMPTS = 10


def positive_int(raw: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(raw)
    except ValueError:
        raise ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


def fresh_email_prefix() -> str:
    """A per-run email prefix (``seed-<hex>-``) that no member's email starts with yet."""
    for _ in range(PREFIX_ATTEMPTS):
        prefix = f"seed-{secrets.token_hex(4)}-"
        if not Member.objects.filter(email__istartswith=prefix).exists():
            return prefix
    raise CommandError("Could not find an unused email prefix; is the member table full of seeds?")


def chosen_email_prefix(prefix: str) -> str:
    """A prefix the caller chose (e.g. ``load-`` for the load run), in the emails' normal form,
    if no email starts with it."""
    try:
        normal = normalise_email(email(prefix, 1))
    except ValidationError as error:
        message = error.messages[0]
        raise CommandError(f"--email-prefix {prefix!r} makes no valid email: {message}") from None
    prefix = normal.removesuffix(email("", 1))
    if Member.objects.filter(email__istartswith=prefix).exists():
        raise CommandError(f"Members with emails starting {prefix!r} exist already.")
    return prefix


def email(prefix: str, number: int) -> str:
    """The address of a run's ``number``-th member (1-based)."""
    return f"{prefix}{number:05d}@{EMAIL_DOMAIN}"


class Command(BaseCommand):
    help = (
        "Create N members with unique emails through the QA factories and print how to sign in "
        "as one of them."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--count", type=positive_int, default=10, help="how many members (default 10)"
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="the raw password every new member signs in with (default: the QA password)",
        )
        parser.add_argument(
            "--email-prefix",
            help="emails are <prefix>NNNNN@example.com (default: a fresh seed-<random>- prefix); "
            "refused if a member's email already starts with it",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=1000,
            help="members per INSERT batch (default 1000)",
        )

    def handle(
        self,
        *args: Any,
        count: int,
        password: str,
        batch_size: int,
        email_prefix: str | None,
        **options: Any,
    ) -> None:
        if not password:
            raise CommandError("--password must not be empty.")
        started = time.perf_counter()
        prefix = chosen_email_prefix(email_prefix) if email_prefix else fresh_email_prefix()
        pool = [member.username for member in MemberFactory.build_batch(min(count, NAME_POOL_SIZE))]
        # A prefix in normal form and numbers keep the whole address in normal form.
        emails = (email(prefix, number) for number in range(1, count + 1))
        # On a terminal, one progress line redrawn in place; in a log, none (stderr, so stdout
        # stays the machine-readable sign-in lines below).
        progress = self.stderr.isatty() and count > batch_size
        with transaction.atomic():
            for created in MemberFactory.insert_many(
                emails, usernames=pool, password=password, batch_size=batch_size
            ):
                if progress:
                    self.stderr.write(f"\r  {created}/{count} members", ending="")
                    self.stderr.flush()
        if progress:
            self.stderr.write("")

        elapsed = time.perf_counter() - started
        self.stdout.write(f"Created {count} members in {elapsed:.1f} s. Sign in as one of them:")
        self.stdout.write(f"email: {email(prefix, 1)}")
        self.stdout.write(f"password: {password}")
