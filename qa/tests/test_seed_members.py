"""``manage.py seed_members``: many members fast, never clashing, and a way to sign in as one."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from member.models import Member
from qa.factories import MemberFactory
from qa.management.commands import seed_members

pytestmark = pytest.mark.django_db


def seed(**options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_members", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def printed(output: str, key: str) -> str:
    match = re.search(rf"^{key}: (.+)$", output, flags=re.MULTILINE)
    assert match, f"no '{key}:' line in:\n{output}"
    return match.group(1)


def test_seeded_members_sign_in_with_the_printed_credentials(rf, fast_password_hasher):
    out, _ = seed(count=25, password="seed-secret-2026")

    assert Member.objects.count() == 25
    email, password = printed(out, "email"), printed(out, "password")
    assert password == "seed-secret-2026"
    member = authenticate(rf.post("/member/login/"), email=email, password=password)
    assert member is not None and member.is_active


def test_runs_never_collide_with_existing_emails(monkeypatch, fast_password_hasher):
    MemberFactory(email="seed-aaaaaaaa-00001@example.com")
    tokens = iter(["aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(seed_members.secrets, "token_hex", lambda _size: next(tokens))

    out, _ = seed(count=3)

    assert printed(out, "email") == "seed-bbbbbbbb-00001@example.com"
    assert Member.objects.filter(email__startswith="seed-bbbbbbbb-").count() == 3


def test_two_runs_make_distinct_members(fast_password_hasher):
    seed(count=40)
    seed(count=40)

    emails = list(Member.objects.values_list("email", flat=True))
    assert len(emails) == 80
    assert len({email.lower() for email in emails}) == 80


def test_progress_is_shown_for_large_counts_only(fast_password_hasher):
    _, big = seed(count=30, batch_size=10)
    _, small = seed(count=5, batch_size=10)

    assert [line.strip() for line in big.splitlines()] == [
        "10/30 members",
        "20/30 members",
        "30/30 members",
    ]
    assert small == ""


def test_a_count_below_one_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_members", "--count", "0")


def test_ten_thousand_members_with_argon2_sign_in_with_the_printed_password(settings):
    """How fast is ``make bench``'s business (bench.seed); this is about what seeding makes."""
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")

    out, _ = seed(count=10_000)

    assert Member.objects.count() == 10_000
    member = Member.objects.get(email=printed(out, "email"))
    assert member.check_password(printed(out, "password"))
    assert member.password.startswith("argon2$")
