"""Staff authentication: users, password hashing, bearer tokens, browser sessions and role checks."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import (
    current_app,
    g,
    has_request_context,
    request,
    session,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from queue_app.api.declare import MAX_PASSWORD
from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from queue_app.core.extensions import csrf, db, login_manager
from queue_app.core.models import Agency, Counter
from queue_app.core.outbox import end_access
from queue_app.staff.models import ApiToken, Role, StaffSession, User

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: session key of a random tag per signed-in browser; its SHA-256 names the browser's ``staff_sessions`` row,
#: without which the cookie is refused (a sign-out or a password change deletes it on the server). Its
#: sockets join ``session:<row id>``, so ending that row disconnects them (and only them).
SESSION_TAG = "socket_tag"
#: session key of when the row's ``seen_at`` was last written (it is written at most every few minutes)
SEEN_SAVED = "seen_saved"
#: how stale a session row's ``seen_at`` may get while its browser is in use
SEEN_EVERY_SECONDS = 300
#: Compared against when the username is unknown, so both failures take the same time
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 8
#: the ``users.full_name`` column's width (the admin form and the API both check it)
MAX_FULL_NAME = 120
USERNAME_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; same work for unknown user and wrong password."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        return None
    return user


def issue_token(user: User) -> tuple[str, datetime]:
    """Create a bearer token; only its hash is stored. The caller commits."""
    begin_write()
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    expires = now + timedelta(hours=current_app.extensions["site"].token_hours)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires))
    return token, expires


@functools.cache
def _token_by_hash() -> sa.Select:
    """Built once, with its user joined: every request with a bearer token asks (it was two round trips)."""
    return (sa.select(ApiToken).where(ApiToken.token_hash == sa.bindparam("hash"))
            .options(joinedload(ApiToken.user)))


def token_row(token: str) -> ApiToken | None:
    """The unexpired bearer token of an active user, or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    row = db.session.scalar(_token_by_hash(), {"hash": hash_token(token)})
    if row is None or row.expires_at <= clock.utcnow() or not row.user.active:
        return None
    return row


def end_other_access(user: User, *, keep_session: int | None = None, keep_token: int | None = None) -> int:
    """End every browser session and bearer token of ``user`` but the ones kept (the caller's own), and
    disconnect their sockets once this commits (in every process). The caller commits.

    :return: how many sessions and tokens ended.
    """
    begin_write()
    ended = 0
    for session_id in db.session.scalars(sa.select(StaffSession.id).where(
            StaffSession.user_id == user.id, StaffSession.id != (keep_session or 0))).all():
        end_access(f"session:{session_id}")
        ended += 1
    for token_id in db.session.scalars(sa.select(ApiToken.id).where(
            ApiToken.user_id == user.id, ApiToken.id != (keep_token or 0))).all():
        end_access(f"token:{token_id}")
        ended += 1
    db.session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id,
                                                     StaffSession.id != (keep_session or 0)))
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.id != (keep_token or 0)))
    return ended


def current_credentials() -> tuple[int | None, int | None]:
    """``(staff_sessions id, api_tokens id)`` this request is authenticated with (one of them is None); both None
    outside a request (the command line, a script)."""
    if not has_request_context():
        return None, None
    _ = current_user.is_authenticated  # loads the user, which notes its credential on ``g``
    return g.get("staff_session_id"), g.get("api_token_id")


def user_for_token(token: str) -> User | None:
    """The active user of an unexpired bearer token."""
    row = token_row(token)
    return row.user if row is not None else None


def revoke_token(row: ApiToken) -> None:
    """Delete one bearer token and disconnect the sockets opened with it. The caller commits."""
    begin_write()
    end_access(f"token:{row.id}")
    db.session.delete(row)


