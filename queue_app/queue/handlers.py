"""Public endpoints: kiosk, visitor's phone, hall display, monitoring."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from queue_app.api import asks_first, bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import IDEMPOTENCY_KEY, idempotency_key, well_formed_idempotency_key
from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.site import current_site, iso
from queue_app.queue import operations, presses
from queue_app.queue.read_models import services_public, ticket_public
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
@documented("Issue a ticket", tags="public", body=TicketRequest, responses={201: IssuedTicket},
            errors=(400, 401, 403, 404, 409, 413, 422, 429, 503),
            headers={"Idempotency-Key": (IDEMPOTENCY_KEY, False, "a repeat within 10 minutes returns the same ticket"),
                     KIOSK_HEADER: ({"type": "string"}, False,
                                    'the key of the kiosk named in "kiosk" (mpp-queue kiosk key CODE)')})
def create_ticket():
    """Issue a ticket: a kiosk with its key, staff, or anyone when ``[site] public_tickets`` (see takers.py).

    An ordinary press is issued together with the presses of its service that arrive with it
    (:mod:`queue_app.queue.presses`); alone, or when that batch could not take it, it is issued here.
    """
    # a caller without any credential was told 401 before its body was read (api/__init__.py)
    data = parse_body(TicketRequest)
    service, priority, kiosk = data.service, bool(data.priority), data.kiosk
    taker = claimed_taker(kiosk, priority)
    proven = False
    if taker.joins and well_formed_idempotency_key():
        key = idempotency_key()
        press = presses.issue_together(presses.Press(service, kiosk, key, taker.prove, _issued_body))
        if press.outcome is presses.Outcome.refused:
            raise press.error
        if press.outcome is presses.Outcome.issued:
            return _answer(db.session.merge(press.ticket, load=False), press.created, press.body, kiosk)
        proven = press.proven
    begin_write()  # the kiosk's key is checked in the issuing transaction: one transaction, not two
    if not proven:
        taker.prove()
    key = idempotency_key()  # a malformed key is told after the taker's own refusals
    try:
        ticket, created = operations.issue_ticket(service, priority=priority, kiosk=kiosk, idempotency_key=key)
        body = _issued_body(ticket, created)  # before commit, which would expire what it reads
        db.session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced in from another process: answer with the winner's ticket.
        db.session.rollback()
        if not key:
            raise
        ticket, created = operations.issue_ticket(service, priority=priority, kiosk=kiosk, idempotency_key=key)
        body = _issued_body(ticket, created)
        db.session.commit()
    return _answer(ticket, created, body, kiosk)


def _answer(ticket, created: bool, body: dict, kiosk: str | None):  # noqa: ANN001, ANN202
    """Print the committed ticket (or read how its first print went) and answer 201."""
    printing = current_app.extensions["printing"]
    outcome = printing.print_ticket(ticket, kiosk) if created else printing.last_result(ticket)
    body["print"] = print_for_caller(outcome)
    # the contract's answer is 201 either way; a repeat is flagged so a client can tell
    if not created:
        body["repeated"] = True
    return jsonify(body), 201


#: what a caller without staff credentials reads in ``print.error``, by ``print.status``
PUBLIC_PRINT_ERRORS = {
    "failed": "The ticket could not be printed; please ask the staff.",
    "queued": "The ticket will be printed as soon as the printer is ready.",
}


def print_for_caller(outcome: dict) -> dict:
    """The ``print`` object for this caller: staff read the printer's own words, others a generic reason.

    A printer's error names its host, port, device path or agent; on a building's guest Wi-Fi that is a
    map of the printing network for anyone who takes a ticket.
    """
    if outcome.get("error") is None or current_user.is_authenticated:
        return outcome
    return {**outcome, "error": PUBLIC_PRINT_ERRORS.get(outcome.get("status"), "The ticket was not printed.")}


def _issued_body(ticket, created: bool) -> dict:  # noqa: ANN001
    """The contract's answer to POST /api/tickets (without ``print``, known only after commit)."""
    if created:  # the engine just worked these out
        ahead, eta = ticket.ahead_at_issue, ticket.estimated_wait_seconds
    else:  # a repeat: where the ticket stands now
        view = ticket_public(ticket)
        ahead, eta = view["ahead"], view["estimated_wait_seconds"]
    service = ticket.service
    return {
        "number": ticket.number,
        "service": service.code,
        "service_name": service.name,
        "agency": service.agency.code,
        "agency_name": service.agency.name,
        "token": ticket.token,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "ahead": ahead,
        "estimated_wait_seconds": eta,
        "track_url": track_url(ticket.token),
        "issued_at": iso(ticket.issued_at),
    }


def track_url(token: str) -> str:
    return f"{current_site().base_url}/t/{token}"


@bp.get("/tickets/<token>")
@documented("A visitor's view of one ticket", tags="public", responses={200: PublicTicket}, errors=(404,))
def get_ticket(token: str):
    """The visitor's live view of one ticket (cached for a second: :mod:`queue_app.queue.snapshots`)."""
    from queue_app.queue import snapshots

    return jsonify(snapshots.ticket_view(token).body)


@bp.get("/display")
@documented("The board snapshot a hall display shows", tags="public", responses={200: Board}, errors=(404,),
            query={"zone": ({"type": "string"}, False, "one zone (default: every zone)")})
def display_board():
    """The board snapshot a hall display shows (cached for a second: :mod:`queue_app.queue.snapshots`)."""
    from queue_app.queue import snapshots

    return jsonify(snapshots.board(request.args.get("zone") or None))
