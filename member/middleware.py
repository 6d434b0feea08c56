"""What no library's middleware does: error pages and signed-in pages are never cached, and a
bare "method not allowed" gets the site's own page.

The security headers come from their own middlewares (django-csp, Django's clickjacking and
security middlewares), standing outermost in ``MIDDLEWARE`` so that every answer passes through
them: static files, the 400 for an unknown ``Host``, every error page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control


class NeverCachedMiddleware:
    """Error answers and every answer to a signed-in member get ``no-store``, unless the view
    set a ``Cache-Control`` of its own: a 404 kept by a proxy outlives the page it stood for, and
    a signed-in page kept by a shared cache or the browser's back button shows someone's account.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (
            response.status_code >= 400 or _signed_in(request)
        ):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


def _signed_in(request: HttpRequest) -> bool:
    """Whether the request's session (if it was looked at) belongs to a signed-in member."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.accessed and session.get(SESSION_KEY))


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
