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
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import Forbidden, RateLimited, Unauthorized, ValidationFailed
from queue_app.core.extensions import csrf, db, login_manager
from queue_app.core.models import Counter
from queue_app.staff.models import ApiToken, Role, User

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Compared against when the username is unknown, so both failures take the same time
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 8
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


def user_for_token(token: str) -> User | None:
    """The active user of an unexpired bearer token."""
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.expires_at <= clock.utcnow() or not row.user.active:
        return None
    return row.user


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
        raise ValidationFailed("Username must be 1-64 ASCII letters, digits, '.', '_' or '-'.", field="username")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Role must be one of {', '.join(r.value for r in Role)}.", field="role") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(f'User "{username}" already exists.', field="username")
    user = User(username=username, role=role, password_hash=generate_password_hash(password),
                full_name=full_name, created_at=clock.utcnow(), active=True, session_version=1)
    user.counters = resolve_counters(counters)
    if agency:
        found = db.session.scalar(sa.select(Agency).where(Agency.code == agency))
        if found is None:
            raise ValidationFailed(f'Unknown agency "{agency}".', field="agency")
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
            raise ValidationFailed(f'Unknown counter "{code}".', field="counters")
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


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        uid, version = (int(x) for x in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


@login_manager.request_loader
def _load_user_from_header(req) -> User | None:  # noqa: ANN001
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_for_token(header[7:].strip())
    if user is not None:
        g.auth_via_token = True
    return user


@bp.before_app_request
def _expire_idle_session() -> None:
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
                raise Forbidden(f"This needs the role {' or '.join(r.value for r in roles)}.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_counter(counter: Counter) -> None:
    """:raise Forbidden: the signed-in user may not act for this counter."""
    if not current_user.may_use_counter(counter):
        raise Forbidden(f"You are not assigned to {counter.name}.")


# --- login rate limit (per process; a real attacker is slowed, a clerk who mistypes is not) ----

_attempts: dict[str, list[float]] = {}


def check_login_rate(key: str) -> None:
    """:raise RateLimited: more than RATELIMIT_LOGIN failed attempts from this address in a minute."""
    limit = current_app.config.get("RATELIMIT_LOGIN", 0)
    if not limit:
        return
    now = time.monotonic()
    recent = [t for t in _attempts.get(key, []) if now - t < 60]
    _attempts[key] = recent
    if len(recent) >= limit:
        raise RateLimited("Too many failed sign-ins; wait a minute and try again.")


def note_failed_login(key: str) -> None:
    _attempts.setdefault(key, []).append(time.monotonic())


# --- browser login pages ---------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in to the staff panels with a session cookie."""
    error = None
    next_url = safe_next(request.values.get("next", ""))
    if request.method == "POST":
        addr = request.remote_addr or "?"
        check_login_rate(addr)
        user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            note_failed_login(addr)
            error = "login_failed"
        else:
            session.clear()
            login_user(user)
            session["last_seen"] = time.time()
            logger.info("User %s signed in", user.username)
            return redirect(next_url or _home_for(user))
    return render_template("login.html", error=error, next=next_url), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST with CSRF token, so a foreign page cannot sign a clerk out)."""
    logout_user()
    session.clear()
    flash("logged_out")
    return redirect(url_for("auth.login"))


def safe_next(url: str) -> str:
    """``url`` if it is a path on this site, else "" (the user's home page is used).

    Browsers drop tabs and newlines and read a backslash as ``/``, so ``/%09/evil.example`` and
    ``/%5Cevil.example`` both become ``//evil.example``, another site: any control character or backslash
    refuses the URL, and what is left must parse with no scheme and no host and start with exactly one ``/``.
    """
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return ""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        return ""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return ""
    return url


def _home_for(user: User) -> str:
    if user.role is Role.clerk:
        return "/counter/"
    return "/dashboard/"
