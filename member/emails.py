"""One normal form for email addresses: one mailbox, one account.

Every place that stores, compares or counts an email goes through ``normalise_email`` (sign-up,
the manager, factories, the demo member) or ``normalise_email_for_lookup`` (sign-in, the throttle's
account key), so spellings of one mailbox cannot become two accounts:

- NFKC first: full-width letters (U+FF41…) and the Kelvin sign (U+212A) become ASCII;
- the local part unquoted (``"kate"@…`` is ``kate@…``) and case-folded;
- the domain mapped by UTS #46 (which folds its case) and IDNA 2008-encoded (``måil.example`` is
  ``xn--mil-ula.example``) with the ``idna`` package. Not Python's ``"idna"`` codec: that is IDNA
  2003, and case-folding before it turns ``faß.de`` into ``fass.de``, two registrable domains (two
  people's mailboxes) made one account;
- each domain label in one script (Latin may join Han, Kana, Hangul: UTS #39's "highly
  restrictive" level), judged on the Unicode form so an ``xn--`` spelling cannot slip through: a
  Latin name with one Cyrillic letter is refused as a lookalike, with its own message.

Folding the local part's case is a policy choice (RFC 5321 lets a server tell ``Kate`` from
``kate``); no mail provider people use does, and two accounts for them would be a trap.
"""

from __future__ import annotations

import functools
import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

INVALID_EMAIL = _("Enter a valid email address.")
LOOKALIKE_EMAIL = _(
    "This email address mixes letters from different alphabets that look alike. "
    "Please type it again in one alphabet."
)
# Scripts that UTS #39's "highly restrictive" level lets share a label with Latin.
_CJK_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def _script(char: str) -> str | None:
    """A letter's script, read from the first word of its Unicode name; ``None`` for non-letters.

    An approximation of the Unicode Script property, exact for the scripts whose letters pass for
    Latin ones (Cyrillic, Greek, Armenian, Cherokee...); digits, hyphens and marks join any script.
    """
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _one_script(label: str) -> bool:
    scripts = {script for script in map(_script, label) if script is not None}
    return len(scripts) <= 1 or scripts <= _CJK_SCRIPTS | {"LATIN"}


def normalise_email(raw: str) -> str:
    """The stored form of ``raw``; raises ``ValidationError``: code ``invalid`` when it is no
    valid address once normalised, ``lookalike`` for a domain label that mixes scripts."""
    text = unicodedata.normalize("NFKC", raw).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(INVALID_EMAIL, code="invalid")
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1]
        if '"' in local or "\\" in local:
            raise ValidationError(INVALID_EMAIL, code="invalid")
    email = f"{local.casefold()}@{_normal_domain(domain)}"
    validate_email(email)
    return email


@functools.lru_cache(maxsize=4096)
def _normal_domain(domain: str) -> str:
    """The IDNA 2008 ASCII form of ``domain``, refused when a label mixes scripts.

    Cached: the UTS #46 mapping is slow next to the rest, and most addresses share a few domains.
    A refusal raises, and lru_cache stores no exceptions.
    """
    try:
        ascii_domain = idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
        labels = idna.decode(ascii_domain).split(".")
    except (idna.IDNAError, UnicodeError):
        raise ValidationError(INVALID_EMAIL, code="invalid") from None
    if not all(_one_script(label) for label in labels):
        raise ValidationError(LOOKALIKE_EMAIL, code="lookalike")
    return ascii_domain


def normalise_email_for_lookup(raw: str) -> str:
    """The form to look ``raw`` up by: ``normalise_email``, or for input that can be no stored
    address, the same folding without validation (it then matches nothing, consistently)."""
    try:
        return normalise_email(raw)
    except ValidationError:
        return unicodedata.normalize("NFKC", raw).strip().casefold()
