"""The Socket.IO hub: namespaces, rooms, and publishing what the engine recorded after commit.

Rooms: ``zone:<zone>`` on /display (an all-zones display joins every zone room, so each call is
emitted once per zone, never per socket), ``ticket:<id>`` on /ticket, ``counter:<code>`` on
/counter, ``staff`` on /counter and /dashboard.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room
from sqlalchemy.orm import selectinload

from . import engine
from .auth import user_for_token
from .events import HubEvent, Pending
from .extensions import db, socketio
from .models import Counter, CounterService, Role, Service, Ticket, TicketState, User

logger = logging.getLogger(__name__)

#: sid -> user id for staff sockets (Socket.IO events do not run before_request hooks)
_staff: dict[str, int] = {}


# --- publishing ------------------------------------------------------------------------------


def publish(app: Flask, pending: Pending) -> None:
    """Emit a committed transaction's events; recompute derived views off the request path."""
    for kind, payload, namespace, room in pending.emits:
        socketio.emit(kind.value, payload, namespace=namespace, to=room)
    if pending.queues and not (pending.services or pending.counters):
        # a queue only grew (a plain ticket issue): nobody's place moved, so the staff screens' counts
        # are pushed coalesced instead of recomputed per ticket at the morning rush
        _schedule_queue_changed(app, pending.queues)
        pending.queues = set()
    if pending.services or pending.queues or pending.tickets or pending.counters or pending.print_jobs:
        if app.config.get("HUB_INLINE_REFRESH"):
            refresh(app, pending)
        else:
            socketio.start_background_task(refresh, app, pending)


def refresh(app: Flask, pending: Pending) -> None:
    """Push fresh ticket views (status, people ahead, estimate) and staff lists for what changed."""
    with app.app_context():
        try:
            _refresh(pending)
        except Exception:  # a failed push must never take the server down; clients resync on reconnect
            logger.exception("hub refresh failed")
            if app.testing:
                raise
        finally:
            db.session.rollback()


def _refresh(pending: Pending) -> None:
    from .estimate import forecast
    from .schemas import ticket_public, waiting_view

    done: set[int] = set()
    if pending.services:
        # one replay of the whole queue; a move in one service shifts every service that shares a
        # counter with it, so all of those tickets get their new estimate
        state, fc = forecast(engine.today())
        affected = _sharing_counters(state, pending.services)
        rows = db.session.execute(
            sa.select(Ticket.id, Ticket.service_id, Ticket.number, Service.code, Service.name, Ticket.priority,
                      Ticket.issued_at, Ticket.called_at)
            .join(Service, Service.id == Ticket.service_id)
            .where(Ticket.service_id.in_(affected), Ticket.status == TicketState.waiting,
                   Ticket.service_day == engine.today())
            .order_by(Ticket.priority.desc(), Ticket.issued_at, Ticket.id)
        ).all()
        position: dict[int, int] = {}
        # queue order, front first: the next to be called hear first; yield now and then so the
        # socket writers start sending while the rest are built
        for n, (tid, sid, number, code, name, priority, issued_at, called_at) in enumerate(rows, 1):
            ahead = position.get(sid, 0)
            position[sid] = ahead + 1
            view = waiting_view(number, code, name, priority, issued_at, called_at, ahead, fc.of(tid, sid, ahead))
            socketio.emit(HubEvent.ticket.value, view, namespace="/ticket", to=f"ticket:{tid}")
            done.add(tid)
            if n % 50 == 0:
                socketio.sleep(0)
    for ticket_id in sorted(pending.tickets - done):
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is not None:
            socketio.emit(HubEvent.ticket.value, ticket_public(ticket), namespace="/ticket",
                          to=f"ticket:{ticket.id}")
    if pending.services or pending.queues or pending.counters:
        _push_staff_views(pending.services | pending.queues, pending.counters)
        _schedule_board_changed(current_app._get_current_object())  # type: ignore[attr-defined]
    if pending.print_jobs:
        current_app.extensions["printing"].dispatch(pending.print_jobs)


