"""Headers on every response, whoever made it.

The security headers come from their own middlewares (django-csp, Django's clickjacking and
security middlewares); what matters is that they stand *outermost* in ``MIDDLEWARE`` (see
settings), so static files (WhiteNoise answers early), a 400 for an unknown ``Host`` (raised inside
``CommonMiddleware``) and every error page pass through them. This one adds what no library does:
error pages are never cached (a 404 or 403 kept by a proxy outlives the page it stood for).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


class ErrorsNeverCachedMiddleware:
    """Every 4xx/5xx answer without its own ``Cache-Control`` gets ``no-store``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
