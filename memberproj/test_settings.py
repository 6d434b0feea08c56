"""Settings for the test suite: the development settings plus the captcha debug hook and QA app.

The Argon2 hasher stays first, as in production: tests about hashing see the real thing, and the
rest ask for the fast hasher through the ``fast_password_hasher`` fixture (conftest.py).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from memberproj.settings import *  # noqa: F403
from memberproj.settings import INSTALLED_APPS

if "qa" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "qa"]

MEMBER_CAPTCHA_DEBUG_HOOK = True

# Browser tests fetch many images from one address; tests of the limit itself set their own.
MEMBER_CAPTCHA_RATE_LIMIT = 0
