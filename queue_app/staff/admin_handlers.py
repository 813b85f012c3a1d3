"""Admin JSON endpoints: users, counters, closed services, the display's running text, the audit log.

Thin handlers over :mod:`queue_app.staff.admin`, which writes the audit entry of every change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.models import Service
from queue_app.core.site import iso
from queue_app.staff import admin
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role, User
from queue_app.staff.shapes import (
    AdminService,
    AuditEntry,
    CloseReason,
    CounterCodes,
    NewPassword,
    NewRunningText,
    NewUser,
    RunningText,
)
from queue_app.staff.shapes import User as UserShape


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


WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422)


def admin_op(summary: str, **kwargs: Any) -> Callable[[Callable], Callable]:
    """``@documented`` for an admin endpoint."""
    return documented(summary, tags="admin", staff=True, **kwargs)


@bp.get("/admin/users")
@admin_op("Every staff user", responses={200: list[UserShape]}, errors=(401, 403))
@staff_required(Role.admin)
def admin_users():
    """Every staff user."""
    return jsonify([user_to_dict(u) for u in admin.list_users()])


@bp.post("/admin/users")
@admin_op("Create a user", body=NewUser, responses={201: UserShape}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_create_user():
    """Create a user: ``{"username","role","password","counters":[],"full_name","agency"}``."""
    data = parse_body(NewUser)
    user = admin.create_user(_actor(), data.username, role=data.role, password=data.password,
                             counters=data.counters or [], full_name=data.full_name or "", agency=data.agency)
    body = user_to_dict(user)
    db.session.commit()
    return jsonify(body), 201


@bp.post("/admin/users/<username>/disable")
@admin_op("Disable a user; their sessions and tokens end", responses={200: UserShape}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_disable_user(username: str):
    """Disable a user; their sessions and tokens end at once."""
    body = user_to_dict(admin.set_user_active(_actor(), username, False))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/users/<username>/enable")
@admin_op("Enable a disabled user", responses={200: UserShape}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_enable_user(username: str):
    """Re-enable a disabled user."""
    body = user_to_dict(admin.set_user_active(_actor(), username, True))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/users/<username>/password")
@admin_op("Set a new password; the user's sessions and tokens end", body=NewPassword,
          responses={200: UserShape}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_reset_password(username: str):
    """Set a new password ``{"password"}``; the user's sessions and tokens end."""
    body = user_to_dict(admin.reset_password(_actor(), username, parse_body(NewPassword).password))
    db.session.commit()
    return jsonify(body)


@bp.put("/admin/users/<username>/counters")
@admin_op("Replace the counters a user may act for", body=CounterCodes, responses={200: UserShape},
          errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_assign_counters(username: str):
    """Replace the user's counters ``{"counters": ["L01", ...]}``."""
    codes = parse_body(CounterCodes).counters or []
    body = user_to_dict(admin.assign_counters(_actor(), username, codes))
    db.session.commit()
    return jsonify(body)


@bp.get("/admin/services")
@admin_op("Services with whether each is closed today", responses={200: list[AdminService]}, errors=(401, 403))
@staff_required(Role.admin)
def admin_services():
    """Services with whether each is closed today and why."""
    return jsonify([service_admin_dict(s) for s in admin.list_services()])


@bp.post("/admin/services/<code>/close")
@admin_op("Close a service for the rest of today; the kiosk shows the reason", body=CloseReason,
          responses={200: AdminService}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_close_service(code: str):
    """Close a service for the rest of today ``{"reason"}``; the kiosk shows the reason."""
    body = service_admin_dict(admin.close_service(_actor(), code, parse_body(CloseReason).reason))
    db.session.commit()
    return jsonify(body)


@bp.post("/admin/services/<code>/open")
@admin_op("Reopen a service closed today", responses={200: AdminService}, errors=WRITE_ERRORS)
@staff_required(Role.admin)
def admin_open_service(code: str):
    """Open a service closed earlier today."""
    body = service_admin_dict(admin.open_service(_actor(), code))
    db.session.commit()
    return jsonify(body)


@bp.get("/admin/running-text")
@admin_op("The hall displays' running text", responses={200: RunningText}, errors=(401, 403))
@staff_required(Role.admin)
def admin_get_running_text():
    """The text scrolling on the hall displays."""
    return jsonify({"text": admin.running_text()})


@bp.put("/admin/running-text")
@admin_op("Change the running text; displays update live", body=NewRunningText, responses={200: RunningText},
          errors=(400, 401, 403, 413, 422))
@staff_required(Role.admin)
def admin_set_running_text():
    """Change the running text ``{"text"}``; displays update live."""
    text = admin.set_running_text(_actor(), parse_body(NewRunningText).text or "")
    db.session.commit()
    return jsonify({"text": text})


@bp.get("/admin/audit")
@admin_op("The audit log, newest first", responses={200: list[AuditEntry]}, errors=(401, 403, 422), query={
    "limit": ({"type": "integer", "minimum": 1}, False, "at most this many entries (default 100, max 500)"),
    "before": ({"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, False, "entries older than this id")})
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
