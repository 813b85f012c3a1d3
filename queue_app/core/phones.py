"""Phone numbers as people type them, stored and sent one way: digits starting ``62``.

Every feature that takes a number (a ticket, joining from afar, a complaint, the notices) reads it through
:func:`normalise_phone`, so ``0812-3456-789``, ``+62 812 3456 789`` and ``62812 3456789`` are one number.
"""

from __future__ import annotations

import re

from queue_app.core.errors import ValidationFailed

#: 62, a first digit that is not 0, then 7 to 13 more digits (mobile and fixed lines, with their area code)
PHONE_RE = re.compile(r"^62[1-9][0-9]{6,12}$")
_SEPARATORS = re.compile(r"[\s-]")


class InvalidPhone(ValidationFailed):
    """A phone number must look like 08…, +62… or 62… (spaces and dashes allowed)."""

    code = "invalid_phone"


def normalise_phone(raw: str) -> str:
    """``0812-3456 789``, ``+62 812…``, ``62812…`` → ``62812…`` (digits, as the notices send them).

    :raise InvalidPhone: anything else (422 ``invalid_phone``).
    """
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not PHONE_RE.match(digits):
        raise InvalidPhone("A phone number must look like 08…, +62… or 62… (spaces and dashes allowed).",
                           field="phone")
    return digits


def optional_phone(raw: str | None) -> str | None:
    """:func:`normalise_phone` of a number that may be left out: None or blank → None."""
    return normalise_phone(raw) if raw is not None and raw.strip() else None
