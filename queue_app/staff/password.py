"""Changing one's own password, and the generated first admin password that must be changed.

The first admin's password is generated at the first start. It is written to a file only its owner can read
(``instance/first-admin-password``, mode 0600) and never to standard output, which gunicorn and systemd keep
in the journal for anyone in the ``adm`` group. Until it is changed, a browser session is sent to the
change-password page and bearer tokens are refused with 403 ``password_change_required``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from werkzeug.security import check_password_hash, generate_password_hash

from queue_app.core.database import begin_write
from queue_app.core.errors import Forbidden, RateLimited, ValidationFailed, wants_json
from queue_app.core.extensions import db
from queue_app.staff.models import User

logger = logging.getLogger(__name__)
bp = Blueprint("password", __name__)

FIRST_ADMIN_FILE = "first-admin-password"
#: what a user who must change the password may still reach
ALLOWED_ENDPOINTS = {"password.change", "api.change_password", "auth.logout", "auth.login", "static"}


class WrongPassword(Forbidden):
    """The current password is wrong."""

    code = "wrong_password"


class PasswordChangeRequired(Forbidden):
    """Change the generated password first: the /password page, or POST /api/auth/password."""

    code = "password_change_required"


def write_first_admin_password(instance_dir: Path, password: str) -> Path:
    """Store the generated password in a 0600 file (created 0600, never readable by others for a moment)."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / FIRST_ADMIN_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"username: admin\npassword: {password}\n"
                "Sign in at /login; you will be asked to choose a new password. This file is then removed.\n")
    return path


_GUESS_MESSAGE = "Too many wrong current passwords; wait a few minutes and try again."
#: the window of RATELIMIT_PASSWORD_GUESSES (a held token or an unlocked PC must not try a dictionary)
GUESS_WINDOW_SECONDS = 15 * 60


def change_password(user: User, current: str, new: str) -> int:
    """Set ``user``'s own password and end every other session and token of theirs (the one this request
    came with goes on), disconnecting their sockets once the caller commits.

    Wrong current passwords are counted per user (``RATELIMIT_PASSWORD_GUESSES`` in 15 minutes, every
    process together): over it, 429 even with the right one, so whoever holds a session or token cannot
    guess the password behind it.

    :return: how many other sessions and tokens ended.
    :raise RateLimited: too many wrong current passwords lately.
    :raise WrongPassword: the current password is wrong (403: a token alone must not change a password).
    :raise ValidationFailed: the new one is short or unchanged.
    """
    from queue_app.core.limits import check, hit
    from queue_app.staff.auth import MIN_PASSWORD_LENGTH, current_credentials, end_other_access

    limit = current_app.config.get("RATELIMIT_PASSWORD_GUESSES", 0)
    check("password-wrong", limit, str(user.id), message=_GUESS_MESSAGE, seconds=GUESS_WINDOW_SECONDS)
    if not isinstance(current, str) or not check_password_hash(user.password_hash, current):
        hit("password-wrong", limit, str(user.id), message=_GUESS_MESSAGE, seconds=GUESS_WINDOW_SECONDS)
        raise WrongPassword("The current password is wrong.", field="current_password")
    keep_session, keep_token = current_credentials()
    begin_write()
    if not isinstance(new, str) or len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
                               field="new_password")
    if new == current:
        raise ValidationFailed("Choose a password different from the current one.", field="new_password")
    first = user.must_change_password
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    ended = end_other_access(user, keep_session=keep_session, keep_token=keep_token)
    db.session.flush()
    if first:  # the generated password is no longer valid: do not leave it lying around
        instance_dir = current_app.extensions["site"].instance_dir
        if instance_dir is not None:
            (instance_dir / FIRST_ADMIN_FILE).unlink(missing_ok=True)
    logger.info("User %s changed their password (%d other sessions and tokens ended)", user.username, ended)
    return ended


@bp.before_app_request
def _require_password_change():  # noqa: ANN202
    """Hold a user with a generated password at the change-password page (or 403 for API callers)."""
    if request.endpoint in ALLOWED_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if g.get("auth_via_token") or wants_json():
        raise PasswordChangeRequired("This account's password was generated: change it first "
                                     "(POST /api/auth/password, or the /password page) before using the API.")
    return redirect(url_for("password.change"))


@bp.route("/password", methods=["GET", "POST"])
def change():
    """The change-password page (CSRF-protected form)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next="/password"))
    error = None
    status = 200
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("repeat_password", ""):
            error, status = "Kata sandi baru dan ulangannya tidak sama. (The new passwords differ.)", 422
        else:
            user = current_user._get_current_object()
            try:
                change_password(user, request.form.get("current_password", ""), new)
                db.session.commit()
            except (ValidationFailed, WrongPassword, RateLimited) as exc:
                db.session.rollback()
                error, status = str(exc), exc.status_code if isinstance(exc, RateLimited) else 422
            else:
                login_user(user)  # the same session goes on, now allowed everywhere
                return redirect("/counter/" if user.role.value == "clerk" else "/dashboard/")
    return render_template("change_password.html", error=error,
                           must=current_user.must_change_password), status
