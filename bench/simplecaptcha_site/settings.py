"""A minimal Django site around django-simple-captcha 0.7, the captcha benchmark's yardstick.

Only its app, no middleware, ``DEBUG`` off: the least a site needs to serve its images. Its SQLite
(``BENCH_SIMPLECAPTCHA_DATABASE``, a fresh file per run) is set up as ``memberproj.settings`` sets
up the site's, so the comparison is about the request path and the drawing: with Django's
defaults (rollback journal, a new connection per request) two workers' inserts wait on each other's
file locks, and it serves at a fraction of the rate.
"""

from __future__ import annotations

import os

DEBUG = False
SECRET_KEY = "bench-only-secret-key-for-a-throwaway-site"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["captcha"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.simplecaptcha_site.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_SIMPLECAPTCHA_DATABASE", "simplecaptcha.sqlite3"),
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
