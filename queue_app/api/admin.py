"""Admin JSON endpoints: users, counters, closed services, the display's running text, the audit log.

Thin handlers over :mod:`queue_app.admin`, which writes the audit entry of every change.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.parsing import field, json_body
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import iso
from queue_app.staff import admin
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role, User


def user_to_dict(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role.value,
        "active": user.active,
        "agency": user.agency.code if user.agency else None,
        "counters": [c.code for c in user.counters],
        "created_at": iso(user.created_at),
    }


def service_admin_dict(service: Service) -> dict[str, Any]:
    closed = admin.is_closed_today(service)
    return {"code": service.code, "name": service.name, "agency": service.agency.code, "prefix": service.prefix,
            "closed_today": closed, "closed_reason": service.closed_reason if closed else ""}


def _actor() -> User:
    return current_user._get_current_object()


def _codes(data: dict[str, Any], name: str) -> list[str]:
    value = field(data, name, list, required=False, default=[])
    if not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f'Field "{name}" must be a list of strings.', field=name)
    return value


@bp.get("/admin/users")
@staff_required(Role.admin)
def admin_users():
    """Every staff user."""
    return jsonify([user_to_dict(u) for u in admin.list_users()])


@bp.post("/admin/users")
@staff_required(Role.admin)
def admin_create_user():
    """Create a user: ``{"username","role","password","counters":[],"full_name","agency"}``."""
    data = json_body()
    user = admin.create_user(
        _actor(), field(data, "username", str), role=field(data, "role", str),
        password=field(data, "password", str), counters=_codes(data, "counters"),
        full_name=field(data, "full_name", str, required=False, default=""),
        agency=field(data, "agency", str, required=False, default=None),
    )
    body = user_to_dict(user)
    db.session.commit()
    return jsonify(body), 201


@bp.post("/admin/users/<username>/disable")
@staff_required(Role.admin)
def admin_disable_user(username: str):
    """Disable a user; their sessions and tokens end at once."""
    body = user_to_dict(admin.set_user_active(_actor(), username, False))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/users/<username>/enable")
@staff_required(Role.admin)
def admin_enable_user(username: str):
    """Re-enable a disabled user."""
    body = user_to_dict(admin.set_user_active(_actor(), username, True))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/users/<username>/password")
@staff_required(Role.admin)
def admin_reset_password(username: str):
    """Set a new password ``{"password"}``; the user's sessions and tokens end."""
    body = user_to_dict(admin.reset_password(_actor(), username, field(json_body(), "password", str)))
    db.session.commit()
    return jsonify(body)


@bp.put("/admin/users/<username>/counters")
@staff_required(Role.admin)
def admin_assign_counters(username: str):
    """Replace the user's counters ``{"counters": ["L01", ...]}``."""
    data = json_body()
    if "counters" not in data:
        raise ValidationFailed('Missing field "counters".', field="counters")
    body = user_to_dict(admin.assign_counters(_actor(), username, _codes(data, "counters")))
    db.session.commit()
    return jsonify(body)


@bp.get("/admin/services")
@staff_required(Role.admin)
def admin_services():
    """Services with whether each is closed today and why."""
    return jsonify([service_admin_dict(s) for s in admin.list_services()])


@bp.post("/admin/services/<code>/close")
@staff_required(Role.admin)
def admin_close_service(code: str):
    """Close a service for the rest of today ``{"reason"}``; the kiosk shows the reason."""
    body = service_admin_dict(admin.close_service(_actor(), code, field(json_body(), "reason", str)))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/services/<code>/open")
@staff_required(Role.admin)
def admin_open_service(code: str):
    """Open a service closed earlier today."""
    body = service_admin_dict(admin.open_service(_actor(), code))
    db.session.commit()
    return jsonify(body)


@bp.get("/admin/running-text")
@staff_required(Role.admin)
def admin_get_running_text():
    """The text scrolling on the hall displays."""
    return jsonify({"text": admin.running_text()})


@bp.put("/admin/running-text")
@staff_required(Role.admin)
def admin_set_running_text():
    """Change the running text ``{"text"}``; displays update live."""
    text = admin.set_running_text(_actor(), field(json_body(), "text", str, required=False, default=""))
    db.session.commit()
    return jsonify({"text": text})


@bp.get("/admin/audit")
@staff_required(Role.admin)
def admin_audit():
    """The audit log, newest first; ``?limit=`` (max 500) and ``?before=<id>`` page back."""
    try:
        limit = int(request.args.get("limit", 100))
        before = int(request.args["before"]) if request.args.get("before") else None
    except ValueError:
        raise ValidationFailed("limit and before must be integers.", field="limit") from None
    if limit < 1 or not 0 < (before or 1) < 2**63:  # a database integer is 64-bit: larger ones would 500
        raise ValidationFailed("limit must be at least 1 and before a positive id.", field="limit")
    rows = admin.audit_entries(limit=limit, before_id=before)
    return jsonify([{"id": e.id, "at": iso(e.at), "user": username, "action": e.action, "target": e.target,
                     "details": e.details} for e, username in rows])