def _sharing_counters(state, service_ids: set[int]) -> set[int]:  # noqa: ANN001
    """``service_ids`` plus every service linked to them through counters that serve both."""
    found = set(service_ids)
    grew = True
    while grew:
        grew = False
        for counter in state.counters:
            if found.intersection(counter.services) and not found.issuperset(counter.services):
                found.update(counter.services)
                grew = True
    return found


def _push_staff_views(service_ids: set[int], counter_ids: set[int]) -> None:
    """Tell the clerk panels and dashboards what changed; they re-read what they show."""
    from .schemas import counter_to_dict, waiting_counts

    counts = waiting_counts()
    services = {s.id: s.code for s in db.session.scalars(sa.select(Service).where(Service.id.in_(service_ids)))}
    payload = {"services": {code: counts.get(sid, 0) for sid, code in services.items()}}
    socketio.emit(HubEvent.queue_changed.value, payload, namespace="/counter", to="staff")
    socketio.emit(HubEvent.queue_changed.value, payload, namespace="/dashboard", to="staff")
    agency_of = dict(db.session.execute(sa.select(Service.id, Service.agency_id).where(Service.id.in_(services))).all())
    for agency_id in set(agency_of.values()):  # dashboards of managers scoped to one agency
        scoped = {code: counts.get(sid, 0) for sid, code in services.items() if agency_of.get(sid) == agency_id}
        socketio.emit(HubEvent.queue_changed.value, {"services": scoped}, namespace="/dashboard",
                      to=f"agency:{agency_id}")
    for counter in db.session.scalars(
        sa.select(Counter).where(Counter.id.in_(counter_ids))
        .options(selectinload(Counter.service_links).selectinload(CounterService.service))
    ):
        body = counter_to_dict(counter)
        socketio.emit(HubEvent.counter_changed.value, body, namespace="/counter", to="staff")
        socketio.emit(HubEvent.counter_changed.value, body, namespace="/dashboard", to="staff")
        for agency_id in {link.service.agency_id for link in counter.service_links}:
            socketio.emit(HubEvent.counter_changed.value, body, namespace="/dashboard", to=f"agency:{agency_id}")


#: at most one coalesced ``queue_changed`` per this many seconds per process
QUEUE_CHANGED_SECONDS = 0.5
_grown_queues: set[int] = set()
_queue_changed = {"scheduled": False}


def _schedule_queue_changed(app: Flask, service_ids: set[int]) -> None:
    """Collect grown queues and tell the staff screens about them together, shortly after."""
    if app.config.get("HUB_INLINE_REFRESH"):
        _push_grown_queues(app, set(service_ids))
        return
    _grown_queues.update(service_ids)
    if _queue_changed["scheduled"]:
        return
    _queue_changed["scheduled"] = True
    socketio.start_background_task(_push_grown_queues_later, app)


def _push_grown_queues_later(app: Flask) -> None:
    socketio.sleep(QUEUE_CHANGED_SECONDS)
    _queue_changed["scheduled"] = False
    ids = set(_grown_queues)
    _grown_queues.clear()
    _push_grown_queues(app, ids)


def _push_grown_queues(app: Flask, ids: set[int]) -> None:
    with app.app_context():
        try:
            _push_staff_views(ids, set())
            _schedule_board_changed(app)
        except Exception:  # clients re-read on their next event or reconnect
            logger.exception("queue_changed push failed")
            if app.testing:
                raise
        finally:
            db.session.rollback()


#: at most one ``board_changed`` per this many seconds per process: a burst of tickets at opening
#: time must not become a burst of broadcasts to every display
BOARD_CHANGED_SECONDS = 1.0
_board_changed = {"last": 0.0, "scheduled": False}


