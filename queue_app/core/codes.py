"""Codes a person types at the kiosk: a booking's, and a ticket's taken from afar (same alphabet, same length).

No 0/O, 1/I: what is read off a phone's screen is typed without doubt. 32⁸ codes: guessing one is slowed by the
check-in's rate limit, and a booking's code and a ticket's never meet in practice (the kiosk tries the booking
first, then the ticket).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
#: what a normalised code may be (anything else is not looked up)
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def normalise_code(code: str) -> str:
    """What a person or a scanner typed → the stored code (case, spaces and dashes do not matter)."""
    return re.sub(r"[\s-]", "", code or "").upper()


def random_code() -> str:
    """A random code, not yet checked against those given (:func:`new_code` checks)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_code(taken: Callable[[str], bool]) -> str:
    """A fresh random code that ``taken`` says is free."""
    while True:
        code = random_code()
        if not taken(code):
            return code
