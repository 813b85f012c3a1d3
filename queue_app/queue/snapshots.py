"""The two views a crowd reloads, cached for about a second: a visitor's ticket and a hall display's board.

A hall full of phones reloading ``/t/<token>`` (or displays reconnecting after a Wi-Fi hiccup) would otherwise
compute the same view hundreds of times a second. A cached view is served while it is younger than
:data:`TTL` *and* no transaction has committed in this process since it was computed, so a change made
here is seen by the next request at once; a change made by another server process is seen within
:data:`TTL`. Connected clients never wait for either: every change is pushed to them as it commits
(:mod:`queue_app.live.publisher`); this cache only serves repeated GETs and connects.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from queue_app.core import clock, hooks
from queue_app.core.hooks import app_cache, declare_cache
from queue_app.core.site import iso

TTL = timedelta(seconds=1)
SNAPSHOTS = declare_cache(
    "snapshots", where=__name__,
    holds="the board of each zone and each ticket's public view (GET /api/display, GET /api/tickets, a socket's "
          "first snapshot), at most MAX_ENTRIES",
    forgotten="after 1 s (TTL); at once by any commit in this process (_generation); another process's commits "
              "show within the second (the pushes after them carry the news anyway)")
#: past this many entries the cache is emptied (random tokens must not grow it without end)
MAX_ENTRIES = 5000

#: bumped after every commit in this process: a cached view older than the last commit is never served
_generation = 0


@hooks.listens_for(Session, "after_commit",
                   why="any commit in this process makes every cached board and ticket view stale at once")
def _committed(_session: Session) -> None:
    global _generation
    _generation += 1


def _cache() -> dict[Any, tuple[int, datetime, Any]]:
    return app_cache(SNAPSHOTS)


def _cached(key: Any, compute) -> Any:  # noqa: ANN001
    cache = _cache()
    now = clock.utcnow()
    hit = cache.get(key)
    if hit is not None and hit[0] == _generation and hit[1] <= now < hit[1] + TTL:
        return hit[2]
    generation = _generation  # read before computing: a commit meanwhile makes the result stale at once
    value = compute()
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[key] = (generation, now, value)
    return value


class TicketView(NamedTuple):
    id: int
    service_id: int
    day: date
    body: dict[str, Any]


def ticket_view(token: str) -> TicketView:
    """The ticket's ids and ``GET /api/tickets/<token>`` body. :raise TicketNotFound: (never cached)."""
    from queue_app.queue.operations import get_ticket_by_token
    from queue_app.queue.read_models import ticket_public

    def compute() -> TicketView:
        ticket = get_ticket_by_token(token)
        return TicketView(ticket.id, ticket.service_id, ticket.service_day, ticket_public(ticket))

    hit = _cached(("ticket", token), compute)
    return hit._replace(body=dict(hit.body))


def board(zone: str | None) -> dict[str, Any]:
    """The ``GET /api/display`` body and ``board`` event. :raise ZoneNotFound: (never cached)."""
    from queue_app.queue.board import board_snapshot

    snapshot = dict(_cached(("board", zone), lambda: board_snapshot(zone)))
    snapshot["now"] = iso(clock.utcnow())  # displays set their clock from it: always the time of sending
    return snapshot
