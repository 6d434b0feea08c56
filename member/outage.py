"""A shared service down (Redis, PostgreSQL): 503 with the site's page in the visitor's language.

Django turns an exception anywhere in the request (a view, the session middleware saving to Redis,
a template asking for the signed-in member) into a call of ``handler500`` while the exception is
being handled. ``server_error`` looks at that exception: an outage of the database or of Redis is
no bug of ours and passes by itself, so the visitor gets 503 with ``Retry-After`` instead of a 500.
The reply touches neither the session nor the database (they may be what is down). Once the
service is back, the next request succeeds: Redis connections are made afresh by redis-py's pool,
and ``CONN_HEALTH_CHECKS`` replaces a database connection that died meanwhile.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from member import metrics

DATABASE_OUTAGES = (OperationalError, InterfaceError)
OUTAGES = (*DATABASE_OUTAGES, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER = 10  # seconds


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 for an outage of a shared service, Django's 500 page otherwise."""
    error = sys.exc_info()[1]
    if not isinstance(error, OUTAGES):
        return defaults.server_error(request)
    metrics.OUTAGES.labels("database" if isinstance(error, DATABASE_OUTAGES) else "cache").inc()
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(
        request
    )
    with translation.override(language):
        # No request in the template's context: it must not touch the session or the database.
        page = loader.render_to_string("503.html")
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
