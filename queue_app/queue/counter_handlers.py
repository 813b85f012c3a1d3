"""Counter actions: thin handlers over the engine's verbs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify
from flask_login import current_user

from queue_app.api import bp
from queue_app.api.declare import documented, parse_body
from queue_app.api.parsing import IDEMPOTENCY_KEY, idempotency_key
from queue_app.core.extensions import db
from queue_app.core.lookups import counters_with_current, get_counter
from queue_app.queue import operations, presence, routes
from queue_app.queue.idempotency import remember_key, replay_key
from queue_app.queue.panel import panel_view
from queue_app.queue.read_models import counter_to_dict, ticket_to_dict
from queue_app.queue.shapes import (
    CallBody,
    CallNextBody,
    Counter,
    CounterAction,
    FinishBody,
    PanelView,
    TransferBody,
)
from queue_app.staff.auth import require_counter, scoped_agency, staff_required
from queue_app.staff.models import Role

ACTION_ERRORS = (400, 401, 403, 404, 409, 413, 422)
KEY_HEADER = {"Idempotency-Key": (IDEMPOTENCY_KEY, False, "a repeat answers the first result without acting again")}


def action(summary: str, **kwargs: Any) -> Callable[[Callable], Callable]:
    """``@documented`` for a counter action: they share their answer, errors and the Idempotency-Key header."""
    return documented(summary, tags="counters", staff=True, responses={200: CounterAction}, errors=ACTION_ERRORS,
                      headers=KEY_HEADER, **kwargs)


@bp.get("/counters")
@documented("Every counter with its state and current ticket", tags="counters", staff=True,
            responses={200: list[Counter]}, errors=(401,))
@staff_required()
def list_counters():
    """Every counter with its state and current ticket, scoped like the dashboard: a manager of one
    agency sees the counters that serve its services (``?agency=CODE`` narrows for anyone allowed)."""
    agency_id = scoped_agency()
    counters = counters_with_current()
    if agency_id is not None:
        counters = [c for c in counters if any(link.service.agency_id == agency_id for link in c.service_links)]
    staffed = presence.staffed_ids()
    return jsonify([counter_to_dict(c, staffed) for c in counters])


def _counter_action(code: str, action: str, run, describe=None) -> Response:  # noqa: ANN001
    """Authorize, replay a repeated Idempotency-Key, run the verb, commit, answer the current ticket.

    The counter row is locked before the key is looked up, so a double click that reaches two
    processes at once is answered twice with the first result instead of acting twice.

    :param describe: adds to the answer from what ``run`` returned (before commit).
    """
    key = idempotency_key()
    operations.begin_write()
    counter = get_counter(code, lock=True)
    require_counter(counter)
    scope = f"counter:{code}"
    if key:
        seen, _ = replay_key(scope, key, action=action)
        if seen:
            body = {"ticket": ticket_to_dict(counter.current_ticket), "replayed": True}
            db.session.rollback()
            return jsonify(body)
    result = run(current_user._get_current_object())
    if key:
        remember_key(scope, key, action=action, ticket=counter.current_ticket)
    body = {"ticket": ticket_to_dict(counter.current_ticket), **(describe(result) if describe else {})}
    db.session.commit()
    return jsonify(body)


@bp.post("/counters/<code>/call-next")
@action("Call the next waiting ticket (null when nobody waits)", body=CallNextBody, body_required=False)
@staff_required(Role.clerk, Role.admin)
def call_next(code: str):
    """Call the next waiting ticket to this counter."""
    finish_current = bool(parse_body(CallNextBody, required=False).finish_current)
    return _counter_action(code, "call_next",
                           lambda user: operations.call_next(code, actor=user, finish_current=finish_current))


@bp.post("/counters/<code>/call")
@action("Call a given waiting number out of order", body=CallBody)
@staff_required(Role.clerk, Role.admin)
def call_number(code: str):
    """Call a given waiting number out of order."""
    number = parse_body(CallBody).number
    return _counter_action(code, "call", lambda user: operations.call_number(code, number, actor=user))


@bp.post("/counters/<code>/recall")
@action("Announce the current ticket again")
@staff_required(Role.clerk, Role.admin)
def recall(code: str):
    """Announce the current ticket again."""
    return _counter_action(code, "recall", lambda user: operations.recall(code, actor=user))


@bp.post("/counters/<code>/start")
@action("The visitor arrived: serving")
@staff_required(Role.clerk, Role.admin)
def start(code: str):
    """The visitor arrived: status ``serving``."""
    return _counter_action(code, "start", lambda user: operations.start_serving(code, actor=user))


@bp.post("/counters/<code>/finish")
@action("Done; a step of a visit with a route goes on to its next step", body=FinishBody, body_required=False)
@staff_required(Role.clerk, Role.admin)
def finish(code: str):
    """Status ``done``; a step that is not the last of its visit's route waits at the next step instead
    (``next_step`` says where). ``{"end_visit": true}`` ends the whole visit here; ``{"next": CODE}`` goes on
    to that step of the route."""
    body = parse_body(FinishBody, required=False)

    def describe(ticket) -> dict:  # noqa: ANN001
        moved = routes.moved_note(ticket)
        return {"next_step": moved} if moved else {}

    return _counter_action(code, "finish", lambda user: operations.finish(
        code, actor=user, end_visit=bool(body.end_visit), to=body.next), describe)


@bp.post("/counters/<code>/no-show")
@action("The visitor did not come")
@staff_required(Role.clerk, Role.admin)
def no_show(code: str):
    """Status ``no_show``."""
    return _counter_action(code, "no_show", lambda user: operations.no_show(code, actor=user))


@bp.post("/counters/<code>/transfer")
@action("Send the current ticket to another service's queue", body=TransferBody)
@staff_required(Role.clerk, Role.admin)
def transfer(code: str):
    """Send the current ticket to another service's queue."""
    service = parse_body(TransferBody).service
    return _counter_action(code, "transfer", lambda user: operations.transfer(code, service, actor=user))


@bp.post("/counters/<code>/pause")
@action("Stop taking calls")
@staff_required(Role.clerk, Role.admin)
def pause(code: str):
    """Stop taking calls."""
    return _counter_action(code, "pause", lambda user: operations.pause(code, actor=user))


@bp.post("/counters/<code>/resume")
@action("Take calls again")
@staff_required(Role.clerk, Role.admin)
def resume(code: str):
    """Take calls again."""
    return _counter_action(code, "resume", lambda user: operations.resume(code, actor=user))


@bp.get("/counters/<code>/queue")
@documented("What a clerk panel shows: waiting list, own tally, counter state", tags="counters", staff=True,
            responses={200: PanelView}, errors=(401, 403, 404))
@staff_required(Role.clerk, Role.admin)
def counter_queue(code: str):
    """What the panel of one counter shows; only for users who may act for that counter."""
    counter = get_counter(code)
    require_counter(counter)
    return jsonify(panel_view(counter, current_user._get_current_object()))
