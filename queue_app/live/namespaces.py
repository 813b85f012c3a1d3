"""The Socket.IO namespaces of the screens: who may connect, which rooms they join, what they get first.

Socket.IO events do not run ``before_request`` hooks: staff sockets authenticate once on connect, and join
the rooms through which their access can be ended later (:func:`queue_app.core.outbox.end_access`):
``user:<id>`` (disable, password reset), ``session:<id>`` (that browser's server-side session ended: signed
out, or the user changed their password elsewhere) or ``token:<id>`` (that bearer token revoked or ended). :func:`sweep_staff` catches what nobody announces (a token that expired).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room, leave_room

from queue_app.core import clock
from queue_app.core.extensions import db, socketio
from queue_app.core.models import Counter
from queue_app.queue import events, presence
from queue_app.queue.notice import current_notice, service_notice, showing_notices
from queue_app.staff.auth import current_credentials, token_row
from queue_app.staff.models import ApiToken, Role, StaffSession, User

from .watchers import Watched, watchers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffSocket:
    """What a staff socket connected with, to check later that it still holds."""

    namespace: str
    user_id: int
    session_version: int
    token_id: int | None
    #: the ``staff_sessions`` row of a browser socket
    session_id: int | None = None


#: sid -> its credentials, for the staff sockets of this process
_staff: dict[str, StaffSocket] = {}
@dataclass(frozen=True)
class Watching:
    """What a visitor's socket watches, so a disconnect uncounts the right watcher."""

    token: str
    kind: Watched
    ident: int
    day: date


#: sid -> what it watches, for visitors' phones
_watching: dict[str, Watching] = {}


class DisplayNamespace(Namespace):
    """Hall displays: ``auth: {"zone": Z}`` (optional); gets ``board`` then ``called`` events."""

    def on_connect(self, auth: Any = None) -> None:
        from queue_app.queue import snapshots
        from queue_app.queue.errors import ZoneNotFound

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
            showing = showing_notices(board["zones"])
        finally:
            db.session.rollback()
        emit(events.board, board)
        for notice in showing:  # staff's notices still on the hall's screens: this one joins them
            emit(service_notice, notice)

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
    """A visitor's phone: ``auth: {"token": T, "moves": true}``; gets ``ticket`` on connect and on every
    change of its own status.

    With ``moves`` (the visitor page) it joins its service's room and counts its own place from the
    ``queue_moved`` messages (:mod:`queue_app.queue.moves`); without it (the contract's plain client) it
    is sent its whole view after every move of its line, at a view and a message per client.
    ``sync`` answers the current view and puts the socket in the room of its current service (after a
    transfer, or when a phone saw a gap in the versions).
    """

    def on_connect(self, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("a ticket token is required")
        counts = bool(auth.get("moves")) if isinstance(auth, dict) else False
        view = self._watch(token, counts)
        if view is None:
            raise ConnectionRefusedError("unknown ticket")
        emit(events.ticket, view)
        if view["status"] == "waiting":  # today's notice for its line, pushed while this page was not here
            try:
                notice = current_notice(view["service"])
            finally:
                db.session.rollback()
            if notice is not None:
                emit(service_notice, notice)

    def on_sync(self, _data: Any = None) -> dict[str, Any]:
        entry = _watching.get(request.sid)
        if entry is None:
            return {"error": {"code": "not_connected", "message": "Connect with a ticket token first."}}
        view = self._watch(entry.token, entry.kind is Watched.queue)
        if view is None:
            return {"error": {"code": "ticket_not_found", "message": "No such ticket."}}
        return view

    def _watch(self, token: str, counts: bool) -> dict[str, Any] | None:
        """Join the rooms for ``token``'s ticket (leaving an earlier service's) and count this socket as
        its watcher; the view, read once pushes reach this socket (a change committed meanwhile is in it)."""
        from queue_app.queue import snapshots
        from queue_app.queue.errors import TicketNotFound

        try:
            found = snapshots.ticket_view(token)  # cached a second: phones reconnect in crowds
        except TicketNotFound:
            return None
        finally:
            db.session.rollback()
        kind, ident = (Watched.queue, found.service_id) if counts else (Watched.ticket, found.id)
        before = _watching.get(request.sid)
        if before is None or (before.kind, before.ident) != (kind, ident):
            join_room(f"ticket:{found.id}")
            if kind is Watched.queue:
                join_room(f"queue:{found.service_id}")
            watchers.add(kind, ident, found.day)
            _watching[request.sid] = Watching(token, kind, ident, found.day)
            if before is not None:
                if before.kind is Watched.queue:
                    leave_room(f"queue:{before.ident}")
                watchers.remove(before.kind, before.ident, before.day)
        try:
            return snapshots.ticket_view(token).body  # a hit unless a change committed in between (then fresh)
        except TicketNotFound:
            return None
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        watched = _watching.pop(request.sid, None)
        if watched is not None:
            watchers.remove(watched.kind, watched.ident, watched.day)


def _staff_user(namespace: str, auth: Any, roles: tuple[Role, ...]) -> User:
    """The staff user of a connecting socket: browser session cookie, or ``auth: {"token": bearer}``.

    Joins the rooms that end its access, and remembers the credentials for :func:`sweep_staff`.
    """
    user = None
    row = None
    session_id = None
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        row = token_row(token)
        user = row.user if row is not None else None
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        session_id, token_id = current_credentials()
        if token_id is not None:  # a bearer header on the handshake: that token is what ends it
            row = db.session.get(ApiToken, token_id)
    if user is None:
        raise ConnectionRefusedError("unauthorized")
    if user.must_change_password:  # a generated password: nothing but changing it (queue_app.staff.password)
        raise ConnectionRefusedError("password_change_required")
    if roles and user.role not in roles:
        raise ConnectionRefusedError("forbidden")
    join_room(f"user:{user.id}")
    if row is not None:
        join_room(f"token:{row.id}")
    elif session_id is not None:
        join_room(f"session:{session_id}")
    _staff[request.sid] = StaffSocket(namespace, user.id, user.session_version, row.id if row else None,
                                      session_id if row is None else None)
    return user


def sweep_staff() -> int:
    """Disconnect this process's staff sockets whose access ended unannounced (token expired, user
    disabled from another site's command line...). :return: how many were disconnected."""
    if not _staff:
        return 0
    entries = dict(_staff)
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({e.user_id for e in entries.values()})))}
    token_ids = {e.token_id for e in entries.values() if e.token_id is not None}
    live_tokens = set(db.session.scalars(
        sa.select(ApiToken.id).where(ApiToken.id.in_(token_ids), ApiToken.expires_at > clock.utcnow()))) if token_ids else set()
    session_ids = {e.session_id for e in entries.values() if e.session_id is not None}
    live_sessions = set(db.session.scalars(
        sa.select(StaffSession.id).where(StaffSession.id.in_(session_ids)))) if session_ids else set()
    ended = 0
    for sid, entry in entries.items():
        user = users.get(entry.user_id)
        valid = (user is not None and user.active and user.session_version == entry.session_version
                 and (entry.token_id is None or entry.token_id in live_tokens)
                 and (entry.session_id is None or entry.session_id in live_sessions))
        if not valid:
            _staff.pop(sid, None)
            if socketio.server.manager.is_connected(sid, entry.namespace):
                socketio.server.disconnect(sid, namespace=entry.namespace, ignore_queue=True)
                ended += 1
    return ended


