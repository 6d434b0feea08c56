"""Headers on every response, whoever made it.

The security headers come from their own middlewares (django-csp, Django's clickjacking and
security middlewares); what matters is that they stand *outermost* in ``MIDDLEWARE`` (see
settings), so static files (WhiteNoise answers early), a 400 for an unknown ``Host`` (raised inside
``CommonMiddleware``) and every error page pass through them. This module adds what no library
does: error pages and signed-in pages are never cached, a bare "method not allowed" gets the
site's own page, and the site-wide Content-Security-Policy is built once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control

# What django-csp's decorators put on a response that has a policy of its own.
_OWN_POLICY_ATTRIBUTES = tuple(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace") for suffix in ("", "_ro")
)
# Responses django-csp leaves without a policy while DEBUG is on (Django's technical pages).
_DEBUG_PAGES = {404, 500}


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with the site-wide policy headers built once per setting.

    django-csp 4.0 builds both headers from settings for every response (``build_policy()`` and
    ``dataclasses.asdict()`` copy every directive): about 50 us, an eighth of a new visitor's
    captcha request without the drawing (measured in-process, each middleware left out in turn).
    Here a response with nothing of its own gets the headers django-csp would build, built once;
    a nonce, one of django-csp's decorators or a ``DEBUG`` error page still goes through
    django-csp's own ``process_response``.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _OWN_POLICY_ATTRIBUTES)
            or (settings.DEBUG and response.status_code in _DEBUG_PAGES)
        ):
            return super().process_response(request, response)
        for header, policy, exempt, excluded in _site_policies():
            if (
                header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written raises.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _site_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, policy, exemption attribute, excluded path prefixes) for each policy in use."""
    policies = []
    for header, setting, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            config = getattr(settings, setting, None) or {}
            excluded = tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ())
            policies.append((header, policy, exempt, excluded))
    return tuple(policies)


def _forget_site_policies(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_policies.cache_clear()


setting_changed.connect(_forget_site_policies)


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
