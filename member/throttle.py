"""Throttling: who the client is, how many password checks an account gets, and device tokens.

Every limit is a ``member.ratelimit`` counter (atomic in the shared store), with a window of
``LOGIN_FAILURE_WINDOW`` seconds:

- per account: at most ``LOGIN_FAILURES_PER_ACCOUNT`` password checks. A check is *reserved*
  before the password is looked at and given back when the password was right, so a burst of
  concurrent attempts cannot check more passwords than the limit. Unknown emails count exactly
  like real ones, so a lockout says nothing about which accounts exist.
- per client address: ``LOGIN_FAILURES_PER_CLIENT`` failures (password checks, wrong captchas,
  sign-ups with a taken email) lock the address out of sign-in and sign-up.
- per remembered device: a browser that signed in to an account before holds a signed device
  token for it (OWASP's "device cookie"). Its attempts at that account are not blocked by the
  account-wide lockout, so an attacker cannot lock the owner out; they have their own budget of
  ``DEVICE_FAILURES`` checks, and a wrong password there counts against it.

A failure that reaches a limit is answered like any other (the contract's messages); the attempts
after it are refused with the lockout message and 429 (``ratelimit.respond_429``).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from member import ratelimit
from member.conf import member_settings
from member.emails import normalise_email_for_lookup
from member.ratelimit import Refusal

# Keys are bounded: a counter key is at most 255 characters.
ACCOUNT_KEY_LENGTH = 200
DEVICE_COOKIE = "member_device"
DEVICE_SALT = "member.throttle.device"


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


def account_key(email: object) -> str | None:
    """The account an attempt is for: its email as sign-in looks it up, or ``None`` without one."""
    if not isinstance(email, str) or not email.strip():
        return None
    return normalise_email_for_lookup(email)[:ACCOUNT_KEY_LENGTH]


def _window() -> int:
    return member_settings.LOGIN_FAILURE_WINDOW


def _client_counter(request: HttpRequest) -> str:
    return f"signin:client:{client_ip(request)}"


def _account_counter(account: str) -> str:
    return f"signin:account:{account}"


def _device_counter(account: str, device: str) -> str:
    return f"signin:device:{device}:{account}"[:255]


def client_refusal(request: HttpRequest) -> Refusal | None:
    """Whether this client address is locked out of sign-in and sign-up."""
    return ratelimit.exhausted(
        _client_counter(request), limit=member_settings.LOGIN_FAILURES_PER_CLIENT
    )


def count_client_failure(request: HttpRequest) -> Refusal | None:
    """Count a failure against the client address only (a wrong captcha, a taken email).

    Returns a refusal only when the address was already past its limit (a concurrent burst).
    """
    return ratelimit.consume(
        _client_counter(request),
        limit=member_settings.LOGIN_FAILURES_PER_CLIENT,
        window=_window(),
    )


@dataclass
class Reservation:
    """Password checks taken from the counters; ``release()`` gives them back on success."""

    keys: list[str] = field(default_factory=list)

    def release(self) -> None:
        for key in self.keys:
            ratelimit.release(key)
        self.keys.clear()


def reserve_password_check(request: HttpRequest, email: str) -> Reservation | Refusal:
    """Take one password check for ``email``'s account (or its remembered device) and client.

    Call it before the password is looked at; release the reservation when the password was
    right. A refusal means the password must not be checked.
    """
    account = account_key(email) or ""
    device = device_id(request, account)
    if device:
        own_key, own_limit = _device_counter(account, device), member_settings.DEVICE_FAILURES
    else:
        own_key, own_limit = _account_counter(account), member_settings.LOGIN_FAILURES_PER_ACCOUNT
    refusal = ratelimit.consume(own_key, limit=own_limit, window=_window())
    if refusal:
        return refusal
    client_key = _client_counter(request)
    refusal = ratelimit.consume(
        client_key, limit=member_settings.LOGIN_FAILURES_PER_CLIENT, window=_window()
    )
    if refusal:
        ratelimit.release(own_key)
        return refusal
    return Reservation([own_key, client_key])


def reset_account(email: str) -> None:
    """Lift ``email``'s account-wide lockout (e.g. after the owner reset the password)."""
    account = account_key(email)
    if account:
        ratelimit.reset(_account_counter(account))


def device_id(request: HttpRequest, account: str) -> str | None:
    """The id of the device token this browser holds for ``account``, if it holds a valid one."""
    token = request.COOKIES.get(DEVICE_COOKIE)
    if not token or not account:
        return None
    try:
        claims = signing.loads(token, salt=DEVICE_SALT, max_age=member_settings.DEVICE_TOKEN_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict) or claims.get("account") != account:
        return None
    device = claims.get("device")
    return device if isinstance(device, str) and device else None


def remember_device(request: HttpRequest, response: HttpResponse, email: str) -> None:
    """After a successful sign-in: give this browser a device token for the account.

    A browser that already holds a valid token for the account keeps its device id (and budget).
    """
    account = account_key(email)
    if not account:
        return
    device = device_id(request, account) or secrets.token_urlsafe(12)
    token = signing.dumps({"account": account, "device": device}, salt=DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=member_settings.DEVICE_TOKEN_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def captcha_image_refusal(request: HttpRequest, *, now: float | None = None) -> Refusal | None:
    """Count one captcha image or audio for this client address; past the per-minute limit, a
    refusal. Images and audio share the one budget (the key keeps its first name)."""
    return ratelimit.consume(
        f"captcha-images:{client_ip(request)}",
        limit=member_settings.CAPTCHA_RATE_LIMIT,
        window=60,
        now=now,
    )


RESET_WINDOW = 60 * 60  # seconds: the password-reset limits count per hour


def password_reset_refusal(request: HttpRequest, email: str) -> Refusal | None:
    """Count one password-reset request for ``email`` and this client address.

    Keyed on what was typed, not on whether a member has it, so the refusal looks the same for
    known and unknown addresses, and nobody can flood one inbox with reset mails.
    """
    refusal = ratelimit.consume(
        f"reset:client:{client_ip(request)}",
        limit=member_settings.PASSWORD_RESET_REQUESTS_PER_CLIENT,
        window=RESET_WINDOW,
    )
    return refusal or ratelimit.consume(
        f"reset:address:{account_key(email) or ''}",
        limit=member_settings.PASSWORD_RESET_MAILS_PER_ADDRESS,
        window=RESET_WINDOW,
    )
