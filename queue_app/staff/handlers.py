"""Staff sign-in for API clients."""

from __future__ import annotations

from typing import Annotated

from flask import jsonify, request
from flask_login import current_user
from pydantic import Field, StringConstraints

from queue_app.api import bp
from queue_app.api.declare import MAX_PASSWORD, Shape, documented, parse_body
from queue_app.core.errors import Unauthorized
from queue_app.core.extensions import db
from queue_app.core.lookups import counters_with_current
from queue_app.core.site import iso
from queue_app.staff.auth import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    end_session,
    issue_token,
    revoke_token,
    staff_required,
    token_row,
)
from queue_app.staff.password import change_password as set_own_password
from queue_app.staff.shapes import Credentials, Me, Revoked, TokenIssued
from queue_app.staff.signin import check_login_rate, note_failed_login


@bp.post("/auth/token")
@documented("Exchange credentials for a bearer token", tags="auth", body=Credentials,
            responses={200: TokenIssued}, errors=(400, 401, 413, 422, 429))
def create_token():
    """Exchange a username and password for a bearer token."""
    data = parse_body(Credentials)
    username, password = data.username, data.password
    check_login_rate(username)
    user = authenticate(username, password)
    if user is None:
        note_failed_login(username)
        raise Unauthorized("Wrong username or password.")
    token, expires = issue_token(user)
    db.session.commit()
    return jsonify({"token": token, "role": user.role.value, "expires_at": iso(expires),
                    "counters": [c.code for c in user.counters]})


@bp.delete("/auth/token")
@documented("Revoke the bearer token this request is made with", tags="staff", staff=True,
            responses={200: Revoked}, errors=(401,))
@staff_required()
def delete_token():
    """Sign out: a bearer token stops working (a browser session ends), and the sockets it opened are
    disconnected."""
    from flask import g

    if not g.get("auth_via_token"):
        end_session()
        db.session.commit()
        return jsonify({"ok": True})
    row = token_row(request.headers.get("Authorization", "")[7:].strip())
    if row is None:  # expired between the check and now
        raise Unauthorized("Send the token to revoke as Authorization: Bearer <token>.")
    revoke_token(row)
    db.session.commit()
    return jsonify({"ok": True})


@bp.get("/me")
@documented("The signed-in user", tags="auth", staff=True, responses={200: Me}, errors=(401,))
@staff_required()
def me():
    """Who is signed in, and where they may act."""
    from flask import g
    from flask_wtf.csrf import generate_csrf

    counters = counters_with_current()
    return jsonify({
        # browser panels send this back in X-CSRFToken on every unsafe request
        "csrf_token": None if g.get("auth_via_token") else generate_csrf(),
        "username": current_user.username,
        "full_name": current_user.full_name,
        "role": current_user.role.value,
        "counters": [c.code for c in counters if current_user.may_use_counter(c)],
    })


class PasswordChange(Shape):
    """The current password proves the caller is the account's owner, not just a holder of its token."""

    current_password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD)]
    #: the minimum is checked by the handler, which names it in its 422 (the schema tells clients beforehand)
    new_password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD)] = Field(
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})


@bp.post("/auth/password")
@documented("Change your own password; every other session and token of yours ends", tags="staff",
            body=PasswordChange, responses={200: Revoked}, errors=(400, 401, 403, 422, 429), staff=True)
@staff_required()
def change_password():
    """Change the signed-in user's password; allowed even while a generated one must be changed. Every other
    browser session and bearer token of the user ends (their sockets are disconnected); this one goes on.
    Wrong current passwords are limited per user (429)."""
    data = parse_body(PasswordChange)
    set_own_password(current_user._get_current_object(), data.current_password, data.new_password)
    db.session.commit()
    return jsonify({"ok": True})
