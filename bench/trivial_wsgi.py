"""A WSGI application that answers every request with a few bytes, for ``bench.captcha``.

Served by the same gunicorn (2 sync workers), it shows how many requests a second wrk and the
server can turn over with no Django at all: the ceiling the captcha endpoints are measured under.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"ok\n"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
