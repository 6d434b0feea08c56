"""Settings for the test suite: the development settings plus the captcha debug hook and QA app.

The Argon2 hasher stays first, as in production: tests about hashing see the real thing, and the
rest ask for the fast hasher through the ``fast_password_hasher`` fixture (conftest.py).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from memberproj.settings import *  # noqa: F403
from memberproj.settings import CACHES, INSTALLED_APPS, REDIS_URL

if "qa" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "qa"]

MEMBER_CAPTCHA_DEBUG_HOOK = True

# Browser tests fetch many images from one address; tests of the limit itself set their own.
MEMBER_CAPTCHA_RATE_LIMIT = 0

if REDIS_URL:
    # The PostgreSQL + Redis pass: each xdist worker gets a Redis database of its own (1, 2, …),
    # as each gets a PostgreSQL test database, so one worker's cache.clear() leaves the others'.
    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    CACHES = {
        "default": {**CACHES["default"], "LOCATION": f"{REDIS_URL.rsplit('/', 1)[0]}/{_worker + 1}"}
    }
