"""The site in this process, production style, for the in-process benchmarks."""

from __future__ import annotations

import os
from pathlib import Path


def configure_production_site(workdir: Path, *, allowed_hosts: str) -> None:
    """Production settings (``DEBUG`` off, image rate limit off, no Redis) on a fresh SQLite
    database and static root in ``workdir``; Django set up, static files collected (the pages name
    hashed files), the schema migrated."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "memberproj.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-for-a-throwaway-site",
            "DJANGO_ALLOWED_HOSTS": allowed_hosts,
            "DATABASE_URL": f"sqlite:///{workdir / 'site.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "MEMBER_CAPTCHA_RATE_LIMIT": "0",
        }
    )
    os.environ.pop("REDIS_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    call_command("createcachetable", verbosity=0)
