"""The queue's Socket.IO namespaces and events, with the shape of each payload (``docs/socketio-events.md``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from queue_app.api.declare import Answer
from queue_app.api.shapes import CounterRef, CounterState, TicketStatus
from queue_app.core.events import declare, namespace
from queue_app.queue.shapes import Board, Counter, Presence, PublicTicket

DISPLAY = namespace("/display", who="hall displays",
                    auth='`{"zone": "lantai-1"}`, optional (absent: every zone)')
TICKET = namespace("/ticket", who="the visitor's phone",
                   auth='`{"token": "<ticket token>"}`, required; `"moves": true` to count its own place')
COUNTER = namespace("/counter", who="clerks, admins", access=True,
                    auth='session cookie, or `{"token": "<bearer>"}`; optional `"counter": "L01"`')
DASHBOARD = namespace("/dashboard", who="managers, admins", access=True,
                      auth='session cookie, or `{"token": "<bearer>"}`')


class Announcement(Answer):
    """What the display says: the text, and the recorded segments it plays back to back."""

    text: str
    segments: list[str]
    #: present when a word has no recording: the display speaks this with the browser's id-ID voice
    fallback_text: str | None = None


class Called(Answer):
    """A call or recall, to the displays of the counter's zone (and every all-zone display)."""

    seq: int = Field(description="rises by one per event within its zone; a gap means: ask for board")
    zone: str
    number: str
    service: str
    counter: CounterRef
    recall: bool
    at: datetime
    announcement: Announcement


class BoardChangedCounter(Answer):
    code: str
    zone: str
    state: CounterState
    staffed: bool = Field(description="a clerk's panel is connected to it")
    presence: Presence
    current: str | None
    status: TicketStatus | None


class BoardChanged(Answer):
    """Waiting counts and counter states (coalesced, at most one a second per process, to every display)."""

    services: dict[str, int]
    counters: list[BoardChangedCounter]


class QueueMoved(Answer):
    """A service's waiting line moved: the keys that left or joined it, and the estimate by place."""

    service: str
    version: int | None = Field(description="null: only the estimates changed")
    left: list[list[int]]
    joined: list[list[int]]
    waiting: int
    eta: list[list[int]] = Field(description="[place, seconds] pairs; empty when nobody is on duty")
    nobody_on_duty: bool = Field(description="no open counter serves the service: no estimate at any place")


class QueueChanged(Answer):
    """Waiting counts of the services that changed."""

    services: dict[str, int]


class BoardRequest(Answer):
    zone: str | None = None


board = declare("board", DISPLAY, payload=Board,
                summary="On every connect (and as the answer to a display's own `board` request): the same body "
                        "as `GET /api/display?zone=Z`.")
board_request = declare("board", DISPLAY, payload=None, direction="client",
                        summary="A display asks for the board again (`{zone}`); the ack is the board or "
                                '`{"error": {"code", "message"}}`.')
called = declare("called", DISPLAY, payload=Called, summary="A call or recall.")
board_changed = declare("board_changed", DISPLAY, payload=BoardChanged,
                        summary="Waiting counts and counter states changed; each display keeps its zone's part.")
ticket = declare("ticket", TICKET, payload=PublicTicket,
                 summary="On connect and on every change of the ticket: the body of `GET /api/tickets/<token>`.")
queue_moved = declare("queue_moved", TICKET, payload=QueueMoved,
                      summary="Only for phones that connected with `moves: true`: one message per line per move.")
sync = declare("sync", TICKET, payload=None, direction="client",
               summary="A phone that saw a gap in the versions asks for its view again (the ack).")
queue_changed = declare("queue_changed", COUNTER, DASHBOARD, payload=QueueChanged,
                        summary="Waiting counts of the services that changed.")
counter_changed = declare("counter_changed", COUNTER, DASHBOARD, payload=Counter,
                          summary="One counter as in `GET /api/counters`.")

