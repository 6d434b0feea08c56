"""``manage.py ensure_demo_member``: afterwards the printed email and password sign in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from member.models import Member
from member.tests.helpers import HOME_URL, post_login, signed_in_member_id

pytestmark = pytest.mark.django_db


def ensure_demo_member() -> dict[str, str]:
    """Run the command; return the ``email`` and ``password`` it printed on lines of their own."""
    out = StringIO()
    call_command("ensure_demo_member", stdout=out)
    printed: dict[str, str] = {}
    for line in out.getvalue().splitlines():
        key, separator, value = line.partition(": ")
        if separator and key in {"email", "password"}:
            printed[key] = value
    assert set(printed) == {"email", "password"}, out.getvalue()
    return printed


def test_prints_email_and_password_on_lines_of_their_own(fast_password_hasher: None) -> None:
    out = StringIO()

    call_command("ensure_demo_member", stdout=out)

    lines = out.getvalue().splitlines()
    assert any(line.startswith("email: ") and "@" in line for line in lines)
    assert any(line.startswith("password: ") and len(line) > len("password: ") for line in lines)


def test_printed_credentials_sign_in(client: Client, fast_password_hasher: None) -> None:
    printed = ensure_demo_member()

    response = post_login(client, email=printed["email"], password=printed["password"])

    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    assert signed_in_member_id(client) is not None


def test_running_twice_keeps_one_member_that_signs_in(
    client: Client, fast_password_hasher: None
) -> None:
    ensure_demo_member()
    printed = ensure_demo_member()

    assert Member.objects.filter(email__iexact=printed["email"]).count() == 1
    response = post_login(client, email=printed["email"], password=printed["password"])
    assert response.status_code == 302


def test_running_again_restores_a_changed_password(
    client: Client, fast_password_hasher: None
) -> None:
    printed = ensure_demo_member()
    demo = Member.objects.get(email__iexact=printed["email"])
    demo.set_password("someone-changed-it-1")
    demo.is_active = False
    demo.save()

    printed = ensure_demo_member()

    response = post_login(client, email=printed["email"], password=printed["password"])
    assert response.status_code == 302
