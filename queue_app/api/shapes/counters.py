"""Counter shapes: the counter list, the clerk panel's view and the bodies of the counter actions."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from queue_app.api.declare import Answer, Shape, Text
from queue_app.api.shapes.common import CounterState, Moment, StaffTicket


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
