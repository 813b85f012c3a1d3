"""What the people who run the building change at run time: users, counters, closed services, running text.

Plain functions used by the admin pages and the admin API alike. Each one writes an
:class:`AuditEntry` (who, when, what) in the same transaction as the change, so the audit log can
never disagree with what happened. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from queue_app.core import clock
from queue_app.core.database import begin_write
from queue_app.core.errors import InvalidTransition, NotFound, ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import get_service, setting_value
from queue_app.core.models import Service, Setting
from queue_app.core.outbox import end_access, touch
from queue_app.core.site import current_site, today
from queue_app.staff import auth
from queue_app.staff.events import to_every_zone
from queue_app.staff.models import ApiToken, AuditEntry, Role, StaffSession, User

RUNNING_TEXT = "running_text"
MAX_RUNNING_TEXT = 500
MAX_REASON = 200


class UserNotFound(NotFound):
    """No such user."""

    code = "user_not_found"


def audit(actor: User | None, action: str, target: str = "", **details: Any) -> AuditEntry:
    """Record who did what to which thing, now."""
    entry = AuditEntry(at=clock.utcnow(), user_id=actor.id if actor else None, action=action,
                       target=target[:128], details=details)
    db.session.add(entry)
    return entry


def get_user(username: str) -> User:
    """:raise UserNotFound:"""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise UserNotFound(text="user_unknown", values={"username": username})
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), User.role, User.username)))


# --- users -----------------------------------------------------------------------------------


def create_user(actor: User | None, username: str, *, role: Role | str, password: str,
                counters: Iterable[str] = (), full_name: str = "", agency: str | None = None) -> User:
    """Add a staff user (validation as :func:`auth.create_user`)."""
    begin_write()
    user = auth.create_user(username, role=role, password=password, counters=counters,
                            full_name=full_name.strip(), agency=agency or None)
    audit(actor, "user_created", user.username, role=user.role.value,
          counters=[c.code for c in user.counters], full_name=user.full_name,
          agency=user.agency.code if user.agency else None)
    db.session.flush()
    return user


def set_user_active(actor: User | None, username: str, active: bool) -> User:
    """Disable (ending every session and token at once) or re-enable a user.

    :raise ValidationFailed: an admin disabling themself, or the last active admin.
    """
    begin_write()
    user = get_user(username)
    if user.active == active:
        raise InvalidTransition(text="user_already_active" if active else "user_already_disabled",
                                values={"username": username})
    if not active:
        if actor is not None and actor.id == user.id:
            raise ValidationFailed(text="user_disable_self", field="username")
        _keep_one_admin(user)
        _end_sessions(user)
    user.active = active
    audit(actor, "user_enabled" if active else "user_disabled", user.username)
    db.session.flush()
    return user


def reset_password(actor: User | None, username: str, password: str) -> User:
    """Set a new password; the user's open sessions and API tokens stop working."""
    begin_write()
    user = get_user(username)
    if not isinstance(password, str) or len(password) < auth.MIN_PASSWORD_LENGTH:
        raise ValidationFailed(text="password_short", values={"n": auth.MIN_PASSWORD_LENGTH}, field="password")
    user.password_hash = generate_password_hash(password)
    _end_sessions(user)
    audit(actor, "password_reset", user.username)  # never the password itself
    db.session.flush()
    return user


def assign_counters(actor: User | None, username: str, counters: Iterable[str]) -> User:
    """Replace the counters a user may act for (clerks; admins act for all, managers for none)."""
    begin_write()
    user = get_user(username)
    before = [c.code for c in user.counters]
    user.counters = auth.resolve_counters(list(dict.fromkeys(counters)))
    after = [c.code for c in user.counters]
    audit(actor, "counters_assigned", user.username, before=before, after=after)
    db.session.flush()
    return user


def _end_sessions(user: User) -> None:
    # the session cookie carries "<id>:<session_version>", so a new version logs every browser out
    user.session_version += 1
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id))
    # and every panel or dashboard socket they opened, in every process, once this commits
    end_access(f"user:{user.id}")


def _keep_one_admin(user: User) -> None:
    if user.role is not Role.admin:
        return
    others = db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.role == Role.admin, User.active, User.id != user.id)
    )
    if not others:
        raise ValidationFailed(text="last_admin", field="username")


