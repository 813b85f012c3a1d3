"""Tickets, their append-only event log, daily numbering, idempotency keys and per-zone call sequences."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base, enum_column

if TYPE_CHECKING:
    from queue_app.core.models import Counter, Service
    from queue_app.staff.models import User


class TicketState(StrEnum):
    """Where a ticket is in its life; the allowed moves are in ``queue_app.queue.transitions.TRANSITIONS``."""

    waiting = auto()
    called = auto()
    serving = auto()
    done = auto()
    no_show = auto()
    cancelled = auto()


#: States in which a ticket is finished for good
FINAL_STATES = frozenset({TicketState.done, TicketState.no_show, TicketState.cancelled})


class EventKind(StrEnum):
    """What happened to a ticket; one row per change, written in the same transaction as the change."""

    issued = auto()
    called = auto()
    recalled = auto()
    started = auto()
    finished = auto()
    no_show = auto()
    transferred = auto()
    cancelled = auto()
    reprinted = auto()
    #: a step of a visit that crosses services ended and the ticket went on to the next (queue_app/queue/routes.py)
    routed = auto()
    #: a ticket taken from afar reached the building: checked in at a kiosk (or by staff) with its code
    arrived = auto()


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # The backstop behind the atomic daily counter: a number is never issued twice.
        sa.UniqueConstraint("issued_service_id", "service_day", "seq"),
        sa.Index("ix_tickets_queue", "service_day", "status", "service_id", "priority", "issued_at"),
        # every call order, estimate and "people ahead" sorts by the queue time
        sa.Index("ix_tickets_queue_at", "service_day", "status", "service_id", "priority", "queue_at"),
        # the whole hall's line in call order, read from its front (queue_app.queue.estimate.load_state)
        sa.Index("ix_tickets_line", "service_day", "status", "priority", "queue_at", "id"),
        # a service's latest finished tickets, newest first (the handling time of the estimate)
        sa.Index("ix_tickets_finished", "service_id", "finished_at"),
        # the few tickets past the first step of their route, by day (the statistics' waits at later steps)
        sa.Index("ix_tickets_routed", "service_day", sqlite_where=sa.text("route_step > 0"),
                 postgresql_where=sa.text("route_step > 0")),
        # the kiosk finds a ticket joined from afar by the code typed on arrival (NULL for every other ticket)
        sa.Index("ix_tickets_checkin_code", "checkin_code", unique=True),
        # the few waiting tickets with a phone, per line (queue_app.notify: a notice to everyone waiting)
        sa.Index("ix_tickets_phone_waiting", "service_id", "service_day",
                 sqlite_where=sa.text("phone IS NOT NULL AND status = 'waiting'"),
                 postgresql_where=sa.text("phone IS NOT NULL AND status = 'waiting'")),
        # the few tickets joined from afar, by day: the quota's count, call-next's passing over and holds
        sa.Index("ix_tickets_remote", "service_day", "issued_service_id", sqlite_where=sa.text("checkin_code IS NOT NULL"),
                 postgresql_where=sa.text("checkin_code IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable handle for the visitor's page and QR code; never derived from the number
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: "A-007": prefix of the service it was issued for, a dash, the day's sequence number
    number: Mapped[str] = mapped_column(sa.String(16))
    seq: Mapped[int]
    #: Local (site time zone) day the ticket belongs to; numbering restarts each day
    service_day: Mapped[date]
    #: The service the ticket was issued for; statistics count ``issued`` here
    issued_service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    #: The queue it is in now (differs after a transfer)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), index=True, active_history=True)
    #: active_history: the old value is loaded before a change, so queue_app.queue.counts can tell what left
    status: Mapped[TicketState] = mapped_column(enum_column(TicketState), default=TicketState.waiting,
                                                active_history=True)
    priority: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime]
    #: The queue time that orders the queue (after priority): ``issued_at`` for a walk-in; for a booking the
    #: later of its check-in and its slot's start, so an early booking waits for its slot and then goes ahead
    #: of everyone who came after the slot started. A transfer keeps it (as it keeps the issue time).
    queue_at: Mapped[datetime]
    #: Start of the booked slot for a ticket from an online booking (marks it on the clerk's list); None = walk-in
    booked_slot_at: Mapped[datetime | None]
    #: First call; a recall or a call after a transfer does not move it (wait = called_at - issued_at)
    called_at: Mapped[datetime | None]
    #: Latest call, for the clerk's timer
    last_called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: Counter that called it last
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counters.id"))
    #: Clerk who called it last
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recalls: Mapped[int] = mapped_column(default=0)
    kiosk: Mapped[str | None] = mapped_column(sa.String(32))
    #: Estimate shown at issue, kept so its accuracy can be measured later
    estimated_wait_seconds: Mapped[int | None]
    #: A visit that crosses services (``then`` in config.toml): its steps' service codes, space-separated, as
    #: walked so far and still planned ("PBG RETRIBUSI SERAH"); None = a visit of one service
    route: Mapped[str | None] = mapped_column(sa.String(400))
    #: The index in ``route`` of the step the ticket is at (0 = the service it was issued for)
    route_step: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The visitor's number for notices (queue_app/core/phones.py: digits starting 62); erased by the privacy
    #: purge (``[privacy] retain_days``) and at the visitor's request
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    #: The language the visitor chose ("id" or "en") for the notices' text (queue_app.notify); None = the site's
    phone_lang: Mapped[str | None] = mapped_column(sa.String(2))
    #: Joined from afar (``[services.remote]``): the code typed at the kiosk on arrival, from the booking
    #: codes' alphabet; None = taken in the building
    checkin_code: Mapped[str | None] = mapped_column(sa.String(16))
    #: When a ticket joined from afar was checked in at the building; call-next passes it over until then
    arrived_at: Mapped[datetime | None]
    #: When call-next first passed over it, not arrived: ``[services.remote] hold_minutes`` later it is a no-show
    passed_at: Mapped[datetime | None]

    #: People ahead when issued; set by engine.issue_ticket on the new object, never stored
    ahead_at_issue = None  # not annotated, so the ORM leaves it unmapped

    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    issued_service: Mapped[Service] = relationship(foreign_keys=[issued_service_id])
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.service_day} {self.status}>"

    @property
    def remote(self) -> bool:
        """Joined from afar (it has a check-in code)."""
        return self.checkin_code is not None

    @property
    def away(self) -> bool:
        """Joined from afar and not in the building yet: call-next passes it over."""
        return self.checkin_code is not None and self.arrived_at is None


class TicketEvent(Base):
    """Append-only log: statistics and audits are built from it, so rows are never updated."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    at: Mapped[datetime] = mapped_column(index=True)
    #: Queue the ticket was in when this happened
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counters.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<TicketEvent {self.kind} ticket={self.ticket_id}>"


