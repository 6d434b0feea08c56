"""Prometheus metrics (``prometheus_client``) and the ``/metrics`` view that serves them.

Under gunicorn every worker counts in files of its own under ``PROMETHEUS_MULTIPROC_DIR`` (the
library's multiprocess mode), and a scrape adds them all up; without that variable the one
process's counts are served. ``/metrics`` answers only a request that carries
``Authorization: Bearer <MEMBER_METRICS_TOKEN>``; with no token set, or a wrong one, it is a 404.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

SIGN_INS = Counter(
    "member_sign_in_attempts", "Sign-in attempts by outcome.", ["outcome"]
)  # success, invalid_login, invalid_captcha, locked_out, invalid_form
SIGN_IN_SECONDS = Histogram(
    "member_sign_in_seconds",
    "Time to answer a sign-in POST.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CAPTCHAS = Counter(
    "member_captchas",
    "Captcha images and sounds asked for, by kind and result.",
    ["kind", "result"],
)  # kind: image, audio; result: served, refused
SIGN_UPS = Counter("member_sign_ups", "Members who signed up.")
SIGN_OUTS = Counter("member_sign_outs", "Members who signed out.")
PASSWORD_CHANGES = Counter("member_password_changes", "Passwords changed by signed-in members.")
RESET_REQUESTS = Counter("member_password_reset_requests", "Password-reset requests accepted.")
RESETS_COMPLETED = Counter("member_password_resets", "Passwords set by a mailed reset link.")
MAILS = Counter(
    "member_mails", "Mails handed to the mail server, by kind and result.", ["kind", "result"]
)  # kind: password_reset, lockout; result: sent, failed (retried), given_up
LOCKOUTS = Counter("member_lockouts", "Lockouts started, by kind.", ["kind"])
# account, client, device
LOCKOUTS_LIFTED = Counter("member_lockouts_lifted", "Lockouts lifted by an operator.")
OUTAGES = Counter(
    "member_outages", "Requests answered 503, by the service that was down.", ["cause"]
)
# database, cache
PROXY_WARNINGS = Counter(
    "member_proxy_warnings", "Warnings that the proxy settings look wrong, by reason.", ["reason"]
)  # untrusted_forwarded_for, failures_from_one_private_address


def registry() -> CollectorRegistry:
    """Every process's counts in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format, for a bearer of ``MEMBER_METRICS_TOKEN``."""
    token = getattr(settings, "MEMBER_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if not token or not constant_time_compare(given, f"Bearer {token}"):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
