"""Publishing what a committed transaction recorded in the outbox: events, fresh ticket views, staff lists.

Rooms: ``zone:<zone>`` on /display (an all-zones display joins every zone room, so each call is
emitted once per zone, never per socket), ``ticket:<id>`` on /ticket, ``counter:<code>`` on
/counter, ``staff`` and ``agency:<id>`` on /counter and /dashboard.
"""

from __future__ import annotations

import functools
import logging
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import joinedload, selectinload

from queue_app.core import clock
from queue_app.core.extensions import db, socketio
from queue_app.core.models import Counter, CounterService, Service
from queue_app.core.models.base import UTCDateTime
from queue_app.core.outbox import Pending
from queue_app.core.site import today
from queue_app.queue import events
from queue_app.queue.estimate import ahead_of
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.presence import staffed_clause
from queue_app.queue.read_models import ticket_public

from .watchers import Watched, watchers

logger = logging.getLogger(__name__)


def publish(app: Flask, pending: Pending, **_: Any) -> None:
    """Emit a committed transaction's events; recompute derived views off the request path.

    Connected to :data:`queue_app.core.signals.committed` by :func:`queue_app.live.init_app`.
    """
    for kind, payload, namespace, room in pending.emits:
        socketio.emit(kind, payload, namespace=namespace, to=room)
    if (pending.services or pending.moves) and not app.config.get("HUB_INLINE_REFRESH"):
        # the lines' moves go out right after the call itself, not after the rest (staff screens, board).
        # After it, not before: emits to idle WebSockets are sent as they are made (live/direct.py), so
        # working out the moves first (a replay and the estimates, 3-5 ms with 500 phones watching) held
        # every hall display back by that long, and made no phone hear its place sooner
        with app.app_context():
            try:
                moved = _queue_moved_messages(pending)
                pending.moves_sent = True
            except Exception:
                moved = []
                logger.exception("queue_moved push failed")
                if app.testing:
                    raise
            finally:
                db.session.rollback()
        for payload, room in moved:
            socketio.emit(events.queue_moved, payload, namespace="/ticket", to=room)
    if pending.queues and not (pending.services or pending.counters):
        # a queue only grew (a plain ticket issue): nobody's place moved, so the staff screens' counts
        # are pushed coalesced instead of recomputed per ticket at the morning rush
        _schedule_queue_changed(app, pending.queues)
        pending.queues = set()
    if pending.services or pending.queues or pending.tickets or pending.counters:
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


@functools.cache
def _tickets_with_views() -> sa.Select:
    """Tickets by id with what their visitor's view shows (service, counter): one query, built once, for the
    two tickets of every call instead of a load and two lazy loads each."""
    return (sa.select(Ticket).where(Ticket.id.in_(sa.bindparam("ids", expanding=True)))
            .options(joinedload(Ticket.service), joinedload(Ticket.counter)).order_by(Ticket.id))


