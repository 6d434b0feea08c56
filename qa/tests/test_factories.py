"""The member factory: unique, realistic members whose passwords work, hashed once per password."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction

from conftest import FAST_HASHERS
from member.models import Member
from qa import factories
from qa.factories import DEFAULT_PASSWORD, MemberFactory, hashed_password

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def sign_in(rf, email: str, password: str):
    """What the sign-in form does with the credentials (axes wants the request)."""
    return authenticate(rf.post("/member/login/"), email=email, password=password)


def test_members_sign_in_with_the_default_password(rf, fast_password_hasher):
    member = MemberFactory()

    assert sign_in(rf, member.email, DEFAULT_PASSWORD) == member


def test_a_batch_gets_distinct_emails(fast_password_hasher):
    members = MemberFactory.create_batch(30)

    assert len({member.email.lower() for member in members}) == 30


def test_a_batch_costs_one_real_hash_per_distinct_password(rf, monkeypatch):
    calls: list[str] = []
    real = factories.make_password
    monkeypatch.setattr(factories, "make_password", lambda raw: calls.append(raw) or real(raw))
    raw = f"pw-{uuid.uuid4()}"

    members = MemberFactory.create_batch(5, password=raw)

    assert calls == [raw]
    assert members[0].password.startswith("argon2$")  # the project's own hasher, not a stand-in
    assert len({member.password for member in members}) == 1
    assert sign_in(rf, members[-1].email, raw) == members[-1]


def test_a_hash_made_under_the_fast_hasher_is_not_reused_under_argon2(settings):
    raw = f"pw-{uuid.uuid4()}"
    argon2_hashers = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = FAST_HASHERS
    fast = hashed_password(raw)
    settings.PASSWORD_HASHERS = argon2_hashers

    real = hashed_password(raw)

    # An MD5 hash would not even verify once MD5 is no longer a configured hasher.
    assert fast.startswith("md5$")
    assert real.startswith("argon2$")
    assert check_password(raw, real)


def test_inactive_members_cannot_sign_in(rf, fast_password_hasher):
    member = MemberFactory(inactive=True)

    assert not member.is_active
    assert sign_in(rf, member.email, DEFAULT_PASSWORD) is None


def test_staff_trait(fast_password_hasher):
    assert MemberFactory(staff=True).is_staff
    assert not MemberFactory().is_staff


def test_names_are_realistic_chinese_or_english(fast_password_hasher):
    chinese = MemberFactory.build(english=False).username
    english = MemberFactory.build(english=True).username

    assert CJK.search(chinese), chinese
    assert re.fullmatch(r"[A-Za-z .'-]+", english), english


def test_insert_many_makes_rows_batch_by_batch_with_the_prototypes_defaults(
    rf, fast_password_hasher
):
    taken = 0

    def emails():
        nonlocal taken
        for number in range(5):
            taken += 1
            yield f"bulk{number}@example.com"

    totals = MemberFactory.insert_many(
        emails(), usernames=["Ann", "Bo"], password="bulk-pw-2026", batch_size=2
    )

    assert next(totals) == 2
    assert taken == 2  # memory stays flat: nothing is made before its batch
    assert list(totals) == [4, 5]
    members = Member.objects.order_by("email")
    assert [(m.email, m.username) for m in members] == [
        ("bulk0@example.com", "Ann"),
        ("bulk1@example.com", "Bo"),
        ("bulk2@example.com", "Ann"),
        ("bulk3@example.com", "Bo"),
        ("bulk4@example.com", "Ann"),
    ]
    assert all(m.is_active and not m.is_staff and m.date_joined for m in members)
    assert len({m.password for m in members}) == 1  # one hash, shared
    assert sign_in(rf, "bulk4@example.com", "bulk-pw-2026") is not None


def test_insert_many_still_meets_the_unique_email_constraint(fast_password_hasher):
    MemberFactory(email="taken@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        list(MemberFactory.insert_many(["taken@example.com"], usernames=["X"]))
