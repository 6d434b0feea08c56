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


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_line_redrawn_in_place(fast_password_hasher):
    err = Terminal()
    call_command("seed_members", count=30, batch_size=10, stdout=StringIO(), stderr=err)

    assert err.getvalue() == "\r  10/30 members\r  20/30 members\r  30/30 members\n"


def test_no_progress_in_a_log_or_for_one_batch(fast_password_hasher):
    _, logged = seed(count=30, batch_size=10)
    small = Terminal()
    call_command("seed_members", count=5, batch_size=10, stdout=StringIO(), stderr=small)

    assert logged == ""
    assert small.getvalue() == ""


def test_a_chosen_prefix_is_stored_in_the_normal_form(fast_password_hasher):
    out, _ = seed(count=3, email_prefix="LOAD-")

    assert printed(out, "email") == "load-00001@example.com"
    assert sorted(Member.objects.values_list("email", flat=True)) == [
        "load-00001@example.com",
        "load-00002@example.com",
        "load-00003@example.com",
    ]
    with pytest.raises(CommandError, match="exist already"):
        seed(count=1, email_prefix="Load-")


def test_a_prefix_that_makes_no_email_is_refused():
    with pytest.raises(CommandError, match="makes no valid email"):
        seed(count=1, email_prefix="two words ")


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
