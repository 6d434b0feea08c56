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

import collections
import functools
import ipaddress
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from member import events, metrics, ratelimit
from member.conf import member_settings
from member.emails import normalise_email_for_lookup
from member.models import Member
from member.ratelimit import Refusal

logger = logging.getLogger(__name__)

# Sent once when an account's lockout starts (``request``, ``account``: the normalised email).
lockout_started = Signal()

# Keys are bounded: a counter key is at most 255 characters.
ACCOUNT_KEY_LENGTH = 200
DEVICE_COOKIE = "member_device"
DEVICE_SALT = "member.throttle.device"
IPV6_CLIENT_PREFIX = 64  # one client per /64: that is what one machine or household gets


@dataclass(frozen=True)
class Limit:
    """One budget: ``prefix:<subject>`` counters, each allowing ``budget`` units per ``window``.

    Budgets and windows are read from ``member_settings`` on use (``override_settings`` works).
    """

    name: str
    prefix: str
    budget_setting: str
    window_setting: str | None = None
    window_seconds: int = 0
    description: str | Promise = ""

    @property
    def budget(self) -> int:
        return getattr(member_settings, self.budget_setting)

    @property
    def window(self) -> int:
        if self.window_setting:
            return getattr(member_settings, self.window_setting)
        return self.window_seconds

    def key(self, *subject: str) -> str:
        return ":".join((self.prefix, *subject))[:255]

    def consume(self, *subject: str, now: float | None = None) -> Refusal | None:
        return ratelimit.consume(self.key(*subject), limit=self.budget, window=self.window, now=now)


# Every limit of the site, what it counts and what it is keyed on.
ACCOUNT = Limit(
    "account",
    "signin:account",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURE_WINDOW",
    description=_("password checks for the account"),
)
CLIENT = Limit(
    "client",
    "signin:client",
    "LOGIN_FAILURES_PER_CLIENT",
    "LOGIN_FAILURE_WINDOW",
    description=_("password checks from the client"),
)
DEVICE = Limit(
    "device",
    "signin:device",
    "DEVICE_FAILURES",
    "LOGIN_FAILURE_WINDOW",
    description=_("password checks from one remembered browser of the account"),
)
CAPTCHA = Limit(
    "captcha",
    "captcha-images",
    "CAPTCHA_RATE_LIMIT",
    window_seconds=60,
    description=_("captcha images and sounds for the client"),
)
RESET_CLIENT = Limit(
    "reset-client",
    "reset:client",
    "PASSWORD_RESET_REQUESTS_PER_CLIENT",
    window_seconds=60 * 60,
    description=_("password-reset requests from the client"),
)
RESET_ADDRESS = Limit(
    "reset-address",
    "reset:address",
    "PASSWORD_RESET_MAILS_PER_ADDRESS",
    window_seconds=60 * 60,
    description=_("password-reset mails to the address"),
)
LIMITS = (ACCOUNT, CLIENT, DEVICE, CAPTCHA, RESET_CLIENT, RESET_ADDRESS)
# Not a limit: which clients an account's failed checks came from (the owner's mail says how many).
FAILED_FROM = Limit("failed-from", "signin:failed-from", "LOGIN_FAILURES_PER_ACCOUNT")
ACCOUNT_LIMITS = (ACCOUNT, DEVICE, RESET_ADDRESS)  # keyed on an email
CLIENT_LIMITS = (CLIENT, CAPTCHA, RESET_CLIENT)  # keyed on a client (an address or a /64)

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
    return network_of(client_address(request))


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
    metrics.PROXY_WARNINGS.labels("untrusted_forwarded_for").inc()
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


@dataclass
class Reservation:
    """Password checks taken from the counters; ``release()`` gives them back on success."""

    keys: list[tuple[Limit, str]] = field(default_factory=list)

    def release(self) -> None:
        for _limit, key in self.keys:
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
        refusal = DEVICE.consume(account, device)
        return refusal or Reservation([(DEVICE, DEVICE.key(account, device))])
    refusal = ACCOUNT.consume(account)
    if refusal:
        return refusal
    client = client_network(request)
    refusal = CLIENT.consume(client)
    if refusal:
        ratelimit.release(ACCOUNT.key(account))
        return refusal
    return Reservation([(ACCOUNT, ACCOUNT.key(account)), (CLIENT, CLIENT.key(client))])


def count_failed_check(request: HttpRequest, email: str, reservation: Reservation) -> None:
    """After a wrong password: note where it came from, and start the lockouts it completed.

    Each lockout starts once (``lockout_started``, one metric, one owner mail for an account),
    however many failures arrive at once: a budget of one per lockout decides who reports it.
    """
    account = account_key(email) or ""
    client = client_network(request)
    ratelimit.tally(FAILED_FROM.key(account, client), window=ACCOUNT.window)
    _watch_for_a_proxy_in_disguise(client)
    for limit, key in reservation.keys:
        refusal = ratelimit.exhausted(key, limit=limit.budget)
        if refusal is None:
            continue  # not at its limit
        if ratelimit.consume(_started(key), limit=1, window=refusal.retry_after):
            continue  # another failure of this burst reported it
        events.record(request, "lockout_started", outcome=limit.name, account=account)
        if limit is ACCOUNT:
            lockout_started.send(sender=Limit, request=request, account=account)


