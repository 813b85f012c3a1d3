"""Bookings, their append-only event log, and the per-slot counters that keep a slot from overbooking."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base, enum_column

if TYPE_CHECKING:
    from queue_app.core.models import Service
    from queue_app.queue.models import Ticket


class BookingState(StrEnum):
    """A booking's life: booked, then checked in (a ticket), cancelled by the visitor, or expired unused."""

    booked = auto()
    checked_in = auto()
    cancelled = auto()
    expired = auto()


#: States that hold a place in their slot
HOLDING_STATES = frozenset({BookingState.booked, BookingState.checked_in})



class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.Index("ix_bookings_slot", "service_id", "day", "start"),
        # one active booking per phone per service per day is checked against this
        sa.Index("ix_bookings_phone", "phone", "service_id", "day"),
        sa.Index("ix_bookings_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    #: Local (site time zone) day of the slot
    day: Mapped[date]
    #: Slot start and end, local "HH:MM" as the API writes them
    start: Mapped[str] = mapped_column(sa.String(5))
    end: Mapped[str] = mapped_column(sa.String(5))
    #: The same slot as instants, for the check-in window, expiry and the queue time
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: What a person types at the kiosk: short, from A-Z and 2-9, rate-limited at check-in
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: The manage link's secret (>= 128 random bits); the code alone never cancels
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[BookingState] = mapped_column(enum_column(BookingState), default=BookingState.booked)
    name: Mapped[str | None] = mapped_column(sa.String(100))
    #: Normalised digits (62... written 0...), so one number is one number however it was typed
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    #: The language of the notices to ``phone`` ("id" or "en": the booking page's); None: the site's
    phone_lang: Mapped[str | None] = mapped_column(sa.String(2))
    #: Keyed hashes (HMAC with the site's secret) of the requester's address and of its /24 or /64 network,
    #: to count the share of a day one source may hold (queue_app.booking.limits); erased with name and phone
    address_key: Mapped[str | None] = mapped_column(sa.String(32))
    network_key: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: The office's reason when it cancelled the booking by closing its day (``site_closures``); None when the
    #: visitor cancelled it. Reopening the day gives such a booking back (queue_app.booking.closures).
    closed_reason: Mapped[str | None] = mapped_column(sa.String(200))
    expired_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))

    service: Mapped[Service] = relationship()
    ticket: Mapped[Ticket | None] = relationship()

    def __repr__(self) -> str:
        return f"<Booking {self.code} {self.day} {self.start} {self.status}>"


class BookingSlot(Base):
    """Places taken in one slot. Taking one is a conditional UPDATE (``taken < per_slot``), so however many
    requests race, one row decides and a slot never holds more than its places."""

    __tablename__ = "booking_slots"

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    start: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    taken: Mapped[int] = mapped_column(default=0)


class BookingEventKind(StrEnum):
    booked = auto()
    cancelled = auto()
    checked_in = auto()
    expired = auto()


class BookingEvent(Base):
    """Append-only log of bookings, for the reports (booked, checked in, expired, cancelled, no-show rate)."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    kind: Mapped[BookingEventKind] = mapped_column(enum_column(BookingEventKind))
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


# --- personal data (queue_app/privacy): erased retain_days after the booked day, or on request ------------


def _forget_addresses(booking_ids: list[int]) -> None:
    """Booking events written before bookings kept keyed hashes held the requester's address in ``details``."""
    from queue_app.core.extensions import db

    rows = db.session.execute(sa.select(BookingEvent.id, BookingEvent.details).where(
        BookingEvent.booking_id.in_(booking_ids))).all()
    for event_id, details in rows:
        if isinstance(details, dict) and "address" in details:
            db.session.execute(sa.update(BookingEvent).where(BookingEvent.id == event_id).values(
                details={k: v for k, v in details.items() if k != "address"}))


def _register_personal_data() -> None:
    from queue_app.core.models import Service
    from queue_app.privacy.registry import PersonalData, register

    register(PersonalData(
        name="booking", label="privacy.kind_booking", key=Booking.id,
        phone=Booking.phone, since=Booking.day,
        erase=(Booking.name, Booking.phone, Booking.address_key, Booking.network_key),
        show=(Booking.code, sa.select(Service.code).where(Service.id == Booking.service_id).scalar_subquery()
              .label("service"), Booking.day, Booking.start, Booking.status, Booking.name, Booking.phone,
              Booking.created_at),
        also=_forget_addresses,
    ))


_register_personal_data()