def _schedule_board_changed(app: Flask) -> None:
    """Coalesce waiting-count and counter-state changes into one broadcast to all displays."""
    import time

    if app.config.get("HUB_INLINE_REFRESH"):
        _emit_board_changed(app)
        return
    if _board_changed["scheduled"]:
        return
    _board_changed["scheduled"] = True
    delay = max(0.0, BOARD_CHANGED_SECONDS - (time.monotonic() - _board_changed["last"]))
    socketio.start_background_task(_emit_board_changed_later, app, delay)


def _emit_board_changed_later(app: Flask, delay: float) -> None:
    socketio.sleep(delay)
    _board_changed["scheduled"] = False
    with app.app_context():
        try:
            _emit_board_changed(app)
        except Exception:
            logger.exception("board_changed push failed")
        finally:
            db.session.rollback()


def _emit_board_changed(app: Flask) -> None:
    """``board_changed``: every service's waiting count and every counter's state and current number.

    Sent to all displays at once (one encode, no per-socket work); each display keeps its zone's part.
    """
    import time

    from .schemas import waiting_counts

    _board_changed["last"] = time.monotonic()
    counts = waiting_counts()
    services = dict(db.session.execute(sa.select(Service.id, Service.code)).all())
    payload = {
        "services": {code: counts.get(sid, 0) for sid, code in services.items()},
        "counters": [
            {"code": c.code, "zone": c.zone, "state": c.state.value,
             "current": c.current_ticket.number if c.current_ticket else None,
             "status": c.current_ticket.status.value if c.current_ticket else None}
            for c in engine.counters_with_current()
        ],
    }
    socketio.emit(HubEvent.board_changed.value, payload, namespace="/display")


def settings_changed(changes: dict[str, Any]) -> None:
    """Tell every display a display setting changed (e.g. ``{"running_text": ...}``); call after commit."""
    socketio.emit(HubEvent.settings_changed.value, changes, namespace="/display")


# --- namespaces ------------------------------------------------------------------------------


class DisplayNamespace(Namespace):
    """Hall displays: ``auth: {"zone": Z}`` (optional); gets ``board`` then ``called`` events."""

    def on_connect(self, auth: Any = None) -> None:
        from .board import board_snapshot
        from .errors import ZoneNotFound

        zone = auth.get("zone") if isinstance(auth, dict) else None
        zone = zone or request.args.get("zone") or None
        if zone is not None and not isinstance(zone, str):
            raise ConnectionRefusedError("zone must be a string")
        try:
            board = board_snapshot(zone)
        except ZoneNotFound as exc:
            raise ConnectionRefusedError(str(exc)) from None
        finally:
            db.session.rollback()
        for z in board["zones"]:
            join_room(f"zone:{z}")
        emit(HubEvent.board.value, board)

    def on_board(self, data: Any = None) -> dict[str, Any]:
        """A display that saw a gap in ``seq`` asks for the whole board again."""
        from .board import board_snapshot
        from .errors import QueueError

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
        from .schemas import ticket_public

        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectionRefusedError("a ticket token is required")
        try:
            ticket = db.session.scalar(sa.select(Ticket).where(Ticket.token == token))
            if ticket is None:
                raise ConnectionRefusedError("unknown ticket")
            join_room(f"ticket:{ticket.id}")
            emit(HubEvent.ticket.value, ticket_public(ticket))
        finally:
            db.session.rollback()


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


_registered = False


def init_hub() -> None:
    """Register the namespaces once; every later ``socketio.init_app`` picks them up again."""
    global _registered
    if _registered:
        return
    _registered = True
    socketio.on_namespace(DisplayNamespace("/display"))
    socketio.on_namespace(TicketNamespace("/ticket"))
    socketio.on_namespace(CounterNamespace("/counter"))
    socketio.on_namespace(DashboardNamespace("/dashboard"))
    from .agents import AgentNamespace  # print agents (printers of kind "agent")
    socketio.on_namespace(AgentNamespace("/agent"))