def _started(key: str) -> str:
    """The marker that a lockout of ``key`` was reported (its window's length)."""
    return f"started:{key}"


def addresses_failing(account: str) -> int:
    """How many clients a password check for ``account`` failed from in the current window."""
    return len(ratelimit.counts(FAILED_FROM.key(account, "")))


def lift_account_lockout(email: str) -> None:
    """End ``email``'s account-wide lockout (e.g. after the owner reset the password)."""
    account = account_key(email)
    if account:
        ratelimit.reset(ACCOUNT.key(account))
        ratelimit.reset(_started(ACCOUNT.key(account)))


def limits_for(*, email: str | None = None, client: str | None = None) -> list[LimitState]:
    """Every limit that applies to the account ``email`` or the client ``client`` (an address),
    with its count, budget and seconds left: what ``throttle show`` and the admin page list."""
    states: list[LimitState] = []
    if email is not None:
        account = account_key(email) or ""
        for limit in ACCOUNT_LIMITS:
            states += _states(
                limit, limit.key(account, "") if limit is DEVICE else limit.key(account)
            )
    if client is not None:
        network = network_of(client)
        for limit in CLIENT_LIMITS:
            states += _states(limit, limit.key(network))
    return states


def lift(*, email: str | None = None, client: str | None = None, lifted_by: str) -> int:
    """End every limit ``limits_for`` lists for them; log who did it. Returns how many of them
    had counted anything."""
    states = limits_for(email=email, client=client)
    for state in states:
        ratelimit.reset(state.key)
        ratelimit.reset(_started(state.key))
    if email is not None:
        for count in ratelimit.counts(FAILED_FROM.key(account_key(email) or "", "")):
            ratelimit.reset(count.key)
    events.record(
        None,
        "lockout_lifted",
        account=account_key(email) or "",
        client=network_of(client) if client is not None else "",
        lifted_by=lifted_by,
        limits=",".join(sorted({state.limit.name for state in states if state.count})),
    )
    return sum(1 for state in states if state.count)


@dataclass(frozen=True)
class LimitState:
    """One counter of a limit: ``count`` of ``budget`` taken, ``seconds_left`` in its window."""

    limit: Limit
    key: str
    subject: str
    count: int
    seconds_left: int

    @property
    def budget(self) -> int:
        return self.limit.budget

    @property
    def refusing(self) -> bool:
        return 0 < self.budget <= self.count


def _states(limit: Limit, key: str) -> list[LimitState]:
    """The live counters of ``limit`` at ``key`` (a device prefix lists every device's); a limit
    with none shows as 0 of its budget."""
    if limit is DEVICE:
        found = ratelimit.counts(key)
    else:
        found = [count for count in ratelimit.counts(key) if count.key == key]
    if not found and limit is not DEVICE:
        return [LimitState(limit, key, key.removeprefix(limit.prefix + ":"), 0, 0)]
    return [
        LimitState(
            limit,
            count.key,
            count.key.removeprefix(limit.prefix + ":"),
            count.count,
            count.seconds_left,
        )
        for count in found
    ]


def network_of(address: str) -> str:
    """What the per-client limits count for ``address``: itself, or its IPv6 /64."""
    parsed = _parse_address(address)
    if parsed is None:
        return address.strip()
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(parsed)


_recent_failures: collections.deque[str] = collections.deque(maxlen=50)


def _watch_for_a_proxy_in_disguise(client: str) -> None:
    """Most recent failures from one private or loopback address: a proxy counted as a client."""
    _recent_failures.append(client)
    if len(_recent_failures) < _recent_failures.maxlen:
        return
    address, count = collections.Counter(_recent_failures).most_common(1)[0]
    parsed = _parse_address(address)
    if (
        parsed
        and (parsed.is_private or parsed.is_loopback)
        and count >= 0.8 * len(_recent_failures)
    ):
        _warn_failures_from_one_private_address(address)


@functools.cache
def _warn_failures_from_one_private_address(address: str) -> None:
    metrics.PROXY_WARNINGS.labels("failures_from_one_private_address").inc()
    logger.warning(
        "Most recent failed sign-ins come from one private address (%s): a proxy in front is "
        "probably counted as the client, and its lockouts hit every visitor behind it. Set "
        "MEMBER_TRUSTED_PROXY_COUNT or MEMBER_TRUSTED_PROXIES.",
        address,
    )


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
    """Count one captcha image or sound for this client; past the per-minute limit, a refusal."""
    return CAPTCHA.consume(client_network(request), now=now)


def consume_password_reset_request(request: HttpRequest, email: str) -> Refusal | None:
    """Count one password-reset request for ``email`` and this client.

    Keyed on what was typed, not on whether a member has it, so the refusal looks the same for
    known and unknown addresses, and nobody can flood one inbox with reset mails.
    """
    return RESET_CLIENT.consume(client_network(request)) or RESET_ADDRESS.consume(
        account_key(email) or ""
    )
