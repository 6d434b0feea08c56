"""Throttling: who the client is, how many password checks an account gets, and device tokens.

Only password checks lock. Every limit is a ``member.ratelimit`` counter (atomic in the shared
store) with a window of ``LOGIN_FAILURE_WINDOW`` seconds, and each one is spent by a password
check alone, never by a missing or wrong captcha:

- per account: at most ``LOGIN_FAILURES_PER_ACCOUNT`` password checks. A check is consumed before
  the password is looked at and given back when the password was right, so a burst of concurrent
  attempts cannot check more passwords than the limit. Unknown emails count exactly like real
  ones, so a lockout says nothing about which accounts exist.
- per client: ``LOGIN_FAILURES_PER_CLIENT`` password checks from one client (an IPv4 address, or
  an IPv6 /64: one machine owns a whole /64) lock it out of sign-in.
- per remembered device: a browser that signed in to an account before holds a signed device
  token for it (OWASP's "device cookie"), bound to the member and their current password. Its
  attempts skip both lockouts above and spend only its own ``DEVICE_FAILURES`` checks, so an
  attacker can lock out neither the owner's account nor the owner's address.

An attempt that reaches a limit is answered like any other (the contract's messages); the
attempts after it are refused with the lockout message and 429 (``ratelimit.respond_429``).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from member import ratelimit
from member.conf import member_settings
from member.emails import normalise_email_for_lookup
from member.models import Member
from member.ratelimit import Refusal

logger = logging.getLogger(__name__)

# Keys are bounded: a counter key is at most 255 characters.
ACCOUNT_KEY_LENGTH = 200
DEVICE_COOKIE = "member_device"
DEVICE_SALT = "member.throttle.device"
IPV6_CLIENT_PREFIX = 64  # one client per /64: that is what one machine or household gets
RESET_WINDOW = 60 * 60  # seconds: the password-reset limits count per hour
CAPTCHA_WINDOW = 60  # seconds: the captcha rate limit counts per minute

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# The client


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or ``X-Forwarded-For`` behind trusted proxies.

    With ``TRUSTED_PROXIES`` (addresses or CIDR ranges), ``X-Forwarded-For`` is walked from the
    right while the hop that reported it is a trusted proxy. With ``TRUSTED_PROXY_COUNT = n`` the
    address the outermost of n proxies saw is the n-th from the right. Anything further left is
    the client's own claim and ignored, so a spoofed header can neither reset nor spread a count.
    """
    remote = _parse_address(request.META.get("REMOTE_ADDR")) or ipaddress.IPv4Address(0)
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [hop for hop in forwarded if hop]
    trusted = _trusted_networks(tuple(member_settings.TRUSTED_PROXIES))
    proxies = member_settings.TRUSTED_PROXY_COUNT
    if trusted:
        address = remote
        for hop in reversed(forwarded):
            reported = _parse_address(hop)
            if reported is None or not any(address in network for network in trusted):
                break
            address = reported
        return str(address)
    if proxies > 0:
        if len(forwarded) < proxies:
            return str(remote)
        return str(_parse_address(forwarded[-proxies]) or remote)
    if forwarded:
        _warn_untrusted_forwarding()
    return str(remote)


