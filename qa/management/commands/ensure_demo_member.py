"""``make run``'s demo member: afterwards it exists and signs in with the printed password.

A development tool, in the QA app: production settings do not install it, so no deployment can
reset an account to this published password.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from member.models import Member

DEMO_EMAIL = "demo@example.com"
DEMO_NAME = "示範會員"
DEMO_PASSWORD = "captcha-demo-2026"  # noqa: S105  (a development account, printed on purpose)


class Command(BaseCommand):
    help = "Make sure the demo member exists and signs in with the printed password."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", default=DEMO_EMAIL)
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, email: str, password: str, **options: Any) -> None:
        member = Member.objects.filter(email=Member.objects.normalize_email(email)).first()
        if member is None:
            member = Member.objects.create_user(email, password, username=DEMO_NAME)
        # Reset every time, so the printed password is right even if someone changed it.
        member.is_active = True
        member.set_password(password)
        member.save()
        self.stdout.write(f"email: {member.email}")
        self.stdout.write(f"password: {password}")
