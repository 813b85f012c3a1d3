"""The replay: who each open counter calls next, and when, from a queue state (no database here).

:mod:`queue_app.queue.estimate` loads the state (open counters, the front of the line, handling times) and
turns the replay's seconds of work into estimates; the method is in its docstring and docs/estimated-wait.md.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

from queue_app.queue.wallclock import WallClock


@dataclass
class OpenCounter:
    services: list[int]
    free_in: float


@dataclass
class QueueState:
    """What the replay needs: open counters, the first waiting tickets in call order, handling times."""

    counters: list[OpenCounter]
    #: (ticket id, service id, priority), priority tickets first, then smallest queue time first
    waiting: list[tuple[int, int, bool]]
    #: waiting tickets per service, including those not loaded
    totals: dict[int, int]
    handling: dict[int, float]
    #: the replay of a long line's first ``MAX_REPLAY`` tickets, kept with its state
    #: (:func:`queue_app.queue.estimate._shared_replay`)
    replayed: Forecast | None = field(default=None, compare=False, repr=False)

    def serves(self, service_id: int) -> bool:
        """Whether an open counter serves the service: else nobody is on duty for it (no estimate)."""
        return any(service_id in c.services for c in self.counters)


@dataclass
class Forecast:
    """The replay's result: when each replayed ticket is called, and where every counter stands after."""

    #: when each replayed ticket is called (seconds of serving from now)
    etas: dict[int, float]
    handling: dict[int, float]
    counters: list[OpenCounter]
    #: per service: call times of its replayed tickets, in queue order
    times: dict[int, list[float]] = field(default_factory=dict)
    #: when each counter is free again after the replayed tickets
    free_at: list[float] = field(default_factory=list)
    #: per service in ``joiners`` of :func:`replay`: when a normal ticket joining its queue now is called
    joins: dict[int, float] = field(default_factory=dict)
    #: the wall clock of this forecast: its "now" and each service's open windows, looked up once, since
    #: the hub asks for every waiting ticket after a call
    _clock: WallClock | None = None

    def serves(self, service_id: int) -> bool:
        """Whether an open counter serves the service (else :meth:`of` has no estimate: nobody is on duty)."""
        return any(service_id in c.services for c in self.counters)

    def of(self, ticket_id: int, service_id: int, position: int) -> int | None:
        """Seconds until call of a ticket with ``position`` people ahead of it in its queue, on the wall
        clock: the closed time (a break, the day's end) on the way counts too (see :class:`WallClock`).
        None when no open counter serves its service."""
        serving = self.serving_of(ticket_id, service_id, position)
        if serving is None:
            return None
        if self._clock is None:
            self._clock = WallClock()
        return self._clock.seconds(service_id, serving)

    def serving_of(self, ticket_id: int, service_id: int, position: int) -> int | None:
        """Seconds of serving until call: the replay's own figure, as if the site never closed; None when no
        open counter serves the service (nobody on duty: no counter will call it, however long one waits)."""
        if ticket_id in self.etas:
            return round(self.etas[ticket_id])
        times = self.times.get(service_id, [])
        if position < len(times):
            return round(times[position])
        # past the replay: its queue continues on the counters that serve it, as they free up
        h = self.handling.get(service_id, 300.0)
        lanes = sorted(self.free_at[i] for i, c in enumerate(self.counters) if service_id in c.services)
        if not lanes:  # no open counter serves it
            return None
        extra = position - len(times)
        if extra > 50:  # a very long queue: the lanes' steady pace is close enough
            return round(lanes[0] + extra * h / len(lanes))
        heap = list(lanes)
        for _ in range(extra):
            heapq.heapreplace(heap, heap[0] + h)
        return round(heap[0])


def replay(state: QueueState, extra: tuple[int, int, bool] | None = None,
           joiners: frozenset[int] = frozenset()) -> Forecast:
    """Replay the queue: who each open counter calls next, and when.

    :param extra: a ticket not in ``state`` yet, ``(id, service id, priority)``, that joins its queue now.
    :param joiners: services for which to find, in the same replay, when a normal ticket joining now
        would be called (:attr:`Forecast.joins`). Such a ticket changes nothing before it is taken, so
        it is taken by the first counter that finds no priority ticket, nothing in the services it lists
        before this one and this one's queue empty: one replay answers every kiosk tile at once.
    """
    prio: dict[int, deque[int]] = {}
    normal: dict[int, deque[int]] = {}
    order: dict[int, int] = {}
    tickets = state.waiting
    if extra is not None:
        tickets = [*tickets, extra]
    for n, (tid, sid, is_prio) in enumerate(tickets):
        lines = prio if is_prio else normal
        q = lines.get(sid)
        if q is None:
            q = lines[sid] = deque()
        q.append(tid)
        order[tid] = n
    out = Forecast({}, state.handling, state.counters)
    out.free_at = free_at = [c.free_in for c in state.counters]
    heap = [(c.free_in, i) for i, c in enumerate(state.counters)]
    heapq.heapify(heap)
    # the loop runs once per replayed ticket (up to MAX_REPLAY) for every tile and call, so it keeps to
    # locals and subscripts: each queue's service and handling time are looked up once, not per ticket, a
    # counter that takes a ticket goes back on the heap in the same step, and the priority queues are not
    # looked at once they are empty
    lists, etas, joins = [c.services for c in state.counters], out.etas, out.joins
    handling = {sid: state.handling.get(sid, 300.0) for sid in {*prio, *normal}}
    times: dict[int, list[float]] = {sid: [] for sid in handling}
    left, left_prio = len(tickets), sum(len(q) for q in prio.values())
    pop, replace = heapq.heappop, heapq.heapreplace
    while heap and left:
        t, i = heap[0]
        pick = None
        if left_prio:
            for sid in lists[i]:
                q = prio.get(sid)
                if q and (pick is None or order[q[0]] < order[pick[0]]):
                    pick, picked = q, sid
            if pick is not None:
                left_prio -= 1
        if pick is None:
            for sid in lists[i]:
                q = normal.get(sid)
                if q:
                    pick, picked = q, sid
                    break
                if sid in joiners and sid not in joins:
                    joins[sid] = t  # a joiner of this service would be at the front here
            else:
                pop(heap)
                continue  # nothing left this counter may serve; it stays free from t
        etas[pick.popleft()] = t
        left -= 1
        times[picked].append(t)
        free_at[i] = t + handling[picked]
        replace(heap, (free_at[i], i))
    out.times = {sid: ts for sid, ts in times.items() if ts}
    # every ticket is taken: a joiner goes to the first counter serving its service that frees up
    for t, i in sorted(heap):
        for sid in state.counters[i].services:
            if sid in joiners:
                out.joins.setdefault(sid, t)
    return out
