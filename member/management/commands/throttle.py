"""``manage.py throttle show|lift --email E | --client ADDRESS [--json]``: why is this blocked?"""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from member import throttle


class Command(BaseCommand):
    help = (
        "show: every limit that applies to an account (--email) or a client address (--client): "
        "its count, its budget, the seconds left in its window, and whether it refuses now. "
        "lift: end them all (logged, with who lifted them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["show", "lift"])
        parser.add_argument("--email", help="the account's email, in any spelling")
        parser.add_argument("--client", help="the client's address (IPv6: its /64 counts)")
        parser.add_argument("--json", action="store_true", help="one JSON document")

    def handle(
        self, *args: Any, action: str, email: str | None, client: str | None, **options: Any
    ) -> None:
        if not (email or client):
            raise CommandError("give --email, --client or both")
        if action == "lift":
            who = f"{getpass.getuser()} (manage.py throttle lift)"
            ended = throttle.lift(email=email, client=client, lifted_by=who)
            self.stdout.write(f"lifted {ended} limits")
            return
        states = throttle.limits_for(email=email, client=client)
        rows = [
            {
                "limit": state.limit.name,
                "what": str(state.limit.description),
                "key": state.subject,
                "count": state.count,
                "budget": state.budget,
                "seconds_left": state.seconds_left,
                "refusing": state.refusing,
            }
            for state in states
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps({"email": email, "client": client, "limits": rows}, indent=2)
            )
            return
        for row in rows:
            state = "REFUSING" if row["refusing"] else "ok"
            self.stdout.write(
                f"{row['limit']:<14} {row['count']:>3}/{row['budget']:<4} "
                f"{row['seconds_left']:>5} s left  {state:<8}  {row['key']}  ({row['what']})"
            )