#: sid -> (counter id, user id) of this process's clerk panels signed in to a counter: each is a row of
#: ``counter_presences`` that :func:`keep_panels` moves on while the socket lives (queue_app.queue.presence)
_panels: dict[str, tuple[int, int | None]] = {}


class CounterNamespace(Namespace):
    """Clerk panels (clerks and admins; a manager is refused): live waiting lists and counter states;
    ``auth: {"counter": CODE}`` picks a counter, and while such a panel is connected the counter is staffed
    (a clerk has it open: it serves in the estimates, :mod:`queue_app.queue.presence`)."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            user = _staff_user(self.namespace, auth, (Role.clerk, Role.admin))
            join_room("staff")
            code = auth.get("counter") if isinstance(auth, dict) else None
            if code:
                counter = db.session.scalar(sa.select(Counter).where(Counter.code == code))
                if counter is None or not user.may_use_counter(counter):
                    raise ConnectionRefusedError("forbidden counter")
                join_room(f"counter:{counter.code}")
                counter_id, user_id = counter.id, user.id
                presence.arrive(counter, request.sid, user_id=user_id)
                db.session.commit()  # every process's estimates count this counter from now on
                # kept from now on (not while connecting: keep_panels would take it for a socket gone); a
                # disconnect racing this connect leaves a row keep_panels deletes on its next round
                _panels[request.sid] = (counter_id, user_id)
        except ConnectionRefusedError:
            _staff.pop(request.sid, None)
            raise
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _staff.pop(request.sid, None)
        if _panels.pop(request.sid, None) is not None:
            _leave(request.sid)


def _leave(sid: str) -> None:
    """The panel's counter is no longer staffed by it (the other processes' estimates too, at once)."""
    try:
        presence.leave(sid)
        db.session.commit()
    except Exception:  # the row expires by itself (PRESENCE_TTL); a closing socket must not raise
        db.session.rollback()
        logger.exception("recording that the panel %s left failed", sid)
        if current_app.testing:
            raise


def keep_panels() -> int:
    """Move on this process's panels' presence (each a row that would expire otherwise), forget those whose
    socket is gone unnoticed, and sweep the expired rows of processes that died. The caller holds an app
    context. :return: how many panels of this process are on duty."""
    manager = socketio.server.manager
    for sid in [sid for sid in _panels if not manager.is_connected(sid, "/counter")]:
        _panels.pop(sid, None)
        _leave(sid)
    try:
        presence.keep(dict(_panels))
        db.session.commit()
        presence.sweep()
        db.session.commit()
    finally:
        db.session.rollback()
    return len(_panels)


class DashboardNamespace(Namespace):
    """Manager dashboards: queue and counter changes, live."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            user = _staff_user(self.namespace, auth, (Role.manager, Role.admin))
            # a manager scoped to one agency only hears about that agency's queues and counters
            scoped = user.role is Role.manager and user.agency_id is not None
            join_room(f"agency:{user.agency_id}" if scoped else "staff")
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _staff.pop(request.sid, None)
