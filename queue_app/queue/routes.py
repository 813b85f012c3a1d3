"""Visits that cross services: one ticket from the front desk to the permit (config.toml ``then``).

A ticket issued for a service with ``then`` carries its visit's route (``Ticket.route``: the steps' service
codes, ``Ticket.route_step``: the step it is at). Finishing a step that is not the last moves the same ticket
(number, token, priority) to ``waiting`` at the next step's service, its queue time the moment it finished:
:func:`move_on`, one ``routed`` event through the seam (:mod:`queue_app.queue.life`), which sends
``ticket_moved`` (never ``ticket_finished``: only the last step, or ``end_visit``, finishes the visit). The
step it left is kept as a :class:`~queue_app.queue.models.VisitStep` with its own times.

The route is fixed when the ticket is issued (the issued service's ``then``), so a change of config.toml
never reroutes a visit under way. Where a clerk sends a ticket decides: a transfer replaces the current step
(or, to a later step of the route, skips the ones between), ``next`` skips to a later step, ``end_visit``
drops the rest. The route left on a finished ticket is the one walked.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.lookups import active_services, get_service
from queue_app.core.models import Counter, Service
from queue_app.core.site import current_site, iso, today
from queue_app.queue import counts, life
from queue_app.queue.estimate import estimate_joining
from queue_app.queue.models import FINAL_STATES, EventKind, Ticket, TicketEvent, TicketState, VisitStep
from queue_app.queue.opening import closed_error, reopens_label

if TYPE_CHECKING:
    from queue_app.staff.models import User

SEP = " "


def planned_route(service_code: str) -> str | None:
    """The route of a visit starting at ``service_code`` (``Ticket.route``), None when it has no ``then``."""
    conf = current_site().service(service_code)
    if conf is None or not conf.then:
        return None
    return SEP.join((service_code, *conf.then))


def _aligned(ticket: Ticket) -> tuple[list[str], int]:
    """The route's codes with the current step set to where the ticket really is, and that step's index.

    A transfer moves a ticket to another service without touching its route: to a later step of the route,
    the steps between are skipped; elsewhere, that service takes the current step's place.
    """
    codes = ticket.route.split(SEP) if ticket.route else []
    i = min(ticket.route_step, len(codes) - 1)
    if not codes:
        return codes, 0
    with db.session.no_autoflush:
        here = ticket.service.code
    if codes[i] == here:
        return codes, i
    if here in codes[i + 1:]:
        return codes[:i] + codes[codes.index(here, i + 1):], i
    return codes[:i] + [here] + codes[i + 1:], i


def next_step(ticket: Ticket, to: str | None = None) -> str | None:
    """The service the visit goes on to when this step finishes: the next of the route, or ``to``.

    :raise ValidationFailed: ``to`` is not a step still ahead in the ticket's route (422).
    """
    codes, i = _aligned(ticket)
    ahead = codes[i + 1:]
    if to is None:
        return ahead[0] if ahead else None
    if to not in ahead:
        names = ", ".join(ahead) or "none"
        raise ValidationFailed(f'{ticket.number} cannot go on to "{to}": the steps still ahead are {names}.',
                               field="next")
    return to


def move_on(ticket: Ticket, counter: Counter, to: str, *, actor: User | None, at: datetime) -> None:
    """End the ticket's current step at ``counter`` and move it to ``waiting`` at ``to``, a later step of its
    route, with its queue time ``at`` (priority kept); the steps between are dropped from its route.

    The caller (the finish verb) has set ``started_at``/``finished_at`` of the step and freed the counter.
    """
    codes, i = _aligned(ticket)
    j = codes.index(to, i + 1)
    target = get_service(to)
    source_id = ticket.service_id
    db.session.add(VisitStep(
        ticket_id=ticket.id, step=i, service_id=source_id,
        queued_at=ticket.issued_at if i == 0 else ticket.queue_at,
        called_at=ticket.called_at if i == 0 else step_called_at(ticket),
        started_at=ticket.started_at, finished_at=at, counter_id=counter.id,
        user_id=actor.id if actor is not None else None,
    ))
    walked = codes[:i + 1] + codes[j:]
    details: dict[str, Any] = {"from": codes[i], "to": to, "step": i + 1, "steps": len(walked)}
    if j > i + 1:
        details["skipped"] = codes[i + 1:j]
    ticket.route = SEP.join(walked)
    ticket.route_step = i + 1
    ticket.service_id = target.id
    ticket.service = target
    ticket.queue_at = at  # it joins the next line as if it came in now; priority tickets still go first
    ticket.started_at = None
    ticket.finished_at = None
    ticket.recalls = 0  # a new desk: the no-show warning counts this step's recalls only
    life.happen(ticket, EventKind.routed, actor=actor, counter=counter, at=at, details=details,
                from_service=source_id)


def end_route(ticket: Ticket, *, end_visit: bool) -> dict[str, Any]:
    """Before the last ``finished`` of a visit with a route: keep the route it walked on the ticket.

    :param end_visit: the clerk ends the visit here, before its last step: the steps after are dropped.
    :return: the finish's log details.
    """
    if not ticket.route:
        return {"end_visit": True} if end_visit else {}
    codes, i = _aligned(ticket)
    details: dict[str, Any] = {}
    if end_visit:
        details["end_visit"] = True
        if codes[i + 1:]:
            details["skipped"] = codes[i + 1:]
    ticket.route = SEP.join(codes[:i + 1])
    return details


def step_called_at(ticket: Ticket) -> datetime | None:
    """The first call since the ticket began waiting at its current step (its queue time): at a later step of
    a route, ``called_at`` is still the visit's first call."""
    return db.session.scalar(sa.select(sa.func.min(TicketEvent.at)).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.called, TicketEvent.at >= ticket.queue_at))


