"""The replay's shortcut for the kiosk's tiles: one replay with ``joiners`` must give each service exactly
the estimate a replay with that service's new ticket added gives (queue_app.queue.replay.replay)."""

from __future__ import annotations

import random

import pytest

from queue_app.queue.replay import OpenCounter, QueueState, replay


def random_state(rng: random.Random) -> QueueState:
    services = list(range(1, rng.randint(2, 6)))
    counters = []
    for _ in range(rng.randint(0, 5)):
        listed = rng.sample(services, rng.randint(1, len(services)))
        counters.append(OpenCounter(listed, rng.choice([0.0, rng.uniform(0, 900)])))
    waiting = []
    for tid in range(1, rng.randint(0, 60) + 1):
        waiting.append((tid, rng.choice(services), rng.random() < 0.15))
    waiting.sort(key=lambda w: (not w[2], w[0]))  # priority first, then queue order
    totals: dict[int, int] = {}
    for _, sid, _ in waiting:
        totals[sid] = totals.get(sid, 0) + 1
    handling = {sid: rng.uniform(60, 900) for sid in services}
    return QueueState(counters, waiting, totals, handling)


def plain_replay(state: QueueState) -> dict[int, float]:
    """The method of queue_app/queue/estimate.py's docstring, written as plainly as it reads: the counter free
    first (then the lower index) takes the oldest priority ticket of any of its services, else the first
    ticket of its first listed service that has one; a counter with nothing left stops. Call times by id."""
    free = {i: c.free_in for i, c in enumerate(state.counters)}
    waiting = list(state.waiting)  # call order: priority first, then queue order
    etas: dict[int, float] = {}
    while free and waiting:
        i = min(free, key=lambda k: (free[k], k))
        services = state.counters[i].services
        pick = next((w for w in waiting if w[2] and w[1] in services), None)
        if pick is None:
            pick = next((min((w for w in waiting if w[1] == sid), key=waiting.index)
                         for sid in services if any(w[1] == sid for w in waiting)), None)
        if pick is None:
            del free[i]
            continue
        waiting.remove(pick)
        etas[pick[0]] = free[i]
        free[i] += state.handling.get(pick[1], 300.0)
    return etas


@pytest.mark.parametrize("seed", range(200))
def test_the_replay_calls_as_the_method_says(seed):
    """The replay's loop is written for speed (it runs for every tile and call); it must call every ticket when
    the plain reading of the method does."""
    state = random_state(random.Random(seed))
    assert {tid: round(t) for tid, t in replay(state).etas.items()} == {tid: round(t) for tid, t in plain_replay(state).items()}


@pytest.mark.parametrize("seed", range(300))
def test_one_replay_with_joiners_equals_one_replay_per_new_ticket(seed):
    rng = random.Random(seed)
    state = random_state(rng)
    services = {sid for c in state.counters for sid in c.services} | set(state.handling)
    together = replay(state, joiners=frozenset(services))
    for sid in services:
        alone = replay(state, extra=(-1, sid, False))
        assert together.joins.get(sid) == (None if -1 not in alone.etas else pytest.approx(alone.etas[-1], abs=0.5)), sid
        # the joiners never change the forecast of the tickets already waiting
        assert together.etas == replay(state).etas


def test_a_line_past_the_replay_shares_one_replay_and_estimates_as_a_fresh_read(app, ctx, monkeypatch):
    """Past ``MAX_REPLAY`` waiting, new tickets and tiles read the state's one replay instead of each
    replaying it; the estimate must be what a fresh read of the line gives, and a priority ticket (which
    joins ahead, inside the replayed front) must drop the shared replay."""
    from queue_app.core.extensions import db
    from queue_app.core.site import today
    from queue_app.queue import estimate, operations

    from ..helpers import on_duty, travel_to_midday

    monkeypatch.setattr(estimate, "MAX_REPLAY", 4)
    travel_to_midday(app)
    on_duty(app)
    for _ in range(6):
        operations.issue_ticket("PERIZINAN")
        db.session.commit()
    state, _ = estimate.recent_state(today())
    shared = estimate._shared_replay(state)
    for _ in range(3):
        ticket, _ = operations.issue_ticket("PERIZINAN")
        db.session.commit()
        assert estimate.recent_state(today())[0].replayed is shared  # the same replay, not a new one
        estimate.forget_forecast()  # what a process reading the line afresh estimates for that place
        fresh = estimate.forecast_new(today(), ticket.service_id)(ticket.ahead_at_issue)
        assert ticket.estimated_wait_seconds == pytest.approx(fresh, abs=1)
        assert ticket.estimated_wait_seconds > 0
        shared = estimate._shared_replay(estimate.recent_state(today())[0])
    operations.issue_ticket("PERIZINAN", priority=True)
    db.session.commit()
    assert estimate.recent_state(today())[0].replayed is None


def test_phones_views_of_one_second_share_one_read_and_one_replay(app, ctx, monkeypatch):
    """After a restart or a lost message every phone asks for its view at once: within a second they share
    one read of the line and one replay, and each estimate is what a fresh read gives. This process's own
    call drops the shared state at once."""
    import sqlalchemy as sa

    from queue_app.core.extensions import db
    from queue_app.core.site import today
    from queue_app.queue import estimate, operations
    from queue_app.queue.models import Ticket, TicketState
    from queue_app.queue.read_models import ticket_public

    from ..helpers import on_duty, travel_to_midday

    travel_to_midday(app)
    on_duty(app)
    for n in range(12):
        operations.issue_ticket("PERIZINAN" if n % 3 else "NONIZIN")
        db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    estimate.forget_forecast()
    loads, replays = [], []
    real_load, real_replay = estimate.load_state, estimate.replay
    monkeypatch.setattr(estimate, "load_state", lambda day: loads.append(day) or real_load(day))
    monkeypatch.setattr(estimate, "replay", lambda *a, **k: replays.append(1) or real_replay(*a, **k))
    waiting = db.session.scalars(sa.select(Ticket).where(Ticket.status == TicketState.waiting)
                                 .order_by(Ticket.id)).all()
    views = {t.id: ticket_public(t) for t in waiting}
    assert len(views) == 11 and len(loads) == 1 and len(replays) == 1
    fresh = estimate.forecast(today())[1]
    for t in waiting:
        assert views[t.id]["estimated_wait_seconds"] == pytest.approx(
            fresh.of(t.id, t.service_id, views[t.id]["ahead"]), abs=1), t.number
    operations.call_next("L02", actor=None)
    db.session.commit()
    loads.clear()
    ticket_public(waiting[-1])
    assert len(loads) == 1  # the call in this process dropped the shared state: read again
