"""The Socket.IO namespaces of the screens: who may connect, which rooms they join, what they get first.

Socket.IO events do not run ``before_request`` hooks: staff sockets authenticate once on connect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from queue_app.core.extensions import db
from queue_app.core.models import Counter
from queue_app.core.outbox import LiveEvent
from queue_app.staff.auth import user_for_token
from queue_app.staff.models import Role, User

#: sid -> user id for staff sockets (Socket.IO events do not run before_request hooks)
_staff: dict[str, int] = {}


class DisplayNamespace(Namespace):
    """Hall displays: ``auth: {"zone": Z}`` (optional); gets ``board`` then ``called`` events."""

    def on_connect(self, auth: Any = None) -> None:
        from queue_app.core.errors import ZoneNotFound
        from queue_app.queue import snapshots

        zone = auth.get("zone") if isinstance(auth, dict) else None
        zone = zone or request.args.get("zone") or None
        if zone is not None and not isinstance(zone, str):
            raise ConnectionRefusedError("zone must be a string")
        try:
            board = snapshots.board(zone)  # a wall of displays reconnecting at once costs one computation
        except ZoneNotFound as exc:
            raise ConnectionRefusedError(str(exc)) from None
        finally:
            db.session.rollback()
        for z in board["zones"]:
            join_room(f"zone:{z}")
        try:  # again, now that pushes reach this socket: a hit unless a change committed in between
            board = snapshots.board(zone)
        finally:
            db.session.rollback()
        emit(LiveEvent.board.value, board)

    def on_board(self, data: Any = None) -> dict[str, Any]:
        """A display that saw a gap in ``seq`` asks for the whole board again."""
        from queue_app.core.errors import QueueError
        from queue_app.queue.board import board_snapshot

        zone = data.get("zone") if isinstance(data, dict) else None
        try:
            return board_snapshot(zone or None)
        except QueueError as exc:
            return {"error": exc.to_dict()}
        finally:
            db.session.rollback()


class TicketNamespace(Namespace):
    """A visitor's phone: ``auth: {"token": T}``; gets ``ticket`` on connect and on every change."""

    def on_connect(self, auth: Any = None) -> None:
        from queue_app.core.errors import TicketNotFound
        from queue_app.queue import snapshots

        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("a ticket token is required")
        try:
            ticket_id, view = snapshots.ticket_view(token)  # cached a second: phones reconnect in crowds
        except TicketNotFound:
            raise ConnectionRefusedError("unknown ticket") from None
        finally:
            db.session.rollback()
        join_room(f"ticket:{ticket_id}")
        # again, now that pushes reach this socket: a hit unless a change committed in between (then fresh)
        try:
            _, view = snapshots.ticket_view(token)
        except TicketNotFound:
            raise ConnectionRefusedError("unknown ticket") from None
        finally:
            db.session.rollback()
        emit(LiveEvent.ticket.value, view)


def _staff_user(auth: Any, roles: tuple[Role, ...]) -> User:
    """The staff user of a connecting socket: browser session cookie, or ``auth: {"token": bearer}``."""
    user = None
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        user = user_for_token(token)
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise ConnectionRefusedError("unauthorized")
    if user.must_change_password:  # a generated password: nothing but changing it (queue_app.staff.password)
        raise ConnectionRefusedError("password_change_required")
    if roles and user.role not in roles:
        raise ConnectionRefusedError("forbidden")
    return user


class CounterNamespace(Namespace):
    """Clerk panels: live waiting lists and counter states; ``auth: {"counter": CODE}`` picks a counter."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            user = _staff_user(auth, ())
            _staff[request.sid] = user.id
            join_room("staff")
            code = auth.get("counter") if isinstance(auth, dict) else None
            if code:
                counter = db.session.scalar(sa.select(Counter).where(Counter.code == code))
                if counter is None or not user.may_use_counter(counter):
                    raise ConnectionRefusedError("forbidden counter")
                join_room(f"counter:{counter.code}")
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _staff.pop(request.sid, None)


class DashboardNamespace(Namespace):
    """Manager dashboards: queue and counter changes, live."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            user = _staff_user(auth, (Role.manager, Role.admin))
            _staff[request.sid] = user.id
            # a manager scoped to one agency only hears about that agency's queues and counters
            scoped = user.role is Role.manager and user.agency_id is not None
            join_room(f"agency:{user.agency_id}" if scoped else "staff")
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _staff.pop(request.sid, None)
