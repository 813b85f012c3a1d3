"""Public shapes: the kiosk's services and tickets, the visitor's ticket, the hall display's board, health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from queue_app.api.declare import Answer, Code, Number, Phone, Shape
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

    service: Code
    priority: bool | None = None
    kiosk: Code | None = None
    #: joining from afar ([services.remote]): no kiosk key needed, never printed, never priority
    remote: bool | None = None
    #: the visitor's number for notices (08…, +62…, 62…; spaces and dashes allowed)
    phone: Phone | None = None


class ArriveRequest(Shape):
    """A visitor who joined from afar checks in at a kiosk (or at a desk: staff may leave ``kiosk`` out)."""

    kiosk: Code | None = None


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
    #: present (true) when a repeated Idempotency-Key answered with the earlier ticket, or a repeated arrival
    repeated: bool = False
    #: joined from afar only: whether the visitor checked in at the building, and the code to type there
    arrived: bool | None = None
    code: str | None = Field(None, description="joined from afar: the check-in code typed at the kiosk")


class QueuePlace(Answer):
    """Where a waiting ticket stands, for a phone that keeps counting its place from ``queue_moved``."""

    key: list[int] = Field(description="[priority 1/0, queue time in microseconds, id]: called before any later key")
    version: int = Field(description="the version of its service's line this view was read at")


class Reopens(Answer):
    """When a closed service opens again, in both languages ("Buka kembali pukul 13.00")."""

    id: str
    en: str


class StepOpening(Answer):
    """Whether a step's service takes visitors now, and if not why and when it opens again."""

    open: bool
    closed_reason: str | None = Field(description="service_closed, outside_hours, holiday")
    reopens_at: str | None = Field(description="when it opens again by its hours (ISO 8601), if known")
    reopens_label: Reopens | None


class MovedOn(StepOpening):
    """Where a finished step sent the visit: the same number now waits at this service."""

    number: str
    service: str
    service_name: str


class RouteStep(Answer):
    """A step of a visit that crosses services (docs/visits.md)."""

    service: str
    service_name: str
    state: Literal["done", "current", "next"]
    #: the current step while waiting, and the first next one: whether the service takes visitors now
    open: bool | None = None
    closed_reason: str | None = None
    reopens_at: str | None = None
    reopens_label: Reopens | None = None
    #: the first next step: the estimated wait there if one joined it now (null while nobody is on duty there)
    estimated_wait_seconds: int | None = None
    #: the first next step has no clerk on duty yet: no estimate (docs/estimated-wait.md)
    nobody_on_duty: bool | None = None


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
    #: a visit that crosses services: its steps in order (absent for a visit of one service)
    route: list[RouteStep] | None = None
    #: joined from afar only (absent otherwise): whether the visitor checked in at a kiosk, and the code
    arrived: bool | None = None
    code: str | None = Field(None, description="joined from afar: the check-in code typed at the kiosk")
    arrive_ahead: int | None = Field(None, description="joined from afar: come to the building before fewer "
                                                       "than this many are ahead")
    come_now: bool | None = Field(None, description="joined from afar, not arrived, fewer than arrive_ahead "
                                                    "ahead: time to come")
    hold_until: Moment | None = Field(None, description="joined from afar, not arrived and passed over: a "
                                                        "no-show after this")


class RemoteLeft(Answer):
    """A service that can be joined from afar: its places from afar left today."""

    left_today: int


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
    remote: RemoteLeft | None = Field(description="null: cannot be joined from afar; else the places left today")


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


class FinishBody(Shape):
    """Optional, for a visit whose route goes on at other services (docs/visits.md)."""

    end_visit: bool | None = Field(None, description="finish the whole visit here, skipping the steps left")
    next: Code | None = Field(None, description="go on to this step of the route (a service code) instead of the next")


class CallBody(Shape):
    number: Number = Field(description="a waiting number such as A-007")


class TransferBody(Shape):
    service: Code = Field(description="the code of the service whose queue takes the ticket")


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
    #: a finish that moved the visit on to its next step (docs/visits.md)
    next_step: MovedOn | None = None


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
    #: a visit that crosses services: the service of the step it finished before this one
    came_from: str | None = None
    #: joined from afar ([services.remote])
    remote: bool = False
    #: joined from afar and not checked in at the building yet: call-next passes it over
    away: bool = False


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


class PanelStep(Answer):
    service: str
    service_name: str


class PanelRouteStep(PanelStep):
    state: Literal["done", "current", "next"]


class PanelNextStep(PanelStep, StepOpening):
    """The step the visit goes on to when the clerk finishes, and whether its service is open now."""


class CameFrom(PanelStep):
    """The step the visitor finished before this one."""

    counter: str | None
    finished_at: Moment


class PanelVisit(Answer):
    """The current ticket's visit, when it crosses services (docs/visits.md)."""

    number: str
    route: list[PanelRouteStep]
    next: PanelNextStep | None
    #: the steps the clerk may send it to instead of the next one (``next`` of the finish)
    may_go_to: list[PanelStep]
    came_from: CameFrom | None


class PanelView(Answer):
    """What a clerk panel shows: waiting list, own tally, counter state."""

    counter: PanelCounter
    waiting: list[WaitingTicket]
    waiting_total: int
    tally: Tally
    services: list[PanelService]
    recall_warn_after: int
    now: datetime
    #: the current ticket's visit when it crosses services, else null
    visit: PanelVisit | None = None
