"""Notify endpoints: a visitor's number for a ticket, WhatsApp's webhooks, the messages of a visit, the health."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from queue_app.api import bp
from queue_app.api.declare import Media, documented, parse_body
from queue_app.api.parsing import date_arg
from queue_app.core.database import begin_write
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.site import today
from queue_app.queue import operations as queue_operations
from queue_app.queue.models import FINAL_STATES
from queue_app.staff.auth import staff_required
from queue_app.staff.models import Role

from . import operations, sender
from .errors import BadSignature, TicketFinished, VerifyRefused
from .operations import MessagesNotFound
from .shapes import MessageList, NotifyHealth, PhoneBody, TicketPhone, WebhookAnswer


@bp.put("/tickets/<token>/phone")
@documented("Give (or change) the number that gets this visit's notices", tags="notify", body=PhoneBody,
            responses={200: TicketPhone}, errors=(400, 404, 409, 413, 415, 422))
def put_ticket_phone(token: str):
    """From the visitor's phone page: consent to messages about this visit only."""
    data = parse_body(PhoneBody)
    begin_write()  # the state read and the number written in one transaction
    ticket = queue_operations.get_ticket_by_token(token)
    if ticket.status in FINAL_STATES:
        raise TicketFinished(f"{ticket.number} is finished: no more messages.", status=ticket.status.value)
    operations.set_phone(ticket, data.phone, data.lang)
    body = operations.phone_view(ticket)
    db.session.commit()
    return jsonify(body)


@bp.delete("/tickets/<token>/phone")
@documented("Withdraw the number: no more messages, the number erased", tags="notify",
            responses={200: TicketPhone}, errors=(404,))
def delete_ticket_phone(token: str):
    """No more messages for this visit; the number is erased from the ticket and its messages."""
    begin_write()
    ticket = queue_operations.get_ticket_by_token(token)
    operations.remove_phone(ticket)
    body = operations.phone_view(ticket)
    db.session.commit()
    return jsonify(body)


@bp.get("/notify/whatsapp")
@documented("WhatsApp's webhook verification: answers hub.challenge when hub.verify_token matches",
            tags="notify", responses={200: Media("text/plain", "hub.challenge, echoed")}, errors=(403,),
            query={"hub.mode": ({"type": "string"}, True, '"subscribe"'),
                   "hub.verify_token": ({"type": "string"}, True, "the content of verify_token_file"),
                   "hub.challenge": ({"type": "string"}, True, "echoed back")})
def whatsapp_verify():
    """Meta's handshake when the webhook URL is set up in the app's dashboard."""
    challenge = request.args.get("hub.challenge", "")
    if request.args.get("hub.mode") != "subscribe" or not operations.verify_token_ok(
            request.args.get("hub.verify_token")) or len(challenge) > 200:
        raise VerifyRefused("The verify token does not match.")
    return Response(challenge, mimetype="text/plain")


@bp.post("/notify/whatsapp")
@documented("WhatsApp's status webhook (signed with X-Hub-Signature-256): messages become delivered, read or failed",
            tags="notify", responses={200: WebhookAnswer}, errors=(400, 401, 413, 422),
            headers={"X-Hub-Signature-256": ({"type": "string"}, True,
                                             "sha256=<HMAC-SHA256 of the raw body with the app secret>")})
def whatsapp_webhook():
    """Statuses of sent messages. The signature is checked on the raw body before anything is read."""
    raw = request.get_data(cache=True)
    if not operations.signature_ok(raw, request.headers.get("X-Hub-Signature-256")):
        raise BadSignature("The X-Hub-Signature-256 header is missing or wrong.")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed("The body is not JSON.")
    statuses = operations.statuses_of(payload)
    sender_ = current_app.extensions.get("notify_sender")
    if sender_ is not None:  # written with the sender's next round (one commit for many webhooks)
        sender_.add_statuses(statuses)
        return jsonify({"ok": True, "moved": None})
    moved = operations.apply_status_list(statuses)
    db.session.commit()
    return jsonify({"ok": True, "moved": moved})


@bp.get("/notify/messages")
@documented("The messages of one ticket or booking (numbers masked)", tags="notify", staff=True,
            responses={200: MessageList}, errors=(400, 401, 403, 404, 422),
            query={"ticket": ({"type": "string", "maxLength": 16}, False, "a ticket's number, e.g. A-007"),
                   "date": ({"type": "string", "format": "date"}, False, "the ticket's day (default today)"),
                   "booking": ({"type": "string", "maxLength": 16}, False,
                               "a booking's code (give this or ticket)")})
@staff_required(Role.admin)
def list_messages():
    """Admin: what was sent about one visit, in order of creation."""
    ticket, booking = request.args.get("ticket"), request.args.get("booking")
    if bool(ticket) == bool(booking):  # no visit named (or two): none found
        raise MessagesNotFound('Name one visit: "ticket" (with "date") or "booking".')
    if (ticket and len(ticket) > 16) or (booking and len(booking) > 16):
        raise ValidationFailed("Too long.", field="ticket" if ticket else "booking")
    if booking:
        return jsonify(operations.messages_of(booking=booking))
    return jsonify(operations.messages_of(ticket=ticket, day=date_arg("date", today())))


@bp.get("/notify/health")
@documented("The notices' provider: messages queued, failed in the last hour, last success and error",
            tags="notify", staff=True, responses={200: NotifyHealth}, errors=(401, 403))
@staff_required(Role.manager, Role.admin)
def notify_health():
    """For the dashboard."""
    return jsonify(sender.health())
