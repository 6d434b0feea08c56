"""WSGI entry point, ``memberproj.wsgi:application``.

A WSGI server is a production server: unless told otherwise it runs with ``DEBUG`` off, which then
requires ``DJANGO_SECRET_KEY`` (settings explain the error if it is missing).
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberproj.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")

application = get_wsgi_application()
