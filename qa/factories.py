"""factory_boy factories for members, shared by the unit suites, the browser suite and seeding.

``MemberFactory(password="raw")`` takes the *raw* password and stores its hash. The hash of each
distinct raw password is computed once per hasher configuration and reused, so a batch of a
thousand members costs one Argon2 hash instead of a thousand (about 0.13 s each on this machine).
Members that share a raw password therefore share one salt too, which is fine for test data and
exactly what makes seeding fast.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections, router
from factory.django import DjangoModelFactory

from member.emails import normalise_email
from member.models import Member

__all__ = ["DEFAULT_PASSWORD", "MemberFactory", "hashed_password"]

# The raw password every factory member signs in with unless a test says otherwise. Long and
# uncommon enough to pass the sign-up page's password validators too, so both member strategies of
# the browser suite (factory and sign-up page) can use it.
DEFAULT_PASSWORD = "qa-Passw0rd-2026!"  # noqa: S105  (test data, printed and shared on purpose)

_hash_cache: dict[tuple[str, tuple[str, ...]], str] = {}
_hash_lock = threading.Lock()


def hashed_password(raw: str) -> str:
    """The stored form of ``raw`` under the current ``PASSWORD_HASHERS``, hashed once and reused.

    The cache key includes the hasher list: a hash made while a test had swapped in the fast MD5
    hasher would not verify once the Argon2-only list is back, so each configuration gets its own.
    """
    key = (raw, tuple(settings.PASSWORD_HASHERS))
    with _hash_lock:
        cached = _hash_cache.get(key)
        if cached is None:
            cached = _hash_cache[key] = make_password(raw)
        return cached


class MemberFactory(DjangoModelFactory):
    """An active member with a unique email, a realistic name and ``DEFAULT_PASSWORD``.

    - ``password``: the raw password (hashed through ``hashed_password``).
    - ``english=True`` / ``False``: an English or a Traditional Chinese name (random by default).
    - traits ``inactive=True`` and ``staff=True``.

    Emails come from a sequence, unique within a process; for databases that already hold members
    (seeding), pass ``email`` or use a per-run prefix as ``seed_members`` does.
    """

    class Meta:
        model = Member
        skip_postgeneration_save = True

    class Params:
        english = factory.Faker("pybool")
        inactive = factory.Trait(is_active=False)
        staff = factory.Trait(is_staff=True)

    email = factory.Sequence(lambda n: f"member{n:05d}@example.com")
    username = factory.Maybe(
        "english",
        yes_declaration=factory.Faker("name", locale="en_US"),
        no_declaration=factory.Faker("name", locale="zh_TW"),
    )
    password = DEFAULT_PASSWORD
    is_active = True
    is_staff = False

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        # Runs for build, create and their batches alike, so rows that ``bulk_create`` inserts
        # without the manager (``seed_members``) still get the shared hash and the normal email.
        kwargs["password"] = hashed_password(kwargs["password"])
        kwargs["email"] = normalise_email(kwargs["email"])
        return kwargs

    @classmethod
    def _create(cls, model_class: type[Member], *args: Any, **kwargs: Any) -> Member:
        # The one way members are made (validation, unique check), minus per-row hashing.
        email, password_hash = kwargs.pop("email"), kwargs.pop("password")
        return model_class.objects.create_user(email, password_hash=password_hash, **kwargs)

    @classmethod
    def insert_many(
        cls,
        emails: Iterable[str],
        *,
        usernames: Iterable[str],
        password: str = DEFAULT_PASSWORD,
        batch_size: int = 1000,
    ) -> Iterator[int]:
        """Insert one active member per email, ``batch_size`` at a time: seeding at scale.

        Yields the running total after each batch; the caller's transaction makes it all or
        nothing. The factory builds one prototype (its defaults, the shared hash of ``password``)
        and Django prepares its database values once; every row is those values with its own
        email and the next of ``usernames`` (cycled), sent with ``executemany``: Django prepares
        the same values once, not once a member. Rows are made batch by batch as they are
        inserted, so memory stays flat. ``emails`` must be in the normal form
        (``member.emails.normalise_email``); the database's unique constraints still check them.
        """
        prototype = cls.build(password=password)
        fields = [field for field in Member._meta.concrete_fields if not field.primary_key]
        connection = connections[router.db_for_write(Member)]
        prepared = [
            field.get_db_prep_save(field.pre_save(prototype, add=True), connection)
            for field in fields
        ]
        email_at = fields.index(Member._meta.get_field("email"))
        username_at = fields.index(Member._meta.get_field("username"))
        quote = connection.ops.quote_name
        # Identifiers come from the model and are quoted by the backend; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(Member._meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        rows = zip(emails, itertools.cycle(usernames))
        total = 0
        with connection.cursor() as cursor:
            while batch := list(itertools.islice(rows, batch_size)):
                values = []
                for email, username in batch:
                    row = prepared.copy()
                    row[email_at], row[username_at] = email, username
                    values.append(row)
                cursor.executemany(sql, values)
                total += len(values)
                yield total
