"""Settings of the throwaway sites the server tests start (``qa.site_under_test.serve_site``).

Production's own settings (``memberproj.settings``), with what a test site needs on top:

- the QA app, so that ``manage.py prepare_site`` makes the site's members in the same process;
- the captcha always reads ``SOLVED_ANSWER``, so the tests play an attacker with a perfect solver
  (the debug hook cannot run with ``DEBUG`` off, as production never may);
- ``QA_SITE_SETTINGS``, a JSON object of settings for one site (e.g. a lower limit).
"""

import json
import os

from memberproj.settings import *  # noqa: F403
from memberproj.settings import INSTALLED_APPS

if "qa" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "qa"]

SOLVED_ANSWER = "7"
MEMBER_CAPTCHA_ALPHABET = SOLVED_ANSWER
MEMBER_CAPTCHA_LENGTH = len(SOLVED_ANSWER)

globals().update(json.loads(os.environ.get("QA_SITE_SETTINGS") or "{}"))
