"""A staff user changes their own password over the API (also the way out of a generated password)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from queue_app.api import bp
from queue_app.api.declare import Shape, documented, parse_body
from queue_app.api.shapes.staff import Revoked
from queue_app.core.extensions import db
from queue_app.staff.auth import MIN_PASSWORD_LENGTH, staff_required
from queue_app.staff.password import change_password as set_own_password


class PasswordChange(Shape):
    """The current password proves the caller is the account's owner, not just a holder of its token."""

    current_password: str
    #: the minimum is checked by the handler, which names it in its 422 (the schema tells clients beforehand)
    new_password: str = Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})


@bp.post("/auth/password")
@documented("Change your own password", tags="staff", body=PasswordChange, responses={200: Revoked},
            errors=(400, 401, 403, 422), staff=True)
@staff_required()
def change_password():
    """Change the signed-in user's password; allowed even while a generated one must be changed."""
    data = parse_body(PasswordChange)
    set_own_password(current_user._get_current_object(), data.current_password, data.new_password)
    db.session.commit()
    return jsonify({"ok": True})
