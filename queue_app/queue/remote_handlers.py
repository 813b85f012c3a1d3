"""Endpoints for leaving the line and joining from afar (contract, third round); :mod:`queue_app.queue.remote`
holds the verbs.

``POST /api/tickets`` with ``"remote": true`` comes here from :func:`queue_app.queue.handlers.create_ticket`:
no kiosk key is needed, so its own limits apply (per address, per phone), lifted with the kiosks' by
``MPP_QUEUE_RATELIMIT_TICKETS=0``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from flask_login import current_user

from queue_app.api import asks_first, bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import idempotency_key
from queue_app.core.extensions import db
from queue_app.core.limits import check, hit, keyed_hash
from queue_app.core.phones import normalise_phone
from queue_app.queue import issuing, remote
from queue_app.queue.read_models import ticket_public
from queue_app.queue.shapes import ArriveRequest, IssuedTicket, PublicTicket, TicketRequest
from queue_app.staff.errors import KioskRequired, PriorityNotAllowed
from queue_app.staff.models import User
from queue_app.staff.takers import refuse_anonymous, ticket_taker

HOUR, DAY = 3600, 86400


def _staff_by_token() -> User | None:
    """Staff calling with a bearer token (an information desk's client): not limited, recorded as the actor.
    A browser session counts as a visitor here: joining from afar gives no privilege to check."""
    if current_user.is_authenticated and g.get("auth_via_token"):
        return current_user._get_current_object()
    return None


def _bound_key(key: str | None, service: str, phone: str | None) -> str | None:
    """A visitor's Idempotency-Key, bound to its address and request: anyone may join from afar, so a key
    another phone happens to send (or guesses) must never answer with this visitor's ticket. Keyed with the
    site's secret; stored in the tickets' scope, where a kiosk's own keys cannot meet it."""
    if key is None:
        return None
    return "remote:" + keyed_hash("|".join((request.remote_addr or "?", service, phone or "", key)), 48)


def join_from_afar(data: TicketRequest) -> tuple[Any, int]:
    """``POST /api/tickets`` with ``"remote": true``: a place in the line, a check-in code, nothing printed."""
    if data.priority:
        raise PriorityNotAllowed("Priority tickets are issued at a kiosk or by staff, never from afar.")
    staff = _staff_by_token()
    config = current_app.config
    phone = None
    if data.phone is not None and data.phone.strip():
        phone = normalise_phone(data.phone)  # 422 invalid_phone before any budget is spent
    key = _bound_key(idempotency_key(), data.service, phone)  # 422 for a malformed one
    if key is not None:
        repeat = remote.repeated_join(key)
        if repeat is not None:  # a phone's retry (a lost answer): the same place, nothing spent again
            body = issuing.issued_body(repeat, False)
            body.update(arrived=repeat.arrived_at is not None, code=repeat.checkin_code)
            db.session.commit()
            return jsonify(issuing.hand_over(repeat, False, body, None, print_slip=False)), 201
    if staff is None:
        address = request.remote_addr or "?"
        hit("remote-address", config.get("RATELIMIT_REMOTE_PER_ADDRESS", 0), address, seconds=HOUR,
            message="Too many places taken from this address; try again later.")
        if phone:  # counted when a place is taken (below): a stranger's junk cannot spend the owner's budget
            check("remote-phone", config.get("RATELIMIT_REMOTE_PER_PHONE", 0), phone, seconds=DAY,
                  message="This phone number has taken enough places today.")
    ticket = remote.join(data.service, phone=phone, actor=staff, idempotency_key=key,
                         one_per_phone=staff is None and bool(config.get("RATELIMIT_REMOTE_PER_PHONE", 0)))
    body = issuing.issued_body(ticket, True)
    body.update(arrived=False, code=ticket.checkin_code)
    db.session.commit()
    if staff is None and phone:
        hit("remote-phone", config.get("RATELIMIT_REMOTE_PER_PHONE", 0), phone, seconds=DAY,
            message="This phone number has taken enough places today.")
    return jsonify(issuing.hand_over(ticket, True, body, None, print_slip=False)), 201


@bp.delete("/tickets/<token>")
@documented("Leave the line: cancel a waiting ticket", tags="public", responses={200: PublicTicket},
            errors=(404, 409))
def leave_line(token: str):
    """The visitor leaves the line (walk-in, booked or joined from afar); everyone behind moves up."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    ticket = remote.leave(token, actor=actor)
    body = ticket_public(ticket)
    db.session.commit()
    return jsonify(body)


@bp.post("/tickets/<code>/arrive")
@asks_first(refuse_anonymous)
@documented("A visitor who joined from afar arrives: check in with the code", tags="public", body=ArriveRequest,
            body_required=False, responses={200: IssuedTicket},
            errors=(400, 401, 403, 404, 409, 413, 415, 422, 429))
def arrive(code: str):
    """Check in a ticket joined from afar at a kiosk (with its key) or a desk (staff); the kiosk prints it."""
    data = parse_body(ArriveRequest, required=False)
    taker = ticket_taker(data.kiosk, False)
    if taker.kind == "public":  # a public site's anonymous caller: arriving is proven at the building
        raise KioskRequired("Check in at a kiosk in the building (or at the information desk).")
    staff = current_user._get_current_object() if taker.kind == "staff" else None
    # codes are short: guessing them is slowed per kiosk (or desk address)
    if config_limits_on():
        hit("arrive", current_app.config.get("RATELIMIT_CHECKINS_PER_MINUTE", 0), data.kiosk or request.remote_addr
            or "?", message="Too many check-ins from here in a minute.")
    ticket, created = remote.arrive(code, kiosk=data.kiosk, actor=staff)
    body = issuing.issued_body(ticket, False)
    body.update(arrived=True, code=ticket.checkin_code)
    db.session.commit()
    # a first arrival prints its slip with the place it has now; a repeat reads how that print went
    return jsonify(issuing.hand_over(ticket, created, body, data.kiosk)), 200


def config_limits_on() -> bool:
    """The ticket limits are on (``MPP_QUEUE_RATELIMIT_TICKETS=0`` lifts them, for load tests)."""
    return bool(current_app.config.get("RATELIMIT_TICKETS_PER_KIOSK", 0))

