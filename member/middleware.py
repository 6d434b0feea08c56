"""Headers on every response, whoever made it.

The security headers come from their own middlewares (django-csp, Django's clickjacking and
security middlewares); what matters is that they stand *outermost* in ``MIDDLEWARE`` (see
settings), so static files (WhiteNoise answers early), a 400 for an unknown ``Host`` (raised inside
``CommonMiddleware``) and every error page pass through them. This one adds what no library does:
error pages are never cached (a 404 or 403 kept by a proxy outlives the page it stood for), and a
bare "method not allowed" gets the site's own page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template import loader
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


class MethodNotAllowedPageMiddleware:
    """Django's 405 (``require_http_methods``, class-based views) has an empty body, which a
    browser shows as its own bare "HTTP ERROR 405". This gives it the site's page, in the
    visitor's language (it stands inside ``LocaleMiddleware``), keeping status and ``Allow``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            response.content = loader.render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