def client_network(request: HttpRequest) -> str:
    """What the per-client limits count: the IPv4 address, or the IPv6 address's /64."""
    address = ipaddress.ip_address(client_address(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def _parse_address(value: object) -> IPAddress | None:
    """``value`` as an address (an IPv4-mapped IPv6 address as IPv4), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def _trusted_networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


@functools.cache
def _warn_untrusted_forwarding() -> None:
    """Once per process: a proxy in front that is not trusted makes every visitor one client."""
    logger.warning(
        "X-Forwarded-For arrives but no proxy is trusted, so every visitor behind a proxy is "
        "counted as the proxy's address. Behind a reverse proxy, set MEMBER_TRUSTED_PROXY_COUNT "
        "(how many proxies append to X-Forwarded-For) or MEMBER_TRUSTED_PROXIES (their addresses)."
    )


# Password checks


def account_key(email: object) -> str | None:
    """The account an attempt is for: its email as sign-in looks it up, or ``None`` without one."""
    if not isinstance(email, str) or not email.strip():
        return None
    return normalise_email_for_lookup(email)[:ACCOUNT_KEY_LENGTH]


def _window() -> int:
    return member_settings.LOGIN_FAILURE_WINDOW


def _client_counter(request: HttpRequest) -> str:
    return f"signin:client:{client_network(request)}"


def _account_counter(account: str) -> str:
    return f"signin:account:{account}"


def _device_counter(account: str, device: str) -> str:
    return f"signin:device:{device}:{account}"[:255]


@dataclass
class Reservation:
    """Password checks taken from the counters; ``release()`` gives them back on success."""

    keys: list[str] = field(default_factory=list)

    def release(self) -> None:
        for key in self.keys:
            ratelimit.release(key)
        self.keys.clear()


def consume_password_check(request: HttpRequest, email: str) -> Reservation | Refusal:
    """Take one password check for ``email``'s account and this client, or for this browser's
    remembered device of the account alone.

    Call it before the password is looked at; release the reservation when the password was
    right. A refusal means the password must not be checked.
    """
    account = account_key(email) or ""
    device = remembered_device(request, account)
    if device:
        device_key = _device_counter(account, device)
        refusal = ratelimit.consume(
            device_key, limit=member_settings.DEVICE_FAILURES, window=_window()
        )
        return refusal or Reservation([device_key])
    account_counter = _account_counter(account)
    refusal = ratelimit.consume(
        account_counter, limit=member_settings.LOGIN_FAILURES_PER_ACCOUNT, window=_window()
    )
    if refusal:
        return refusal
    client_counter = _client_counter(request)
    refusal = ratelimit.consume(
        client_counter, limit=member_settings.LOGIN_FAILURES_PER_CLIENT, window=_window()
    )
    if refusal:
        ratelimit.release(account_counter)
        return refusal
    return Reservation([account_counter, client_counter])


def lift_account_lockout(email: str) -> None:
    """End ``email``'s account-wide lockout (e.g. after the owner reset the password)."""
    account = account_key(email)
    if account:
        ratelimit.reset(_account_counter(account))


# Remembered devices


def _password_stamp(member: Member) -> str:
    """A value that changes whenever the member's password does, as Django's session auth hash:
    a password change or reset revokes every device token minted before it."""
    return salted_hmac(DEVICE_SALT, member.password, algorithm="sha256").hexdigest()


def remembered_device(request: HttpRequest, account: str) -> str | None:
    """The device id of this browser's token for ``account``, if it holds a valid one: signed by
    us, unexpired, minted for the member who has that email, and since their last password change.
    """
    token = request.COOKIES.get(DEVICE_COOKIE)
    if not token or not account:
        return None
    try:
        claims = signing.loads(token, salt=DEVICE_SALT, max_age=member_settings.DEVICE_TOKEN_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(claims, dict):
        return None
    device, member_id, stamp = claims.get("device"), claims.get("member"), claims.get("password")
    if not (isinstance(device, str) and device and isinstance(stamp, str)):
        return None
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        return None
    member = Member.objects.filter(pk=member_id, email=account).only("password").first()
    if member is None or not constant_time_compare(stamp, _password_stamp(member)):
        return None
    return device


def remember_device(request: HttpRequest, response: HttpResponse, member: Member) -> None:
    """After a sign-in or a password change: give this browser a device token for ``member``.

    A browser that already holds a valid token for the account keeps its device id (and budget).
    """
    account = account_key(member.email) or ""
    device = remembered_device(request, account) or secrets.token_urlsafe(12)
    claims = {"member": member.pk, "device": device, "password": _password_stamp(member)}
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(claims, salt=DEVICE_SALT),
        max_age=member_settings.DEVICE_TOKEN_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


# Other per-client limits


def consume_captcha_request(request: HttpRequest, *, now: float | None = None) -> Refusal | None:
    """Count one captcha image or audio for this client; past the per-minute limit, a refusal.
    Images and audio share the one budget (the key keeps its first name)."""
    return ratelimit.consume(
        f"captcha-images:{client_network(request)}",
        limit=member_settings.CAPTCHA_RATE_LIMIT,
        window=CAPTCHA_WINDOW,
        now=now,
    )


def consume_password_reset_request(request: HttpRequest, email: str) -> Refusal | None:
    """Count one password-reset request for ``email`` and this client.

    Keyed on what was typed, not on whether a member has it, so the refusal looks the same for
    known and unknown addresses, and nobody can flood one inbox with reset mails.
    """
    refusal = ratelimit.consume(
        f"reset:client:{client_network(request)}",
        limit=member_settings.PASSWORD_RESET_REQUESTS_PER_CLIENT,
        window=RESET_WINDOW,
    )
    return refusal or ratelimit.consume(
        f"reset:address:{account_key(email) or ''}",
        limit=member_settings.PASSWORD_RESET_MAILS_PER_ADDRESS,
        window=RESET_WINDOW,
    )
