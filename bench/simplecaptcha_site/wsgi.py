"""WSGI entry point of the django-simple-captcha yardstick site."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.simplecaptcha_site.settings")

application = get_wsgi_application()
