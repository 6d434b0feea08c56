"""The member model: email is the login, unique and matched ignoring letter case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from member.actions import EmailTaken, member_create
from member.models import Member

pytestmark = pytest.mark.django_db


def test_member_is_the_user_model() -> None:
    from django.contrib.auth import get_user_model

    assert get_user_model() is Member
    assert Member.USERNAME_FIELD == "email"


def test_create_user_needs_an_email(fast_password_hasher: None) -> None:
    with pytest.raises(ValidationError):
        Member.objects.create_user("", "a-password-1", username="Nobody")

    assert not Member.objects.exists()


def test_email_is_looked_up_ignoring_case(member: Member) -> None:
    assert Member.objects.get_by_natural_key("ADA@Example.COM") == member


def test_create_user_refuses_an_email_in_another_case(member: Member) -> None:
    with pytest.raises(ValidationError):
        Member.objects.create_user("ADA@example.com", "a-password-1", username="Other")

    assert Member.objects.count() == 1


def test_database_refuses_an_email_in_another_case(member: Member) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(email="ADA@example.com", username="Other")


def test_member_is_greeted_by_username(member: Member) -> None:
    assert member.get_full_name() == member.username == member.get_short_name()
    assert str(member) == f"{member.username} <{member.email}>"


def test_member_create_hashes_and_saves(fast_password_hasher: None) -> None:
    member = member_create(email="grace@EXAMPLE.com", username="Grace", password="cobol-1959-x")

    member.refresh_from_db()
    assert member.email.lower() == "grace@example.com"
    assert member.check_password("cobol-1959-x")
    assert member.password != "cobol-1959-x"


def test_member_create_raises_email_taken_and_leaves_nothing(member: Member) -> None:
    with pytest.raises(EmailTaken):
        member_create(email="ADA@example.com", username="Other", password="cobol-1959-x")

    assert Member.objects.count() == 1


def test_createsuperuser_by_email(
    monkeypatch: pytest.MonkeyPatch, fast_password_hasher: None
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin-password-2026")

    call_command(
        "createsuperuser",
        interactive=False,
        email="admin@example.com",
        username="Admin",
        verbosity=0,
    )

    admin = Member.objects.get(email="admin@example.com")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password("admin-password-2026")


@pytest.mark.parametrize(
    "path",
    ["/admin/member/member/", "/admin/member/member/add/", "/admin/member/member/{pk}/change/"],
)
def test_admin_works_for_members(
    client: Client, member: Member, fast_password_hasher: None, path: str
) -> None:
    admin = Member.objects.create_superuser(
        "admin@example.com", "admin-password-2026", username="Admin"
    )
    client.force_login(admin)

    response = client.get(path.format(pk=member.pk))

    assert response.status_code == 200


def test_admin_sign_in_goes_through_the_captcha_login(client: Client) -> None:
    """The admin's own login form would check passwords without a captcha; it is not reachable."""
    response = client.post("/admin/login/?next=/admin/", {"username": "x", "password": "y"})

    assert response.status_code == 302
    assert response["Location"] == "/member/login/?next=/admin/"


def test_staff_signed_in_through_the_member_login_reach_the_admin(
    client: Client, fast_password_hasher: None
) -> None:
    staff = Member.objects.create_superuser("boss@example.com", "boss-password-2026", username="B")
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
