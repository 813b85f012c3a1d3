"""Public endpoints: kiosk, visitor's phone, hall display, monitoring."""

from __future__ import annotations

from flask import jsonify, request

from queue_app.api import asks_first, bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import IDEMPOTENCY_KEY, idempotency_key, well_formed_idempotency_key
from queue_app.core.database import begin_write
from queue_app.queue import issuing, snapshots
from queue_app.queue.read_models import services_public
from queue_app.queue.remote_handlers import join_from_afar
from queue_app.queue.shapes import (
    Board,
    IssuedTicket,
    PublicTicket,
    Service,
    TicketRequest,
)
from queue_app.staff.takers import KIOSK_HEADER, claimed_taker, refuse_anonymous


@bp.get("/services")
@documented("Services a kiosk offers, with waiting counts and estimates", tags="public",
            responses={200: list[Service]}, errors=(404,),
            query={"kiosk": ({"type": "string"}, False, "only the services this kiosk offers")})
def list_services():
    """The services a kiosk offers, with waiting counts and estimates."""
    return jsonify(services_public(request.args.get("kiosk") or None))


@bp.post("/tickets")
@asks_first(refuse_anonymous)
@documented("Issue a ticket (at a kiosk, by staff, or joined from afar with \"remote\": true)", tags="public",
            body=TicketRequest, responses={201: IssuedTicket},
            errors=(400, 401, 403, 404, 409, 413, 422, 429, 503),
            headers={"Idempotency-Key": (IDEMPOTENCY_KEY, False, "a repeat within 10 minutes returns the same ticket"),
                     KIOSK_HEADER: ({"type": "string"}, False,
                                    'the key of the kiosk named in "kiosk" (mpp-queue kiosk key CODE)')})
def create_ticket():
    """Issue a ticket: a kiosk with its key, staff, or anyone when ``[site] public_tickets`` (see takers.py)."""
    # a caller without any credential was told 401 before its body was read (asks_first)
    data = parse_body(TicketRequest)
    if data.remote:  # joining from afar: no kiosk, nothing printed, limits of its own
        return join_from_afar(data)
    taker = claimed_taker(data.kiosk, bool(data.priority), data.service)
    if not well_formed_idempotency_key():  # told after the taker's own refusals
        begin_write()
        taker.prove()
        idempotency_key()
    body = issuing.take_ticket(data.service, priority=bool(data.priority), kiosk=data.kiosk, taker=taker,
                               idempotency_key=idempotency_key())
    return jsonify(body), 201


@bp.get("/tickets/<token>")
@documented("A visitor's view of one ticket", tags="public", responses={200: PublicTicket}, errors=(404,))
def get_ticket(token: str):
    """The visitor's live view of one ticket (cached for a second: :mod:`queue_app.queue.snapshots`)."""
    return jsonify(snapshots.ticket_view(token).body)


@bp.get("/display")
@documented("The board snapshot a hall display shows", tags="public", responses={200: Board}, errors=(404,),
            query={"zone": ({"type": "string"}, False, "one zone (default: every zone)")})
def display_board():
    """The board snapshot a hall display shows (cached for a second: :mod:`queue_app.queue.snapshots`)."""
    return jsonify(snapshots.board(request.args.get("zone") or None))