def purge_idle_sessions() -> int:
    """Delete the rows of browser sessions unused for longer than the idle timeout allows (housekeeping),
    disconnecting their sockets. The caller commits. :return: how many were deleted."""
    idle = current_app.extensions["site"].session_idle_minutes * 60 + 2 * SEEN_EVERY_SECONDS
    before = clock.utcnow() - timedelta(seconds=idle)
    ids = list(db.session.scalars(sa.select(StaffSession.id).where(StaffSession.seen_at < before)))
    if not ids:
        return 0
    begin_write()
    for session_id in ids:
        end_access(f"session:{session_id}")
    db.session.execute(sa.delete(StaffSession).where(StaffSession.id.in_(ids)))
    return len(ids)


def purge_expired_tokens() -> int:
    """Delete expired bearer tokens (housekeeping), disconnecting their sockets. The caller commits.

    :return: how many were deleted.
    """
    ids = list(db.session.scalars(sa.select(ApiToken.id).where(ApiToken.expires_at <= clock.utcnow())))
    if not ids:
        return 0
    begin_write()
    for token_id in ids:
        end_access(f"token:{token_id}")
    db.session.execute(sa.delete(ApiToken).where(ApiToken.id.in_(ids)))
    return len(ids)


def create_user(username: str, *, role: Role | str, password: str, counters: Iterable[str] = (),
                full_name: str = "", agency: str | None = None) -> User:
    """Add a staff user. The caller commits.

    :raise ValidationFailed: bad username, short password, duplicate, unknown counter or agency.
    """
    from queue_app.core.models import Agency

    begin_write()
    username = username.strip()
    # ASCII only: "аdmin" with a Cyrillic "а" would look like admin in the audit log and the user list
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailed(text="username_form", field="username")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(text="role_unknown", values={"roles": ", ".join(r.value for r in Role)},
                               field="role") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(text="password_short", values={"n": MIN_PASSWORD_LENGTH}, field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(f"Password may have at most {MAX_PASSWORD} characters.", field="password")
    if len(full_name or "") > MAX_FULL_NAME:
        raise ValidationFailed(f"The full name may have at most {MAX_FULL_NAME} characters.", field="full_name")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(text="user_exists", values={"username": username}, field="username")
    user = User(username=username, role=role, password_hash=generate_password_hash(password),
                full_name=full_name, created_at=clock.utcnow(), active=True, session_version=1)
    user.counters = resolve_counters(counters)
    if agency:
        found = db.session.scalar(sa.select(Agency).where(Agency.code == agency))
        if found is None:
            raise ValidationFailed(text="agency_unknown", values={"agency": agency}, field="agency")
        user.agency = found
    db.session.add(user)
    db.session.flush()
    return user


def resolve_counters(codes: Iterable[str]) -> list[Counter]:
    """Counters by code, in the given order, each once. :raise ValidationFailed: for an unknown code."""
    out = []
    for code in dict.fromkeys(codes):
        counter = db.session.scalar(sa.select(Counter).where(Counter.code == code))
        if counter is None:
            raise ValidationFailed(text="counter_unknown", values={"counter": code}, field="counters")
        out.append(counter)
    return out


def ensure_first_admin() -> str | None:
    """On a fresh site create ``admin`` with a random password and return it, to be written to a 0600 file.

    The password must be changed at first sign-in (see :mod:`queue_app.staff.password`).
    """
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    user = create_user("admin", role=Role.admin, password=password, full_name="Administrator")
    user.must_change_password = True
    return password


# --- Flask-Login wiring ------------------------------------------------------------------------


def _hash_tag(tag: str) -> str:
    return hashlib.sha256(tag.encode()).hexdigest()


@functools.cache
def _session_by_hash() -> sa.Select:
    return (sa.select(StaffSession).where(StaffSession.tag_hash == sa.bindparam("hash"))
            .options(joinedload(StaffSession.user)))


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of a session cookie, if its server-side row still exists (not signed out, not ended)."""
    try:
        uid, version = (int(x) for x in user_id.split(":"))
    except ValueError:
        return None
    tag = session.get(SESSION_TAG)
    if not isinstance(tag, str) or not tag:
        return None
    row = db.session.scalar(_session_by_hash(), {"hash": _hash_tag(tag)})
    if row is None or row.user_id != uid:
        return None
    user = row.user
    if not user.active or user.session_version != version:
        return None
    g.staff_session_id = row.id
    return user


@login_manager.request_loader
def _load_user_from_header(req) -> User | None:  # noqa: ANN001
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    row = token_row(header[7:].strip())
    if row is None:
        return None
    g.auth_via_token = True
    g.api_token_id = row.id
    return row.user


def start_session(user: User) -> None:
    """Sign this browser in as ``user``: a new server-side session row and a cookie naming it. The caller
    commits (before the answer: an uncommitted row would refuse the browser's next request)."""
    begin_write()
    tag = secrets.token_urlsafe(16)
    now = clock.utcnow()
    row = StaffSession(user_id=user.id, tag_hash=_hash_tag(tag), created_at=now, seen_at=now)
    db.session.add(row)
    db.session.flush()
    session.clear()
    login_user(user)
    session["last_seen"] = time.time()
    session[SEEN_SAVED] = now.timestamp()
    session[SESSION_TAG] = tag
    g.staff_session_id = row.id


def _note_seen() -> None:
    """Keep the session row's ``seen_at`` within a few minutes of the person's last request (its own short
    write, at most every SEEN_EVERY_SECONDS per browser), so housekeeping can tell an abandoned row."""
    now = clock.utcnow().timestamp()  # the clock seen_at is written with (tests move it)
    if now - session.get(SEEN_SAVED, 0) < SEEN_EVERY_SECONDS or not session.get(SESSION_TAG):
        return
    session[SEEN_SAVED] = now
    begin_write()
    db.session.execute(sa.update(StaffSession).where(StaffSession.tag_hash == _hash_tag(session[SESSION_TAG]))
                       .values(seen_at=clock.utcnow()))
    db.session.commit()


def expire_idle_session() -> None:
    """Log a browser session out after the configured idle time, so an unattended panel locks itself."""
    if "_user_id" not in session:
        return
    now = time.time()
    idle = current_app.extensions["site"].session_idle_minutes * 60
    last = session.get("last_seen", now)
    if now - last > idle:
        logout_user()
        session.clear()
        return
    # a panel's own background refresh (X-Background: 1) is not the clerk being at the desk
    if now - last > 30 and request.headers.get("X-Background") != "1":  # not on every request
        session["last_seen"] = now
        _note_seen()


def staff_required(*roles: Role) -> Callable[[F], F]:
    """Require a signed-in staff user (bearer token or session) with one of ``roles`` (any role if none).

    Browser sessions must also send the CSRF token on unsafe methods; bearer tokens cannot be
    sent by a foreign page, so they need none.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                raise Unauthorized("Sign in or send an Authorization: Bearer token.")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("auth_via_token"):
                csrf.protect()
            if roles and current_user.role not in roles:
                raise Forbidden(text="needs_role", values={"roles": " or ".join(r.value for r in roles)})
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_counter(counter: Counter) -> None:
    """:raise Forbidden: the signed-in user may not act for this counter."""
    if not current_user.may_use_counter(counter):
        raise Forbidden(text="not_assigned", values={"counter": counter.name})


def end_session() -> None:
    """Sign this browser out: its session row is deleted (the cookie, or a copy of it, is refused from now on)
    and, once the caller commits, the sockets it opened (its panels, its dashboard) are disconnected."""
    tag = session.get(SESSION_TAG)
    if isinstance(tag, str) and tag:
        begin_write()
        row = db.session.scalar(sa.select(StaffSession).where(StaffSession.tag_hash == _hash_tag(tag)))
        if row is not None:
            end_access(f"session:{row.id}")
            db.session.delete(row)
            db.session.flush()
    logout_user()
    session.clear()


def scoped_agency() -> int | None:
    """The agency whose figures this user may see: a scoped manager's own, or ``?agency=`` if allowed.

    :raise Forbidden: a scoped manager asked for another agency.
    :raise NotFound: unknown agency code.
    """
    own = current_user.agency_id if current_user.role is Role.manager else None
    code = request.args.get("agency")
    if not code:
        return own
    agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        raise NotFound(f'No agency with code "{code}".')
    if own is not None and agency_id != own:
        raise Forbidden("You may only see your own agency.")
    return agency_id
