"""Throttling: who the client is, how often it may fail to sign in, how often it may ask for images.

Failed sign-ins are counted by django-axes, in the database (or in Redis through the cache when
``REDIS_URL`` is set), so every worker sees the same counts. Two limits apply at once:

- per account: ``LOGIN_FAILURES_PER_ACCOUNT`` failures locks that email out, whether or not a
  member has it, so a lockout says nothing about which accounts exist;
- per client address: ``LOGIN_FAILURES_PER_CLIENT`` failures, wrong captchas included, locks the
  address out of sign-in and sign-up.

Axes compares every lockout group against one limit. ``TieredLimits`` expresses each group's count
in units of the account limit (``count * account_limit // group_limit``), which reaches the account
limit exactly when the count reaches the group's own limit.

The captcha image endpoint is limited separately, per client address and minute, by a counter in
the shared cache.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_cache_keys, get_failure_limit, get_lockout_parameters
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse

from member.conf import member_settings

logger = logging.getLogger(__name__)

ACCOUNT = "username"
CLIENT = "ip_address"
# Axes' username column is this long; longer input is cut rather than refused.
ACCOUNT_KEY_LENGTH = 255


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or ``X-Forwarded-For`` behind trusted proxies.

    With ``TRUSTED_PROXY_COUNT = n`` the address the outermost trusted proxy saw is the n-th from
    the right of ``X-Forwarded-For``; anything left of it is the client's own claim and ignored,
    so a spoofed header can neither reset nor spread a counter.
    """
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104  (an address, not a bind)
    proxies = member_settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def account_key(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """The account a sign-in attempt is for: its email, lower-cased like the member lookup."""
    email = None
    if credentials:
        email = credentials.get("email", credentials.get("username"))
    elif request is not None and request.method == "POST":
        email = request.POST.get("useremail")
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()[:ACCOUNT_KEY_LENGTH]


def lockout_groups(request_or_attempt: Any, credentials: dict | None = None) -> list[list[str]]:
    """Per account and per client; an attempt without an email counts for its client only."""
    if credentials is not None:
        has_account = account_key(None, credentials) is not None
    else:
        has_account = bool(getattr(request_or_attempt, "username", None)) or (
            isinstance(request_or_attempt, HttpRequest)
            and account_key(request_or_attempt) is not None
        )
    return [[ACCOUNT], [CLIENT]] if has_account else [[CLIENT]]


def account_failure_limit(request: HttpRequest | None, credentials: dict | None = None) -> int:
    return member_settings.LOGIN_FAILURES_PER_ACCOUNT


def failure_window(request: HttpRequest | None = None) -> timedelta:
    return timedelta(seconds=member_settings.LOGIN_FAILURE_WINDOW)


class TieredLimits:
    """Axes handler mixin: each lockout group is held to its own limit (see the module doc)."""

    def group_failure_counts(self, request: HttpRequest, credentials: dict | None) -> list[int]:
        raise NotImplementedError

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        account_limit = get_failure_limit(request, credentials)
        limits = {
            ACCOUNT: member_settings.LOGIN_FAILURES_PER_ACCOUNT,
            CLIENT: member_settings.LOGIN_FAILURES_PER_CLIENT,
        }
        groups = get_lockout_parameters(request, credentials)
        counts = self.group_failure_counts(request, credentials)
        return max(
            (
                count * account_limit // max(limits[group[0]], 1)
                for group, count in zip(groups, counts, strict=True)
            ),
            default=0,
        )


class DatabaseTieredLimitsHandler(TieredLimits, AxesDatabaseHandler):
    def group_failure_counts(self, request: HttpRequest, credentials: dict | None) -> list[int]:
        return [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]


class CacheTieredLimitsHandler(TieredLimits, AxesCacheHandler):
    def group_failure_counts(self, request: HttpRequest, credentials: dict | None) -> list[int]:
        return [self.cache.get(key, 0) for key in get_client_cache_keys(request, credentials)]


def is_locked_out(request: HttpRequest, email: str | None = None) -> bool:
    """Whether sign-in is refused for this client, and for ``email``'s account when given."""
    return not AxesProxyHandler.is_allowed(request, {"email": email})


def record_client_failure(request: HttpRequest) -> None:
    """Count a failure against the client address only, never against an account.

    For a wrong captcha (no password was checked) and for a sign-up with a taken email (which
    would otherwise let a client test email after email).
    """
    user_login_failed.send(sender=__name__, credentials={"email": None}, request=request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """Axes' lockout response: the page as the view made it.

    Axes calls this for the failure that reaches a limit, too; that attempt was checked like any
    other and its page says why it failed (the contract's messages). The refusals that follow are
    the forms' ``locked_out`` error, which the views mark with ``mark_locked_out``.
    """
    return original_response if original_response is not None else mark_locked_out(HttpResponse())


def mark_locked_out(response: HttpResponse) -> HttpResponse:
    """429 with ``Retry-After``: sign-in is refused for this account or client for a while."""
    response.status_code = 429
    response["Retry-After"] = str(member_settings.LOGIN_FAILURE_WINDOW)
    return response


@dataclass(frozen=True)
class RateLimit:
    limited: bool
    retry_after: int = 0


def hit_captcha_rate_limit(request: HttpRequest, *, now: float | None = None) -> RateLimit:
    """Count one captcha image for this client in the current minute; over the limit is refused.

    A fixed one-minute window in the shared cache. With the database cache two workers can race
    on one increment and let an image or two more through; Redis increments atomically.
    """
    limit = member_settings.CAPTCHA_RATE_LIMIT
    if not limit:
        return RateLimit(limited=False)
    window = 60
    now = time.time() if now is None else now
    window_start = math.floor(now / window) * window
    key = f"member:captcha-rate:{client_ip(request)}:{window_start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: this hit starts the count again
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return RateLimit(limited=True, retry_after=max(1, math.ceil(window_start + window - now)))
    return RateLimit(limited=False)