class VisitStep(Base):
    """A step of a visit that crosses services, ended and left for the next one (``EventKind.routed``).

    The ticket itself carries its current (or last) step; each step it left is kept here with its own times,
    so the statistics count every step at its own service (queue_app/stats/figures.py) and the next
    step's clerk sees where the visitor came from. Never updated.
    """

    __tablename__ = "visit_steps"
    __table_args__ = (
        # a service's latest steps, newest first (the handling time of the estimate, as ix_tickets_finished)
        sa.Index("ix_visit_steps_finished", "service_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    #: the step's index in the ticket's route
    step: Mapped[int]
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    #: when the ticket began waiting at this step (its issue time for the first step)
    queued_at: Mapped[datetime]
    #: the first call at this step
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime]
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counters.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<VisitStep ticket={self.ticket_id} step={self.step}>"


class DailyNumber(Base):
    """Last number issued per service per local day, bumped atomically with an upsert; and how many of the day's
    tickets were joined from afar, bumped by the same statement (the quota's count, exact under the row's lock)."""

    __tablename__ = "daily_numbers"

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
    remote: Mapped[int] = mapped_column(server_default="0")


class IdempotencyKey(Base):
    """A client-chosen key that makes a retried request return the first answer instead of acting twice."""

    __tablename__ = "idempotency_keys"

    #: What the key is for, e.g. "ticket" or "counter:L01"
    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))
    #: The action that was keyed, so a reused key for another action is refused rather than mis-answered
    action: Mapped[str] = mapped_column(sa.String(32), default="")


class ZoneSequence(Base):
    """Last ``seq`` of the ``called`` events of a zone; in the database so it survives restarts and is shared."""

    __tablename__ = "zone_sequences"

    zone: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class QueueVersion(Base):
    """How many times a service's waiting line of a day has moved (a ticket left it, or joined it anywhere
    but at the end). Phones count their own place from the ``queue_moved`` deltas; the version, bumped in the
    transaction of the move, tells them which deltas their last view already holds (queue_app.queue.moves)."""

    __tablename__ = "queue_versions"

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class QueueCount(Base):
    """Waiting tickets of a service's line of a day, changed in the transaction of each ticket that joins or
    leaves it (queue_app.queue.counts): the kiosk's tiles and the board read it instead of counting."""

    __tablename__ = "queue_counts"

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    waiting: Mapped[int] = mapped_column(default=0)


class CounterPresence(Base):
    """A clerk's panel connected to a counter (the ``/counter`` namespace with ``auth.counter``): the counter is
    staffed while it has a row that has not expired (queue_app.queue.presence).

    In the database because several server processes share it: the process holding the socket moves
    ``expires_at`` on while the socket lives and deletes the row when it closes; the rows of a process that
    died expire by themselves.
    """

    __tablename__ = "counter_presences"
    __table_args__ = (sa.Index("ix_counter_presences_counter", "counter_id", "expires_at"),)

    #: the Socket.IO session id of the panel's connection (unique across the server processes)
    sid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: when the panel connected
    since: Mapped[datetime]
    #: the counter counts as staffed by this panel until then, unless its process refreshes it
    expires_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<CounterPresence counter={self.counter_id} until {self.expires_at:%H:%M:%S}>"