# --- services --------------------------------------------------------------------------------


def list_services() -> list[Service]:
    return list(db.session.scalars(sa.select(Service).where(Service.active).order_by(Service.position)))


def is_closed_today(service: Service) -> bool:
    return service.closed_on == today()


def close_service(actor: User | None, code: str, reason: str, day: date | None = None) -> Service:
    """Stop issuing tickets of a service for the rest of today (or for all of ``day``, today or later);
    the kiosk shows ``reason``.

    Tickets already waiting stay and can still be called.
    """
    begin_write()
    service = get_service(code)
    if day is not None and day < today():
        raise ValidationFailed(text="closure_day_past", field="day")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(text="service_reason_needed", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(text="closure_reason_too_long", values={"n": MAX_REASON}, field="reason")
    service.closed_on = day or today()
    service.closed_reason = reason
    audit(actor, "service_closed", service.code, reason=reason, day=service.closed_on.isoformat())
    _services_changed(service)
    return service


def open_service(actor: User | None, code: str) -> Service:
    """Take tickets again today after :func:`close_service`."""
    begin_write()
    service = get_service(code)
    if not is_closed_today(service):
        raise InvalidTransition(text="service_not_closed", values={"service": service.name})
    service.closed_on = None
    service.closed_reason = ""
    audit(actor, "service_opened", service.code)
    _services_changed(service)
    return service


def _services_changed(service: Service) -> None:
    touch(services={service.id})
    payload = {"kind": "service", "service": service.code, "open": not is_closed_today(service),
               "closed_message": service.closed_reason}
    to_every_zone(payload)
    db.session.flush()


# --- display ---------------------------------------------------------------------------------


def running_text() -> str:
    """The display's running text: the admin's setting, else config.toml's."""
    value = setting_value(RUNNING_TEXT)
    return str(value) if value is not None else current_site().display.running_text


def set_running_text(actor: User | None, text: str) -> str:
    """Change the text that scrolls along the bottom of every hall display, live."""
    begin_write()
    if not isinstance(text, str):
        raise ValidationFailed(text="running_text_type", field="text")
    text = " ".join(text.split())  # one line: newlines would break the ticker
    if len(text) > MAX_RUNNING_TEXT:
        raise ValidationFailed(text="running_text_long", values={"n": MAX_RUNNING_TEXT}, field="text")
    before = running_text()
    store_setting(actor, RUNNING_TEXT, text)
    audit(actor, "running_text_set", RUNNING_TEXT, before=before, after=text)
    to_every_zone({"kind": "running_text", "running_text": text})
    db.session.flush()
    return text


def store_setting(actor: User | None, key: str, value: Any) -> None:
    """Write a run-time setting (who changed it and when); the caller writes the audit entry."""
    row = db.session.get(Setting, key)
    now = clock.utcnow()
    if row is None:
        row = Setting(key=key, value=value, updated_at=now)
        db.session.add(row)
    row.value = value
    row.updated_at = now
    row.updated_by_id = actor.id if actor else None


# --- devices ---------------------------------------------------------------------------------


def enrol_device(actor: User | None, kind: str, code: str) -> str:
    """A new key for a device (a kiosk PC's browser, a survey tablet), ending the old one. The caller
    commits and hands the key to the device (a cookie); only its hash is stored."""
    from queue_app.staff import devices

    key = devices.create_key(kind, code)
    audit(actor, "device_enrolled", f"{kind}:{code}")
    db.session.flush()
    return key


def revoke_device(actor: User | None, kind: str, code: str) -> bool:
    """End a device's key (a lost survey tablet, a kiosk PC taken away) and its sockets. The caller commits."""
    from queue_app.staff import devices

    had = devices.revoke_key(kind, code)
    audit(actor, "device_revoked", f"{kind}:{code}")
    db.session.flush()
    return had


# --- audit log -------------------------------------------------------------------------------


def audit_entries(*, limit: int = 100, before_id: int | None = None) -> list[tuple[AuditEntry, str | None]]:
    """Newest first, with the username of who did it (None for the command line)."""
    stmt = (sa.select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 500))))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return [(entry, username) for entry, username in db.session.execute(stmt).all()]
