"""Statistics shapes: the figures of a range, the report tables and charts, the live dashboard's snapshot."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from queue_app.api.declare import Answer
from queue_app.api.shapes import CounterState, Moment, TicketStatus


class _Ranged(Answer):
    #: "from" is a Python keyword: the model speaks ``first``/``last``, JSON ``from``/``to``
    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")


class Figures(Answer):
    """Counts, waits and service times (seconds) of a set of tickets; a wait counts from issue to first call."""

    issued: int
    served: int
    no_show: int
    cancelled: int
    waiting_now: int
    avg_wait_seconds: int | None
    p90_wait_seconds: int | None
    avg_service_seconds: int | None
    within_target_pct: float | None
    called: int


class ServiceFigures(Figures):
    code: str
    name: str
    agency: str
    target_wait_minutes: int


class AgencyFigures(Figures):
    code: str
    name: str


class ActorFigures(Answer):
    """Figures from the event log, by who (or where) acted."""

    calls: int
    recalls: int
    served: int
    no_show: int
    transferred: int
    first_calls: int
    avg_wait_seconds: int | None
    p90_wait_seconds: int | None
    avg_service_seconds: int | None
    within_target_pct: float | None


class CounterFigures(ActorFigures):
    code: str
    name: str
    zone: str


class ClerkFigures(ActorFigures):
    username: str
    name: str


class WaitBucket(Answer):
    """Called tickets whose wait fell in [from, to) minutes; the last bucket has no end."""

    model_config = ConfigDict(populate_by_name=True)

    first: int = Field(alias="from")
    last: int | None = Field(alias="to")
    count: int


class Heatmap(Answer):
    """Arrivals per day (or weekday, 1 = Monday, for ranges over a month) and hour."""

    mode: Literal["date", "weekday"]
    days: list[str | int]
    hours: list[int]
    cells: list[list[int]]
    max: int


class VisitTimes(Answer):
    """Visits done and how long they took, from the ticket's issue to its last finish (seconds)."""

    done: int
    avg_visit_seconds: int | None
    p90_visit_seconds: int | None


class RouteVisits(VisitTimes):
    """The visits that walked one route (service codes in order)."""

    route: list[str]


class VisitFigures(VisitTimes):
    """Every visit done, each once however many services it crossed; and per route (docs/visits.md)."""

    routes: list[RouteVisits]


class Summary(_Ranged):
    """Figures per service and in total for a range of local days."""

    services: list[ServiceFigures]
    total: Figures
    visits: VisitFigures


class Report(_Ranged):
    """The reports page: figures per agency, service, counter and clerk, wait histogram, heat map."""

    total: Figures
    services: list[ServiceFigures]
    visits: VisitFigures
    agencies: list[AgencyFigures]
    counters: list[CounterFigures]
    clerks: list[ClerkFigures]
    wait_histogram: list[WaitBucket]
    heatmap: Heatmap


class AgencyRef(Answer):
    code: str
    name: str


class QueueLoad(Answer):
    """A service's queue now, coloured by its longest wait against the target."""

    code: str
    name: str
    agency: str
    prefix: str
    waiting: int
    longest_wait_seconds: int | None
    target_wait_seconds: int
    level: Literal["green", "amber", "red"]
    open_counters: int = Field(description="counters serving it that a clerk has open (panel connected, not paused)")
    counters: int


class CurrentWork(Answer):
    number: str
    service: str
    status: TicketStatus
    priority: bool
    since: Moment
    seconds: int
    clerk: str | None


class CounterNow(Answer):
    code: str
    name: str
    zone: str
    state: CounterState
    staffed: bool = Field(description="a clerk's panel is connected to it")
    presence: Literal["staffed", "paused", "closed"] = Field(
        description="staffed (a clerk has it open), paused, or closed (no clerk's panel connected)")
    state_since: Moment
    current: CurrentWork | None


class Hourly(Answer):
    """Today's arrivals and calls per hour against the average of recent same weekdays."""

    day: date
    hours: list[int]
    baseline_days: int
    arrivals: list[int]
    calls: list[int]
    arrivals_avg: list[float]
    calls_avg: list[float]


class Dashboard(Answer):
    """The live dashboard's snapshot: queues, counters, today's figures and charts."""

    day: date
    at: datetime
    amber_from: float
    agency: AgencyRef | None
    services: list[QueueLoad]
    counters: list[CounterNow]
    today: Figures
    today_services: list[ServiceFigures]
    today_visits: VisitFigures
    hourly: Hourly
    wait_histogram: list[WaitBucket]
