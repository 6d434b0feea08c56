"""Authentication events as data: one structured log record each, and the metric it moves.

``record(request, "sign_in", outcome="invalid_login", account=email)`` writes one record of the
``member.events`` logger whose extra fields are the event, its outcome, the account (the
normalised email), the client address, the user agent and a request id; ``LOG_FORMAT=json``
writes it as one JSON object a line (settings). Never a password, a captcha answer, a token or a
session key: only the fields below are written, and the account is the normal form of what was
typed.

The events: ``sign_in`` (success, invalid_login, invalid_captcha, locked_out, invalid_form),
``sign_out``, ``sign_up``, ``password_change`` (success, invalid_password, locked_out),
``reset_requested``, ``reset_completed``, ``lockout_started`` (account, client, device) and
``lockout_lifted`` (with who lifted it).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from django.http import HttpRequest

from member import metrics

logger = logging.getLogger("member.events")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
USER_AGENT_LENGTH = 256


def record(
    request: HttpRequest | None,
    event: str,
    *,
    outcome: str = "",
    account: str | None = None,
    **fields: str,
) -> None:
    """Log ``event`` (one record) and count it in the metrics."""
    _count(event, outcome)
    details: dict[str, Any] = {
        "event": event,
        "outcome": outcome,
        "account": account or "",
        **_request_fields(request),
        **fields,
    }
    text = " ".join(
        [event.replace("_", "-"), *([outcome] if outcome else [])]
        + [
            f"{name}={value!r}"
            for name, value in details.items()
            if name not in {"event", "outcome"}
        ]
    )
    logger.info("%s", text, extra=details)


def request_id(request: HttpRequest) -> str:
    """The proxy's ``X-Request-ID`` when it is a plain token, else one made for this request."""
    cached = getattr(request, "_member_request_id", None)
    if cached is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        cached = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request._member_request_id = cached  # type: ignore[attr-defined]
    return cached


def _request_fields(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {"client": "", "user_agent": "", "request_id": ""}
    from member.throttle import client_address

    return {
        "client": client_address(request),
        "user_agent": request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH],
        "request_id": request_id(request),
    }


def _count(event: str, outcome: str) -> None:
    if event == "sign_in":
        metrics.SIGN_INS.labels(outcome).inc()
    elif event == "sign_out":
        metrics.SIGN_OUTS.inc()
    elif event == "sign_up":
        metrics.SIGN_UPS.inc()
    elif event == "password_change" and outcome == "success":
        metrics.PASSWORD_CHANGES.inc()
    elif event == "reset_requested":
        metrics.RESET_REQUESTS.inc()
    elif event == "reset_completed":
        metrics.RESETS_COMPLETED.inc()
    elif event == "lockout_started":
        metrics.LOCKOUTS.labels(outcome).inc()
    elif event == "lockout_lifted":
        metrics.LOCKOUTS_LIFTED.inc()
