"""Online booking: the slots of a day, book, look up and cancel by token, check in by code at a kiosk or desk."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user

from queue_app.api import asks_first, bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import date_range
from queue_app.booking import operations
from queue_app.booking.report import booking_figures
from queue_app.booking.shapes import (
    BookingReport,
    BookingRequest,
    BookingView,
    CheckedIn,
    CheckInRequest,
    SlotList,
)
from queue_app.core.errors import ValidationFailed
from queue_app.core.extensions import db
from queue_app.core.limits import hit
from queue_app.queue import issuing
from queue_app.staff.auth import scoped_agency, staff_required
from queue_app.staff.models import Role
from queue_app.staff.takers import refuse_anonymous, ticket_taker

DATE_SCHEMA = {"type": "string", "format": "date"}


# --- limits (shared by every process through the limiter's store) -------------------------------


def check_rate(bucket: str, key: str, limit: int, window: int) -> None:
    """Count one request of ``key`` in ``bucket``; :raise RateLimited: more than ``limit`` in ``window`` seconds.

    ``MPP_QUEUE_RATELIMIT_BOOKINGS=0`` (config ``RATELIMIT_BOOKINGS``) turns every booking limit off.
    """
    if not current_app.config.get("RATELIMIT_BOOKINGS"):
        return
    hit(bucket, limit, key, seconds=window, message="Too many booking requests; try again later.")


def _limit_booking(phone: str | None) -> None:
    """Attempts (whatever their outcome) per address per ten minutes, and per phone *from that address* per
    day: a stranger's junk requests naming a number spend the stranger's budget, never the owner's. The
    shares of a day's places are counted by the verb (:mod:`queue_app.booking.limits`)."""
    config = current_app.config
    address = request.remote_addr or "?"
    check_rate("book:addr", address, config.get("RATELIMIT_BOOKINGS_PER_ADDRESS", 0), 600)
    if phone:
        try:
            digits = operations.normalise_phone(phone)
        except ValidationFailed:
            return  # the verb answers 422; a bad number must not get a slot in this table
        check_rate("book:phone", f"{digits}|{address}", config.get("RATELIMIT_BOOKINGS_PER_PHONE", 0), 86400)


# --- endpoints ---------------------------------------------------------------------------------


@bp.get("/booking/slots")
@documented("The bookable slots of a day", tags="booking", responses={200: SlotList}, errors=(404, 409, 422),
            query={"service": ({"type": "string", "minLength": 1}, True, "service code"),
                   "date": (DATE_SCHEMA, True, "local day, YYYY-MM-DD")})
def booking_slots():
    """Slots of the day with their places left; slots that already ended today are left out."""
    service, day = request.args.get("service"), request.args.get("date")
    if not service:
        raise ValidationFailed('Missing query parameter "service".', field="service")
    if not day:
        raise ValidationFailed('Missing query parameter "date".', field="date")
    return jsonify(operations.slots(service, day))


@bp.post("/bookings")
@documented("Book a slot", tags="booking", body=BookingRequest, responses={201: BookingView},
            errors=(400, 404, 409, 413, 422, 429))
def create_booking():
    """Take a place in a slot: the code to type at the kiosk, and the token of the manage link."""
    data = parse_body(BookingRequest)
    _limit_booking(data.phone)
    booking = operations.book(data.service, data.date, data.start, name=data.name, phone=data.phone,
                              lang=data.lang, address=request.remote_addr, commit=True)
    body = operations.booking_view(booking)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/bookings/<token>")
@documented("A booking, by the token of its manage link", tags="booking", responses={200: BookingView},
            errors=(404,))
def get_booking(token: str):
    return jsonify(operations.booking_view(operations.get_by_token(token)))


@bp.delete("/bookings/<token>")
@documented("Cancel a booking; its place is free again", tags="booking", responses={200: BookingView},
            errors=(404, 409))
def cancel_booking(token: str):
    booking = operations.cancel(token, actor=current_user if current_user.is_authenticated else None)
    body = operations.booking_view(booking)
    db.session.commit()
    return jsonify(body)


@bp.post("/bookings/<code>/check-in")
@asks_first(refuse_anonymous)
@documented("Check a booking in: its ticket", tags="booking", body=CheckInRequest, body_required=False,
            responses={201: CheckedIn, 200: CheckedIn}, errors=(400, 401, 403, 404, 409, 413, 422, 429))
def check_in(code: str):
    """Issue the booking's ticket at a kiosk (or a desk, by a clerk); a repeat gives the same ticket."""
    # a kiosk with its key, or staff (the desk), like any ticket (anonymous callers: api/__init__.py)
    data = parse_body(CheckInRequest, required=False)
    taker = ticket_taker(data.kiosk, False)
    staff = current_user._get_current_object() if taker.kind == "staff" else None
    # codes are short: guessing them is slowed per kiosk (or desk address)
    check_rate("checkin", data.kiosk or request.remote_addr or "?",
               current_app.config.get("RATELIMIT_CHECKINS_PER_MINUTE", 0), 60)
    booking, ticket, created = operations.check_in(code, kiosk=data.kiosk, actor=staff)
    body = issuing.issued_body(ticket, created)
    body["booking"] = booking.code
    body["booked_slot"] = {"date": booking.day.isoformat(), "start": booking.start, "end": booking.end}
    db.session.commit()
    body = issuing.hand_over(ticket, created, body, data.kiosk)
    body.pop("repeated", None)  # a repeated check-in says so with its 200
    return jsonify(body), 201 if created else 200


@bp.get("/stats/bookings")
@documented("Booking figures per service and day", tags="stats", staff=True, errors=(401, 403, 404, 422),
            responses={200: BookingReport},
            query={"from": (DATE_SCHEMA, False, "first local day, default today"),
                   "to": (DATE_SCHEMA, False, "last local day, default from"),
                   "agency": ({"type": "string"}, False, "agency code")})
@staff_required(Role.manager, Role.admin)
def booking_stats():
    """Made, checked in, expired, cancelled and still open bookings, and the no-show rate, by the slot's day."""
    first, last = date_range()
    return jsonify(booking_figures(first, last, agency_id=scoped_agency()))
