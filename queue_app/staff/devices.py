"""Device credentials: the machines that act without a person signing in prove themselves with a key.

A device is a *kind* and a *code*: ``("kiosk", "K1")`` for a ticket kiosk, ``("agent", "p1")`` for the
print agent of printer p1, ``("survey", "L01")`` for the satisfaction-survey tablet at counter L01. Each
has at most one key: 256 random bits, shown once (``mpp-queue kiosk key K1``, ``mpp-queue printer key
p1``, or the admin page that enrols a browser) and stored only as its SHA-256 in the ``settings`` table,
so a database dump does not reveal it. A random key this long needs no slow hash. A new key ends the
old one, and ends what the old one opened: :func:`create_key` records ``access_ended`` for the room
:func:`device_room`, which every live socket of that device joined, so they are disconnected when the
transaction commits, in every server process (the message queue carries it).

How a device sends its key is the caller's business: a kiosk API client uses the ``X-Kiosk-Key`` header,
an enrolled kiosk browser the HttpOnly cookie :data:`COOKIE` (``<kind>:<code>:<key>``), a print agent
``auth: {"key": ...}`` on its Socket.IO connect. A new kind only needs an entry in :data:`KINDS`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.lookups import setting_value
from queue_app.core.models import Setting
from queue_app.core.outbox import end_access

#: kind -> prefix of its ``settings`` row; print agents keep the row name they always had
KINDS = {"kiosk": "kiosk_key:", "agent": "printer_key:", "survey": "survey_key:"}
#: the cookie an enrolled browser (kiosk PC, survey tablet) sends its credential in
COOKIE = "mpp_device"
#: a browser enrolment lasts until the key is rotated; the cookie just must not expire first
COOKIE_MAX_AGE = 10 * 365 * 24 * 3600
MAX_KEY_LENGTH = 200


def _row_key(kind: str, code: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown device kind {kind!r}")
    return KINDS[kind] + code


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def device_room(kind: str, code: str) -> str:
    """The Socket.IO room every live socket of this device joins, so a new key can close them all."""
    return f"device:{kind}:{code}"


def create_key(kind: str, code: str) -> str:
    """Create or replace the key of a device; the plain key is returned once, never stored. The caller commits.

    The old key stops working at once, and the device's open sockets are disconnected after commit.
    """
    import secrets

    key = secrets.token_urlsafe(32)
    begin_write()
    row_key = _row_key(kind, code)
    now = clock.utcnow()
    value = {"sha256": _hash(key), "created_at": now.isoformat()}
    row = db.session.get(Setting, row_key)
    if row is None:
        db.session.add(Setting(key=row_key, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now
    end_access(device_room(kind, code))
    return key


def revoke_key(kind: str, code: str) -> bool:
    """Delete the key of a device (the device no longer works until enrolled again), disconnecting its sockets
    once the caller commits. :return: whether there was a key."""
    begin_write()
    row = db.session.get(Setting, _row_key(kind, code))
    end_access(device_room(kind, code))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def key_fingerprint(kind: str, code: str) -> str | None:
    """The stored hash of the current key (None: no key yet); a socket remembers it to notice a rotation."""
    value = setting_value(_row_key(kind, code))  # from the catalogue: asked for every ticket
    stored = value.get("sha256") if isinstance(value, dict) else None
    return stored if isinstance(stored, str) else None


def check_key(kind: str, code: Any, key: Any) -> bool:
    """Whether ``key`` is the current key of device ``(kind, code)``; constant time, any input."""
    if not isinstance(code, str) or not code or not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        return False
    stored = key_fingerprint(kind, code)
    return stored is not None and hmac.compare_digest(stored, _hash(key))


def has_key(kind: str, code: str) -> bool:
    return key_fingerprint(kind, code) is not None


def cookie_value(kind: str, code: str, key: str) -> str:
    """What an enrolled browser keeps in :data:`COOKIE`."""
    return f"{kind}:{code}:{key}"


def from_cookie(value: str | None, kind: str) -> tuple[str, str] | None:
    """``(code, key)`` of a :data:`COOKIE` value for a device of ``kind``, or None; not yet checked."""
    if not value or len(value) > MAX_KEY_LENGTH + 80:
        return None
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[0] != kind or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]
