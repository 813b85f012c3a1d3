"""Public shapes: the kiosk's services and tickets, the visitor's ticket, the hall display's board, health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from queue_app.api.declare import Answer, Shape, Text
from queue_app.api.shapes import (
    CounterRef,
    CounterState,
    Moment,
    PrintResult,
    StaffTicket,
    TicketStatus,
)

#: a counter as the dashboard says it: ``staffed`` (a clerk's panel connected, not paused), ``paused`` (connected,
#: paused) or ``closed`` (no clerk's panel connected); only a staffed counter serves in the estimate
Presence = Literal["staffed", "paused", "closed"]


class TicketRequest(Shape):
    """A walk-in ticket request from a kiosk (or an information desk)."""

    service: Text
    priority: bool | None = None
    kiosk: str | None = None


class IssuedTicket(Answer):
    """The ticket just issued (or, for a repeated Idempotency-Key, the one issued before)."""

    number: str
    service: str
    service_name: str
    agency: str
    agency_name: str
    token: str
    status: TicketStatus
    priority: bool
    ahead: int
    estimated_wait_seconds: int | None = Field(description="null when nobody is on duty for the service")
    nobody_on_duty: bool = Field(description="no clerk has a counter serving this service open now "
                                             "(signed in, panel connected, not paused): no estimate")
    track_url: str = Field(json_schema_extra={"format": "uri"})
    issued_at: datetime
    print: PrintResult
    #: present (true) when a repeated Idempotency-Key answered with the earlier ticket
    repeated: bool = False


class QueuePlace(Answer):
    """Where a waiting ticket stands, for a phone that keeps counting its place from ``queue_moved``."""

    key: list[int] = Field(description="[priority 1/0, queue time in microseconds, id]: called before any later key")
    version: int = Field(description="the version of its service's line this view was read at")


class PublicTicket(Answer):
    """A visitor's view of their ticket: nothing about anybody else."""

    number: str
    service: str
    service_name: str
    status: TicketStatus
    priority: bool
    ahead: int
    estimated_wait_seconds: int | None = Field(description="while waiting, null when nobody is on duty for the "
                                                           "service; null once called")
    nobody_on_duty: bool = Field(description="waiting, and no clerk has a counter serving its service open now")
    counter: CounterRef | None
    issued_at: datetime
    called_at: Moment
    finished_at: Moment
    recalls: int = Field(description="how many times it was called again (0 while waiting)")
    last_called_at: Moment = Field(description="the latest call or recall: a change while called is a recall")
    #: only while waiting
    queue: QueuePlace | None = None


class Service(Answer):
    """A kiosk tile: a service with its queue, estimate and whether it takes tickets now."""

    code: str
    name: str
    name_en: str
    agency: str
    agency_name: str
    prefix: str
    waiting: int
    estimated_wait_seconds: int | None = Field(description="null when nobody is on duty for the service")
    nobody_on_duty: bool = Field(description="no clerk has a counter serving it open now (signed in, panel "
                                             "connected, not paused)")
    open: bool
    closed_reason: str | None = Field(description="why it takes no tickets: service_closed, outside_hours, ...")
    closed_message: str
    reopens_at: str | None = Field(description="when a closed service opens again (ISO 8601, site offset)")
    holiday: str | None = Field(description="the holiday's name when the building is closed for one")
    reopens_label: dict[Literal["id", "en"], str] | None = Field(
        description='what the kiosk says in each language, e.g. {"id": "Buka kembali pukul 13.00", '
                    '"en": "Opens again at 13:00"}')
    hours: str | None = Field(description="opening hours like 08:00-15:00")
    target_wait_minutes: int


class BoardCall(Answer):
    """A call shown on the board."""

    number: str
    counter: CounterRef
    zone: str
    at: datetime
    recall: bool


class BoardCounter(Answer):
    code: str
    name: str
    zone: str
    state: CounterState
    staffed: bool
    presence: Presence
    current: str | None = Field(description="number of the counter's current ticket")
    status: TicketStatus | None


class BoardService(Answer):
    code: str
    name: str
    prefix: str
    waiting: int


class DisplayNotice(Answer):
    """A notice in the display's media area."""

    title: str
    text: str


class Board(Answer):
    """The snapshot a hall display shows (also the ``board`` Socket.IO event)."""

    site: str
    zone: str | None
    zones: list[str]
    seq: dict[str, int]
    now: datetime
    timezone: str
    running_text: str
    #: the holiday's or closure's name when the whole building is closed today (the display's banner)
    closed: str | None
    notices: list[DisplayNotice]
    voice: Literal["segments", "speech"]
    number_reading: Literal["digits", "whole"]
    latest: BoardCall | None
    recent: list[BoardCall]
    counters: list[BoardCounter]
    services: list[BoardService]


class CallNextBody(Shape):
    """Optional: finish the current ticket first (one click for "done, next")."""

    finish_current: bool | None = None


class CallBody(Shape):
    number: Text = Field(description="a waiting number such as A-007")


class TransferBody(Shape):
    service: Text = Field(description="the code of the service whose queue takes the ticket")


class Counter(Answer):
    """A counter with its state and current ticket."""

    code: str
    name: str
    zone: str
    services: list[str]
    state: CounterState
    staffed: bool = Field(description="a clerk's panel is connected to it (signed in to this counter)")
    presence: Presence
    current: StaffTicket | None


class CounterAction(Answer):
    """The counter's current ticket after the action (null when nobody was called)."""

    ticket: StaffTicket | None
    #: true when a repeated Idempotency-Key answered without acting again
    replayed: bool = False


class PanelCounter(Counter):
    state_since: Moment


class WaitingTicket(Answer):
    number: str
    service: str
    service_name: str
    priority: bool
    issued_at: datetime
    waited_seconds: int
    transferred: bool
    #: a booking's slot start (local HH:MM), None for a walk-in
    booked_slot: str | None = None


class Tally(Answer):
    """Today's figures of the signed-in clerk, at any counter."""

    served: int
    no_show: int
    called: int
    avg_service_seconds: int | None


class PanelService(Answer):
    code: str
    name: str
    prefix: str
    own: bool = Field(description="the counter serves it")


class PanelView(Answer):
    """What a clerk panel shows: waiting list, own tally, counter state."""

    counter: PanelCounter
    waiting: list[WaitingTicket]
    waiting_total: int
    tally: Tally
    services: list[PanelService]
    recall_warn_after: int
    now: datetime