# --- what screens show ------------------------------------------------------------------------------------


def _services_by_code() -> dict[str, Service]:
    return {s.code: s for s in active_services()}


def _opening(service: Service | None) -> dict[str, Any]:
    """``open`` and, when closed, ``closed_reason``, ``reopens_at`` and ``reopens_label`` ({"id", "en"}) of a
    step's service."""
    closed = closed_error(service) if service is not None else None
    if closed is None:
        return {"open": True, "closed_reason": None, "reopens_at": None, "reopens_label": None}
    reopens = closed.details.get("reopens_at")
    return {"open": False, "closed_reason": closed.code, "reopens_at": reopens,
            "reopens_label": reopens_label(datetime.fromisoformat(reopens) if reopens else None)}


def route_view(ticket: Ticket) -> list[dict[str, Any]] | None:
    """``route`` of the visitor's view: each step ``{"service", "service_name", "state"}`` with ``state``
    ``done`` / ``current`` / ``next``; the current step while waiting and the first next one also say whether
    their service is open (and when it opens again); the first next one its estimated wait if joined now.
    None for a visit of one service. A visit that ended shows the steps it walked only.
    """
    if not ticket.route:
        return None
    codes, i = _aligned(ticket)
    final = ticket.status in FINAL_STATES
    services = _services_by_code()
    out: list[dict[str, Any]] = []
    for k, code in enumerate(codes):
        if k > i and final:
            break
        state = "done" if k < i or (k == i and ticket.status is TicketState.done) else "current" if k == i \
            else "next"
        service = services.get(code)
        step: dict[str, Any] = {"service": code, "service_name": service.name if service else code, "state": state}
        if (state == "current" and ticket.status is TicketState.waiting) or k == i + 1:
            step.update(_opening(service))
        if k == i + 1 and not final and service is not None:
            day = today()
            waiting = counts.waiting_counts(day).get(service.id, 0)
            step["estimated_wait_seconds"] = estimate_joining(day, {service.id: waiting})[service.id]
            if step["estimated_wait_seconds"] is None:  # no clerk has a counter of it open (queue/presence.py)
                step["nobody_on_duty"] = True
        out.append(step)
    return out


def came_from(ticket: Ticket) -> dict[str, Any] | None:
    """The step before the current one: ``{"service", "service_name", "counter", "finished_at"}``, None at the
    first step (what the next desk's clerk sees)."""
    if not ticket.route or ticket.route_step == 0 or ticket.id is None:
        return None
    row = db.session.execute(
        sa.select(VisitStep, Service).join(Service, Service.id == VisitStep.service_id)
        .where(VisitStep.ticket_id == ticket.id).order_by(VisitStep.step.desc(), VisitStep.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    step, service = row
    counter = db.session.get(Counter, step.counter_id) if step.counter_id is not None else None
    return {"service": service.code, "service_name": service.name,
            "counter": counter.name if counter is not None else None, "finished_at": iso(step.finished_at)}


def came_from_many(ticket_ids: list[int]) -> dict[int, str]:
    """The service name of the step before the current one, per ticket, for a waiting list (one query)."""
    if not ticket_ids:
        return {}
    last = (sa.select(VisitStep.ticket_id, sa.func.max(VisitStep.step).label("step"))
            .where(VisitStep.ticket_id.in_(ticket_ids)).group_by(VisitStep.ticket_id).subquery())
    rows = db.session.execute(
        sa.select(VisitStep.ticket_id, Service.name)
        .join(last, sa.and_(last.c.ticket_id == VisitStep.ticket_id, last.c.step == VisitStep.step))
        .join(Service, Service.id == VisitStep.service_id))
    return {tid: name for tid, name in rows}


def panel_visit(ticket: Ticket | None) -> dict[str, Any] | None:
    """What the clerk's panel shows about the current ticket's visit (None for a visit of one service):
    its route, the step it would go on to when finished (and whether that service is open now), the steps it
    may be sent to instead, and where it came from."""
    if ticket is None or not ticket.route:
        return None
    codes, i = _aligned(ticket)
    services = _services_by_code()

    def named(code: str) -> dict[str, Any]:
        service = services.get(code)
        return {"service": code, "service_name": service.name if service else code}

    steps = [{**named(code), "state": "done" if k < i else "current" if k == i else "next"}
             for k, code in enumerate(codes)]
    ahead = codes[i + 1:]
    nxt = None
    if ahead:
        nxt = {**named(ahead[0]), **_opening(services.get(ahead[0]))}
    return {"number": ticket.number, "route": steps, "next": nxt, "may_go_to": [named(c) for c in ahead],
            "came_from": came_from(ticket)}


def moved_note(ticket: Ticket) -> dict[str, Any] | None:
    """After a finish: where the visit went on to (``{"number", "service", "service_name", "open",
    "closed_reason", "reopens_label"}``), None when the visit ended."""
    if ticket.status is not TicketState.waiting or not ticket.route:
        return None
    service = ticket.service
    return {"number": ticket.number, "service": service.code, "service_name": service.name, **_opening(service)}
