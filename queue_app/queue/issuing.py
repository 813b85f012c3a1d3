"""One way to hand out a ticket, whoever asks: a kiosk press (alone or with others, :mod:`queue_app.queue.presses`),
staff at a desk, a booking's check-in, a visitor joining from afar or arriving at the kiosk.

Every one of them ends the same way, and here: the answer's body is built from the ticket before the commit (which
would expire what it reads), the commit, then the slip printed after it (a ticket is never lost to a printer),
with the same place and estimate the screen shows, and the printer's own error only for staff (on the guest
Wi-Fi a printer's host and port are a map of the printing network).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.core.site import current_site, iso
from queue_app.queue import operations, presses
from queue_app.queue.models import Ticket
from queue_app.queue.read_models import ticket_public
from queue_app.staff.takers import Taker

#: what a caller without staff credentials reads in ``print.error``, by ``print.status``
PUBLIC_PRINT_ERRORS = {
    "failed": "The ticket could not be printed; please ask the staff.",
    "queued": "The ticket will be printed as soon as the printer is ready.",
}


def take_ticket(service: str, *, priority: bool, kiosk: str | None, taker: Taker,
                idempotency_key: str | None, phone: str | None = None,
                phone_lang: str | None = None) -> dict[str, Any]:
    """Issue a ticket for ``taker`` and hand it over (committed, printed): the answer of ``POST /api/tickets``.

    An ordinary press is issued together with the presses of its service that arrive with it; alone, or when
    that batch could not take it, it is issued here in a transaction of its own. ``taker`` is proven in the
    issuing transaction. A press with a phone number (its notices) goes alone.
    """
    proven = False
    if taker.joins and phone is None:
        press = presses.issue_together(presses.Press(service, kiosk, idempotency_key, taker.prove, issued_body))
        if press.outcome is presses.Outcome.refused:
            raise press.error
        if press.outcome is presses.Outcome.issued:
            return hand_over(db.session.merge(press.ticket, load=False), press.created, press.body, kiosk)
        proven = press.proven
    begin_write()  # the kiosk's key is checked in the issuing transaction: one transaction, not two
    if not proven:
        taker.prove()
    try:
        ticket, created = operations.issue_ticket(service, priority=priority, kiosk=kiosk,
                                                  idempotency_key=idempotency_key, phone=phone,
                                                  phone_lang=phone_lang)
        body = issued_body(ticket, created)
        db.session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced in from another process: answer with the winner's ticket.
        db.session.rollback()
        if not idempotency_key:
            raise
        ticket, created = operations.issue_ticket(service, priority=priority, kiosk=kiosk,
                                                  idempotency_key=idempotency_key, phone=phone,
                                                  phone_lang=phone_lang)
        body = issued_body(ticket, created)
        db.session.commit()
    return hand_over(ticket, created, body, kiosk)


def issued_body(ticket: Ticket, created: bool) -> dict[str, Any]:
    """The answer to ``POST /api/tickets`` without ``print`` (known only after commit); build it before the
    commit. A new ticket's place and estimate are the ones the issue worked out, and its slip prints those."""
    if created:  # an estimate of None: nobody is on duty for the service (queue_app.queue.presence)
        ahead, eta = ticket.ahead_at_issue, ticket.estimated_wait_seconds
        nobody = eta is None
    else:  # a repeat: where the ticket stands now
        view = ticket_public(ticket)
        ahead, eta, nobody = view["ahead"], view["estimated_wait_seconds"], view["nobody_on_duty"]
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
        "nobody_on_duty": nobody,
        "track_url": track_url(ticket.token),
        "issued_at": iso(ticket.issued_at),
    }


def hand_over(ticket: Ticket, created: bool, body: dict[str, Any], kiosk: str | None, *,
              print_slip: bool = True) -> dict[str, Any]:
    """After the commit: print the ticket at the kiosk (a repeat reads how its first print went) and complete
    ``body`` with ``print`` (and ``repeated`` for a repeat). Never raises for a printer."""
    printing = current_app.extensions["printing"]
    if not print_slip:
        outcome = {"status": "none", "error": None}
    elif created:
        outcome = printing.print_ticket(ticket, kiosk, place=(body["ahead"], body["estimated_wait_seconds"]))
    else:
        outcome = printing.last_result(ticket)
    body["print"] = print_for_caller(outcome)
    if not created:  # the contract's answer is 201 either way; a repeat is flagged so a client can tell
        body["repeated"] = True
    return body


def print_for_caller(outcome: dict[str, Any]) -> dict[str, Any]:
    """The ``print`` object for this caller: staff read the printer's own words, others a generic reason."""
    if outcome.get("error") is None or current_user.is_authenticated:
        return outcome
    return {**outcome, "error": PUBLIC_PRINT_ERRORS.get(outcome.get("status"), "The ticket was not printed.")}


def track_url(token: str) -> str:
    """The visitor's live page of a ticket (printed as the slip's QR code)."""
    return f"{current_site().base_url}/t/{token}"
