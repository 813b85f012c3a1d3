"""One JSON shape per thing, shared by the HTTP API and the Socket.IO hub."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.lookups import active_services
from queue_app.core.models import Counter, CounterState
from queue_app.core.site import current_site, iso
from queue_app.core.site import today as site_today
from queue_app.queue import counts, presence, remote, routes
from queue_app.queue.estimate import estimate_joining, eta_of
from queue_app.queue.models import Ticket, TicketState
from queue_app.queue.moves import place
from queue_app.queue.opening import closed_error, reopens_label


def counter_ref(counter: Counter | None) -> dict[str, str] | None:
    return None if counter is None else {"code": counter.code, "name": counter.name}


def ticket_to_dict(ticket: Ticket | None) -> dict[str, Any] | None:
    """The staff view of a ticket (the contract's TICKET): never the visitor's token, which is the key to
    their tracking page and survey; staff act on a ticket by its number at a counter."""
    if ticket is None:
        return None
    return {
        "number": ticket.number,
        "service": ticket.service.code,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "issued_at": iso(ticket.issued_at),
        "called_at": iso(ticket.called_at),
        "started_at": iso(ticket.started_at),
        "finished_at": iso(ticket.finished_at),
        "counter": counter_ref(ticket.counter) if ticket.status is not TicketState.waiting else None,
        "recalls": ticket.recalls,
        "last_called_at": iso(ticket.last_called_at),
    }


def ticket_public(ticket: Ticket, *, ahead: int | None = None, eta: int | None = None,
                  known: bool = False) -> dict[str, Any]:
    """The visitor's view (``GET /api/tickets/<token>`` and the ``ticket`` event): nothing about others.

    ``recalls`` and ``last_called_at`` change with every recall, so a phone hears each call again.

    :param known: ``ahead`` and ``eta`` were computed by the caller (the hub does it for a whole queue); an
        ``eta`` of None then means nobody is on duty for the ticket's service, as here.
    """
    view = _ticket_public(ticket, ahead=ahead, eta=eta, known=known)
    if ticket.checkin_code is not None:  # joined from afar: its code, whether it arrived, when to come
        view.update(remote.remote_view(ticket, view["ahead"]))
    if ticket.route:  # a visit that crosses services: its steps (queue_app.queue.routes)
        view["route"] = routes.route_view(ticket)
    return view


def _ticket_public(ticket: Ticket, *, ahead: int | None, eta: int | None, known: bool) -> dict[str, Any]:
    if ticket.status is TicketState.waiting:
        queue = None
        if not known:
            ahead, queue = place(ticket)
            eta = eta_of(ticket.service_day, ticket.id, ticket.service_id, ahead)
        return waiting_view(ticket.number, ticket.service.code, ticket.service.name, ticket.priority,
                            ticket.issued_at, ticket.called_at, ahead or 0, eta, queue)
    active = ticket.status in (TicketState.called, TicketState.serving)
    return {
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "ahead": 0,
        "estimated_wait_seconds": None,
        "nobody_on_duty": False,
        "counter": counter_ref(ticket.counter) if active or ticket.status is TicketState.done else None,
        "issued_at": iso(ticket.issued_at),
        "called_at": iso(ticket.called_at),
        "finished_at": iso(ticket.finished_at),
        "recalls": ticket.recalls,
        "last_called_at": iso(ticket.last_called_at),
    }


def waiting_view(number: str, service: str, service_name: str, priority: bool, issued_at: datetime,
                 called_at: datetime | None, ahead: int, eta: int | None,
                 queue: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`ticket_public` of a waiting ticket from plain values.

    :param eta: None when nobody is on duty for the service (no open counter serves it): the view says so
        (``nobody_on_duty``) instead of a wait.
    :param queue: its ``{"key", "version"}`` (:func:`queue_app.queue.moves.place`), from which a phone
        keeps counting its place with the ``queue_moved`` messages.
    """
    view = {
        "number": number,
        "service": service,
        "service_name": service_name,
        "status": TicketState.waiting.value,
        "priority": priority,
        "ahead": ahead,
        "estimated_wait_seconds": eta,
        "nobody_on_duty": eta is None,
        "counter": None,
        "issued_at": iso(issued_at),
        "called_at": iso(called_at),
        "finished_at": None,
        # a waiting ticket is not being called (a transferred one was, at its last service: not here)
        "recalls": 0,
        "last_called_at": None,
    }
    if queue is not None:
        view["queue"] = queue
    return view


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def waiting_counts(day=None) -> dict[int, int]:  # noqa: ANN001
    """Waiting tickets per service id today (kept as tickets move, not counted: queue_app.queue.counts)."""
    return counts.waiting_counts(day or site_today())


def services_public(kiosk: str | None = None) -> list[dict[str, Any]]:
    """``GET /api/services``: what a kiosk shows on its tiles."""
    counts = waiting_counts()
    services = active_services()  # from the catalogue: every kiosk refreshes its tiles
    offered = None
    if kiosk:
        conf = current_site().kiosk(kiosk)
        if conf is None:
            from queue_app.core.errors import KioskNotFound

            raise KioskNotFound(f'No kiosk with code "{kiosk}".')
        offered = set(conf.services) if conf.services else None
    issued_today = _issued_today()
    shown = [s for s in services if offered is None or s.code in offered]
    etas = estimate_joining(site_today(), {s.id: counts.get(s.id, 0) for s in shown})
    afar = remote.left_today(shown)
    out = []
    for s in shown:
        waiting = counts.get(s.id, 0)
        closed = closed_error(s)
        reason = None if closed is None else closed.code
        if reason is None and s.daily_quota and issued_today.get(s.id, 0) >= s.daily_quota:
            reason = "quota_reached"
        out.append({
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en or s.name,
            "agency": s.agency.code,
            "agency_name": s.agency.name,
            "prefix": s.prefix,
            "waiting": waiting,
            "estimated_wait_seconds": etas[s.id],
            # no open counter serves it: the tile says nobody is on duty instead of "no wait"
            "nobody_on_duty": etas[s.id] is None,
            "open": reason is None,
            "closed_reason": None if reason is None else reason,
            "closed_message": s.closed_reason if reason == "service_closed" else "",
            # when a closed service opens again (site zone) and the holiday's name: the kiosk says both
            "reopens_at": closed.details.get("reopens_at") if closed is not None else None,
            "holiday": closed.details.get("holiday") if closed is not None else None,
            # the kiosk's line under a closed tile, both languages: "Buka kembali pukul 13.00", "Buka Senin 08.00"
            "reopens_label": reopens_label(_parse_iso(closed.details.get("reopens_at")) if closed else None),
            "hours": f"{s.hours_start:%H:%M}-{s.hours_end:%H:%M}" if s.hours_start and s.hours_end else None,
            "target_wait_minutes": s.target_wait_minutes,
            # joining from afar: None, or the places left today ([services.remote] daily_quota)
            "remote": afar[s.id],
        })
    return out


def _issued_today() -> dict[int, int]:
    from queue_app.queue.models import DailyNumber

    rows = db.session.execute(
        sa.select(DailyNumber.service_id, DailyNumber.last_number).where(DailyNumber.service_day == site_today())
    )
    return {sid: n for sid, n in rows}


def counter_to_dict(counter: Counter, staffed: set[int] | None = None) -> dict[str, Any]:
    """An entry of ``GET /api/counters``: ``state`` is the clerk's pause switch (the contract's), ``staffed``
    whether a clerk's panel is connected to it, ``presence`` the two together as the dashboard says it.

    :param staffed: the staffed counters' ids (:func:`queue_app.queue.presence.staffed_ids`), read here when
        not given (a list reads them once for all its counters).
    """
    if staffed is None:
        staffed = presence.staffed_ids()
    on_duty = counter.id in staffed
    return {
        "code": counter.code,
        "name": counter.name,
        "zone": counter.zone,
        "services": [link.service.code for link in counter.service_links],
        "state": counter.state.value,
        "staffed": on_duty,
        "presence": presence_of(counter.state, on_duty),
        "current": ticket_to_dict(counter.current_ticket),
    }


def presence_of(state: CounterState, staffed: bool) -> str:
    """``staffed`` (open: a clerk's panel connected, not paused), ``paused`` or ``closed`` (nobody's panel)."""
    if not staffed:
        return "closed"
    return "paused" if state is CounterState.paused else "staffed"
