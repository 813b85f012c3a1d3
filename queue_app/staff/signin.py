"""Signing in and out of the staff panels in a browser (``/login``, ``/logout``), and how failed sign-ins are
slowed (the API's ``POST /api/auth/token`` counts them the same way)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from queue_app.core.extensions import db
from queue_app.core.limits import check, hit
from queue_app.staff.auth import authenticate, end_session, expire_idle_session, start_session
from queue_app.staff.models import Role, User

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
# every request of the app: an unattended panel locks itself after the configured idle time
bp.before_app_request(expire_idle_session)


# --- login rate limit -------------------------------------------------------------------------
# Failed sign-ins are counted per (address, username) in the shared limiter store, so every process
# counts together, a guesser is slowed, and a guest typing wrong passwords behind the same proxy
# address does not lock every clerk out at 07:30 (each username has its own count).

_LOGIN_MESSAGE = "Too many failed sign-ins; wait a minute and try again."


def _login_key(username: str) -> tuple[str, str]:
    return request.remote_addr or "?", username.strip().lower()[:64]


def check_login_rate(username: str) -> None:
    """:raise RateLimited: RATELIMIT_LOGIN failed sign-ins for this username from this address in a minute."""
    check("login-failed", current_app.config.get("RATELIMIT_LOGIN", 0), *_login_key(username),
          message=_LOGIN_MESSAGE)


def note_failed_login(username: str) -> None:
    hit("login-failed", current_app.config.get("RATELIMIT_LOGIN", 0), *_login_key(username), message=_LOGIN_MESSAGE)


# --- browser login pages ---------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in to the staff panels with a session cookie."""
    error = None
    next_url = safe_next(request.values.get("next", ""))
    if request.method == "POST":
        username = request.form.get("username", "")
        check_login_rate(username)
        user = authenticate(username, request.form.get("password", ""))
        if user is None:
            note_failed_login(username)
            error = "login_failed"
        else:
            start_session(user)
            db.session.commit()
            logger.info("User %s signed in", user.username)
            return redirect(next_url or _home_for(user))
    return render_template("login.html", error=error, next=next_url), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST with CSRF token, so a foreign page cannot sign a clerk out): the session ends on the
    server too (a copy of the cookie is refused), and this browser's open panels and dashboards are
    disconnected."""
    end_session()
    db.session.commit()
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
