"""One normal form for email addresses: one mailbox, one account.

Every place that stores, compares or counts an email goes through ``normalise_email`` (sign-up,
the manager, factories, the demo member) or ``normalise_email_for_lookup`` (sign-in, the throttle's
account key), so spellings of one mailbox cannot become two accounts:

- NFKC first: full-width letters (U+FF41…) and the Kelvin sign (U+212A) become ASCII;
- the local part unquoted (``"kate"@…`` is ``kate@…``) and case-folded;
- the domain case-folded and IDNA-encoded (``måil.example`` is ``xn--mil-ula.example``), with
  Python's own ``idna`` codec: after NFKC and case folding, the characters where IDNA 2003 and
  2008 differ (ß, ς, joiners) are already mapped, so no extra dependency is needed.

Folding the local part's case is a policy choice (RFC 5321 lets a server tell ``Kate`` from
``kate``); no mail provider people use does, and two accounts for them would be a trap.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

INVALID_EMAIL = _("Enter a valid email address.")


def normalise_email(raw: str) -> str:
    """The stored form of ``raw``; raises ``ValidationError`` (code ``invalid``) when it is no
    valid address once normalised."""
    text = unicodedata.normalize("NFKC", raw).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(INVALID_EMAIL, code="invalid")
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1]
        if '"' in local or "\\" in local:
            raise ValidationError(INVALID_EMAIL, code="invalid")
    try:
        ascii_domain = domain.casefold().rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(INVALID_EMAIL, code="invalid") from None
    email = f"{local.casefold()}@{ascii_domain}"
    validate_email(email)
    return email


def normalise_email_for_lookup(raw: str) -> str:
    """The form to look ``raw`` up by: ``normalise_email``, or for input that can be no stored
    address, the same folding without validation (it then matches nothing, consistently)."""
    try:
        return normalise_email(raw)
    except ValidationError:
        return unicodedata.normalize("NFKC", raw).strip().casefold()
