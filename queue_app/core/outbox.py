"""The outbox: what a transaction records for the screens, handed on only after it commits.

Displays and phones must never show a call that was rolled back, so the queue verbs do not emit
anything themselves: they record events on the session, and an ``after_commit`` hook sends the
:data:`~queue_app.core.signals.committed` signal with them (the live package publishes them).
``after_rollback`` throws them away. Not to be confused with ``TicketEvent``, the ticket's log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from queue_app.core import events, hooks, signals
from queue_app.core.extensions import db

_KEY = "hub_pending"


#: every namespace whose sockets authenticate: the access a socket connected with ended (see :func:`end_access`);
#: the client gets this event and the server then disconnects it (queue_app.live.revoke)
access_ended = events.declare("access_ended", "*", payload=dict[str, str],
                              summary='`{"room": "user:7"}`: the access this socket connected with ended (user '
                                      "disabled, password changed, signed out, token revoked, a new device key); "
                                      "the server disconnects the socket right after.")


@dataclass
class Pending:
    """What to publish once the transaction commits."""

    emits: list[tuple[str, dict[str, Any], str, str | None]] = field(default_factory=list)
    #: queues whose order moved: every waiting ticket's view (people ahead, estimate) is recomputed
    services: set[int] = field(default_factory=set)
    #: queues that only grew at the end: staff counts change, nobody's place does
    queues: set[int] = field(default_factory=set)
    tickets: set[int] = field(default_factory=set)
    counters: set[int] = field(default_factory=set)
    print_jobs: set[int] = field(default_factory=set)
    #: queues whose waiting line moved, per service id: its new version and the keys of the tickets that
    #: left or joined it (queue_app.queue.moves); phones count their own place from these
    moves: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: set by the publisher once the ``queue_moved`` messages went out (with the transaction's own events)
    moves_sent: bool = False

    def __bool__(self) -> bool:
        return bool(self.emits or self.services or self.queues or self.tickets or self.counters or self.print_jobs
                    or self.moves)


def pending() -> Pending:
    """What the current transaction will publish when it commits."""
    return _pending()


def _pending(session: Session | None = None) -> Pending:
    info = (session or db.session).info
    if _KEY not in info:
        info[_KEY] = Pending()
    return info[_KEY]


def record(kind: str, payload: dict[str, Any], *, namespace: str, to: str | None = None) -> None:
    """Emit ``kind`` with a ready payload to a namespace/room after commit."""
    _pending().emits.append((kind, payload, namespace, to))


def touch(*, services: set[int] | None = None, queues: set[int] | None = None, tickets: set[int] | None = None,
          counters: set[int] | None = None, print_jobs: set[int] | None = None) -> None:
    """Mark things whose views changed; the hub recomputes and pushes them after commit."""
    p = _pending()
    p.services |= services or set()
    p.queues |= queues or set()
    p.tickets |= tickets or set()
    p.counters |= counters or set()
    p.print_jobs |= print_jobs or set()


def end_access(room: str) -> None:
    """After commit, disconnect every socket in ``room`` (``user:<id>``, ``session:<tag>``, ``token:<id>``,
    ``device:<kind>:<code>``), in every server process: a signed-out clerk's panel, a rotated kiosk."""
    for namespace in events.access_namespaces():
        record(access_ended, {"room": room}, namespace=namespace, to=room)


def end_access_now(room: str) -> None:
    """:func:`end_access` for a change that writes nothing (signing out): sent at once."""
    from queue_app.core.extensions import socketio

    for namespace in events.access_namespaces():
        socketio.emit(access_ended, {"room": room}, namespace=namespace, to=room)


@hooks.listens_for(Session, "after_commit",
                   why="hands a committed transaction's outbox to the committed signal (screens, print jobs): nothing is shown before it is on disk")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if pending:
        # the live package publishes, the printing package hands out print jobs: both listen
        signals.committed.send(current_app._get_current_object(), pending=pending)  # type: ignore[attr-defined]


@hooks.listens_for(Session, "after_rollback",
                   why="throws a rolled-back transaction's outbox away")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
