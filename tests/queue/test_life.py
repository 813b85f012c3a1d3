"""A ticket's life in one place: every event kind has its declared effects, and every verb applies them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.core.outbox import pending
from queue_app.queue import life, operations, rollover, signals
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState
from queue_app.queue.transitions import TRANSITIONS

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_kind_has_declared_effects():
    assert set(life.EFFECTS) == set(EventKind), "add the new kind's effects to queue_app.queue.life.EFFECTS"


def test_every_declared_move_is_one_the_state_machine_allows_from_somewhere():
    for kind, fx in life.EFFECTS.items():
        if fx.to is not None:
            assert any(fx.to in allowed for allowed in TRANSITIONS.values()), kind


def test_every_ticket_signal_is_sent_by_some_kind():
    declared = {v for k, v in vars(signals).items() if k.startswith("ticket_")}
    assert declared == {fx.signal for fx in life.EFFECTS.values()}


def test_only_life_writes_a_tickets_log_and_moves_its_state():
    """Nothing outside queue_app/queue/{life,transitions}.py logs an event or moves a ticket's state."""
    offenders = []
    for path in (ROOT / "queue_app").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ("queue_app/queue/life.py", "queue_app/queue/transitions.py") or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("log_event", "write_issued", "move", "TicketEvent"):
                    offenders.append(f"{rel}:{node.lineno} {name}()")
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "status" and \
                            isinstance(target.value, ast.Name) and target.value.id == "ticket":
                        offenders.append(f"{rel}:{node.lineno} ticket.status =")
    assert not offenders, offenders


@pytest.fixture
def heard():
    """Every ticket signal sent from now on, as ``(signal name, number, kind)``."""
    got: list[tuple[str, str, str]] = []
    receivers = []
    for name, sig in vars(signals).items():
        if name.startswith("ticket_"):
            def receiver(ticket, *, kind, counter, actor, at, details, _name=name):  # noqa: ANN001
                got.append((_name, ticket.number, kind.value))
            receivers.append((sig, receiver))
            sig.connect(receiver)
    yield got
    for sig, receiver in receivers:
        sig.disconnect(receiver)


def _kinds(ticket: Ticket) -> list[str]:
    return [e.kind.value for e in db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]


def test_each_verb_logs_once_and_sends_its_signal_once(ctx, heard):
    ticket, _ = operations.issue_ticket("PERIZINAN")
    db.session.commit()
    operations.call_next("L01", actor=None)
    operations.recall("L01", actor=None)
    operations.start_serving("L01", actor=None)
    operations.transfer("L01", "NONIZIN", actor=None)
    db.session.commit()
    operations.call_next("L01", actor=None)
    operations.finish("L01", actor=None)
    db.session.commit()
    assert _kinds(ticket) == ["issued", "called", "recalled", "started", "transferred", "called", "finished"]
    assert heard == [("ticket_issued", "A-001", "issued"), ("ticket_called", "A-001", "called"),
                     ("ticket_called", "A-001", "recalled"), ("ticket_started", "A-001", "started"),
                     ("ticket_moved", "A-001", "transferred"), ("ticket_called", "A-001", "called"),
                     ("ticket_finished", "A-001", "finished")]


def test_a_transfer_is_logged_under_the_service_it_left_and_refreshes_both(ctx):
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    operations.call_next("L01", actor=None)
    db.session.commit()
    ticket = operations.transfer("L01", "NONIZIN", actor=None)
    touched = set(pending().services)
    moves = dict(pending().moves)
    db.session.commit()
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.transferred)).one()
    assert event.service_id == ticket.issued_service_id != ticket.service_id
    assert touched == {ticket.issued_service_id, ticket.service_id}
    assert list(moves) == [ticket.service_id] and moves[ticket.service_id]["joined"]


def test_a_call_announces_with_the_zones_next_seq_and_moves_the_line(ctx):
    operations.issue_ticket("PERIZINAN")
    operations.issue_ticket("PERIZINAN")
    db.session.commit()
    operations.call_next("L01", actor=None)
    emits = [(kind, payload["seq"], payload["number"]) for kind, payload, ns, _ in pending().emits
             if ns == "/display"]
    left = pending().moves
    db.session.commit()
    assert emits == [("called", 1, "A-001")]
    assert [len(m["left"]) for m in left.values()] == [1]


def test_the_days_end_cancels_through_the_same_seam(ctx, heard):
    from datetime import timedelta

    from queue_app.core import clock

    ticket, _ = operations.issue_ticket("PERIZINAN")
    db.session.commit()
    clock.travel(timedelta(days=1))
    assert rollover.close_stale_tickets() == 1
    db.session.commit()
    assert db.session.get(Ticket, ticket.id).status is TicketState.cancelled
    assert heard[-1] == ("ticket_cancelled", "A-001", "cancelled")
