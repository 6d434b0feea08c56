"""``manage.py clearthrottle``: drop expired rate-limit counters; ``--all`` lifts every lockout."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from member import ratelimit, throttle
from member.models import ThrottleCounter


class Command(BaseCommand):
    help = (
        "Delete expired rate-limit counters from the database (run it on a schedule, like "
        "clearsessions). --all forgets every counter; --email lifts one account's lockout."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="forget every counter")
        parser.add_argument("--email", help="lift this account's lockout")

    def handle(self, *args: Any, all: bool, email: str | None, **options: Any) -> None:
        if email:
            throttle.lift_account_lockout(email)
            self.stdout.write(f"lifted the lockout of {throttle.account_key(email)}")
        if all:
            ratelimit.reset_all()
            self.stdout.write("forgot every counter")
        if not (email or all):
            deleted, _ = ThrottleCounter.objects.filter(expires_at__lte=time.time()).delete()
            self.stdout.write(f"deleted {deleted} expired counters")
