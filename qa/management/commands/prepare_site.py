"""``manage.py prepare_site [--members N --password PW]``: a throwaway site's database and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "For the server tests' throwaway sites (qa.site_under_test): migrate, create the cache "
        "table, collect the static files (unless STATIC_ROOT holds them already) and seed "
        "members, in one process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=0)
        parser.add_argument("--password", default="")
        parser.add_argument("--email-prefix", default="load-")

    def handle(self, *args: Any, members: int, password: str, email_prefix: str, **kw: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        if members:
            call_command(
                "seed_members",
                count=members,
                password=password,
                email_prefix=email_prefix,
                stdout=self.stdout,
            )
