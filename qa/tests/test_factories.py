"""The member factory: unique, realistic members whose passwords work, hashed once per password."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password

from conftest import FAST_HASHERS
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