@functools.cache
def _services_by_id() -> sa.Select:
    return sa.select(Service.id, Service.code, Service.agency_id).where(
        Service.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _counters_with_views() -> sa.Select:
    """Counters by id with what the panels' view shows (their services, the ticket they serve): built once,
    and the current ticket joined instead of loaded lazily, for the counter of every call."""
    return (sa.select(Counter).where(Counter.id.in_(sa.bindparam("ids", expanding=True)))
            .options(selectinload(Counter.service_links).selectinload(CounterService.service),
                     joinedload(Counter.current_ticket).joinedload(Ticket.service))
            .order_by(Counter.id))


def _refresh(pending: Pending) -> None:
    done: set[int] = set()
    if pending.services or pending.moves:
        if not pending.moves_sent:
            for payload, room in _queue_moved_messages(pending):
                socketio.emit(events.queue_moved, payload, namespace="/ticket", to=room)
        done = _push_single_views(pending)
    if pending.tickets - done:
        for ticket in db.session.scalars(_tickets_with_views(), {"ids": sorted(pending.tickets - done)}):
            socketio.emit(events.ticket, ticket_public(ticket), namespace="/ticket",
                          to=f"ticket:{ticket.id}")
    if pending.services or pending.queues or pending.counters:
        _push_staff_views(pending.services | pending.queues, pending.counters)
        _schedule_board_changed(current_app._get_current_object())  # type: ignore[attr-defined]


#: places at which a ``queue_moved`` message gives the estimate (a phone interpolates between them):
#: every place up to 30, then ever sparser, so a message stays small however long the line
ETA_PLACES = (*range(30), 40, 50, 60, 80, 100, 150, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000, 5000, 8000)


def _queue_moved_messages(pending: Pending) -> list[tuple[dict[str, Any], str]]:
    """After a move: one ``queue_moved`` per watched line (its deltas and its estimates by place), with
    its room. Nothing here reads a whole line: one replay of the lines' fronts and a count per service."""
    from queue_app.queue.estimate import forecast
    from queue_app.queue.read_models import waiting_counts

    # a move in one service shifts the estimates of every service that shares a counter with it
    affected = _sharing_counters(pending.services | set(pending.moves))
    rooms = watchers.watched(Watched.queue, affected, today())
    rooms = affected if rooms is None else rooms
    if not rooms:
        return []
    fc = forecast(today())[1]
    counts = waiting_counts()
    codes = {sid: code for sid, code, _ in db.session.execute(_services_by_id(), {"ids": sorted(rooms)}).all()}
    out = []
    for sid in sorted(rooms):
        n = counts.get(sid, 0)
        move = pending.moves.get(sid) or {"version": None, "left": [], "joined": []}
        served = fc.serves(sid)  # else nobody is on duty for it: no estimate at any place
        out.append(({
            "service": codes.get(sid),
            "version": move["version"],
            "left": move["left"],
            "joined": move["joined"],
            "waiting": n,
            "eta": [[p, fc.of(-1, sid, p)] for p in _eta_places(n)] if served else [],
            "nobody_on_duty": not served,
        }, f"queue:{sid}"))
    return out


def _push_single_views(pending: Pending) -> set[int]:
    """Their own view to the clients that do not count their place (the contract's plain ``ticket``
    client): a view and a message each, so only for tickets such a client watches.

    :return: the tickets whose view was sent.
    """
    from queue_app.queue.estimate import forecast

    day = today()
    watched = watchers.watched(Watched.ticket, None, day)  # None: Redis cannot tell, so every waiting ticket
    if watched == set():
        return set()  # the usual case: every phone counts its own place
    singles = _single_watchers(_sharing_counters(pending.services | set(pending.moves)), day, watched)
    if not singles:
        return set()
    fc = forecast(day)[1]
    for n, ticket in enumerate(singles, 1):
        ahead = ahead_of(ticket)
        view = ticket_public(ticket, ahead=ahead, eta=fc.of(ticket.id, ticket.service_id, ahead), known=True)
        socketio.emit(events.ticket, view, namespace="/ticket", to=f"ticket:{ticket.id}")
        if n % 50 == 0:
            socketio.sleep(0)  # let the socket writers start sending
    return {t.id for t in singles}


def _eta_places(waiting: int) -> list[int]:
    places = [p for p in ETA_PLACES if p < waiting]
    if places and places[-1] != waiting - 1:
        places.append(waiting - 1)  # the last place too: nobody interpolates past the end
    return places


def _single_watchers(service_ids: set[int], day: date, ids: set[int] | None) -> list[Ticket]:
    """Waiting tickets of these services among ``ids`` (None: all of them)."""
    query = sa.select(Ticket).where(Ticket.service_id.in_(service_ids), Ticket.status == TicketState.waiting,
                                    Ticket.service_day == day)
    if ids is not None:
        query = query.where(Ticket.id.in_(ids))
    return list(db.session.scalars(query.order_by(Ticket.priority.desc(), Ticket.queue_at, Ticket.id)))


@functools.cache
def _active_links() -> sa.Select:
    """Built once: every call asks which lines share a counter with the one that moved."""
    return (sa.select(CounterService.counter_id, CounterService.service_id)
            .join(Counter, Counter.id == CounterService.counter_id).where(Counter.active))


def _sharing_counters(service_ids: set[int]) -> set[int]:
    """``service_ids`` plus every service linked to them through active counters that serve both."""
    links: dict[int, set[int]] = {}
    for counter_id, service_id in db.session.execute(_active_links()).all():
        links.setdefault(counter_id, set()).add(service_id)
    found = set(service_ids)
    grew = True
    while grew:
        grew = False
        for services in links.values():
            if found & services and not found >= services:
                found |= services
                grew = True
    return found


def _push_staff_views(service_ids: set[int], counter_ids: set[int]) -> None:
    """Tell the clerk panels and dashboards what changed; they re-read what they show."""
    from queue_app.queue.presence import staffed_ids
    from queue_app.queue.read_models import counter_to_dict, waiting_counts

    counts = waiting_counts()
    services, agency_of = {}, {}
    for sid, code, agency_id in db.session.execute(_services_by_id(), {"ids": sorted(service_ids)}):
        services[sid], agency_of[sid] = code, agency_id
    payload = {"services": {code: counts.get(sid, 0) for sid, code in services.items()}}
    socketio.emit(events.queue_changed, payload, namespace="/counter", to="staff")
    socketio.emit(events.queue_changed, payload, namespace="/dashboard", to="staff")
    for agency_id in set(agency_of.values()):  # dashboards of managers scoped to one agency
        scoped = {code: counts.get(sid, 0) for sid, code in services.items() if agency_of.get(sid) == agency_id}
        socketio.emit(events.queue_changed, {"services": scoped}, namespace="/dashboard",
                      to=f"agency:{agency_id}")
    counters = db.session.scalars(_counters_with_views(), {"ids": sorted(counter_ids)}).all() if counter_ids else []
    staffed = staffed_ids() if counters else set()
    for counter in counters:
        body = counter_to_dict(counter, staffed)
        socketio.emit(events.counter_changed, body, namespace="/counter", to="staff")
        socketio.emit(events.counter_changed, body, namespace="/dashboard", to="staff")
        for agency_id in {link.service.agency_id for link in counter.service_links}:
            socketio.emit(events.counter_changed, body, namespace="/dashboard", to=f"agency:{agency_id}")


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
BOARD_CHANGED_MIN_DELAY = 0.25
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
    # never at once: the counts can wait a moment, the call's own fan-out to every screen cannot
    delay = max(BOARD_CHANGED_MIN_DELAY, BOARD_CHANGED_SECONDS - (time.monotonic() - _board_changed["last"]))
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


@functools.cache
def _board_statements() -> dict[str, sa.Select]:
    """Built once: the board goes out after every call (coalesced to once a second)."""
    return {
        "services": sa.select(Service.id, Service.code),
        # one row per counter with its current ticket's number: no objects are built
        "counters": (sa.select(Counter.code, Counter.zone, Counter.state, Ticket.number, Ticket.status,
                               staffed_clause(Counter.id, sa.bindparam("now", type_=UTCDateTime())))
                     .outerjoin(Ticket, Ticket.id == Counter.current_ticket_id)
                     .where(Counter.active).order_by(Counter.position)),
    }


def _emit_board_changed(app: Flask) -> None:
    """``board_changed``: every service's waiting count and every counter's state and current number.

    Sent to all displays at once (one encode, no per-socket work); each display keeps its zone's part.
    """
    import time

    from queue_app.queue.read_models import presence_of, waiting_counts

    _board_changed["last"] = time.monotonic()
    counts = waiting_counts()
    services = dict(db.session.execute(_board_statements()["services"]).all())
    rows = db.session.execute(_board_statements()["counters"], {"now": clock.utcnow()})
    payload = {
        "services": {code: counts.get(sid, 0) for sid, code in services.items()},
        "counters": [
            {"code": code, "zone": zone, "state": state.value, "staffed": bool(staffed),
             "presence": presence_of(state, bool(staffed)), "current": number,
             "status": status.value if status is not None else None}
            for code, zone, state, number, status, staffed in rows
        ],
    }
    socketio.emit(events.board_changed, payload, namespace="/display")
