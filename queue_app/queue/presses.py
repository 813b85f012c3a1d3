"""Kiosk presses of one service that arrive together are issued in one write transaction (a group commit).

Ten kiosks pressing at once cost ten transactions, each with its own ``BEGIN``, catalogue check and commit:
on SQLite an fsync each, on PostgreSQL round trips with the service's day-number row locked, while the
next kiosk of the service waited for that row. Now a press queues on its service's line in this process;
the first one in leads: it lets the presses that arrived with it join, issues them all in one transaction,
commits once, hands each its ticket and passes the lead to the next press waiting. A press alone is issued
as before, in one transaction of its own. Figures: docs/performance.md ("Presses issued together").

What stays as it was, press by press:

- each is checked as before, in the issuing transaction (its kiosk's key, then its rate limit), and
  answered with its own ticket only after the commit that holds it;
- a press the queue refuses (service closed, quota reached, unknown service...) gets that error; its batch
  is rolled back and the others are issued again, together, in their order. When the database fails
  (unreachable, cut, locked too long) every press of the batch gets that failure (503), as each would
  have alone; so does a failed commit, whose outcome is unknown (the kiosk's retry, with its
  Idempotency-Key, finds its ticket if it was written). Any other failure before the commit (an
  Idempotency-Key raced in from another process) sends every press alone, to meet it as it would have;
- only ordinary presses join (:attr:`queue_app.staff.takers.Taker.joins`): a priority ticket moves others
  back and takes its line's version row first (``moves.will_move``); staff and booking check-ins go alone;
- on PostgreSQL a batch locks the rows one ticket of its service locks (the day's number and the line's
  count), so it adds no lock order between processes; other services' presses form their own batches.

The leader works in its own request's session and app context; the others wait without touching the
database, so nothing here depends on how a greenlet or thread is scheduled beyond one ``sleep(0)``.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from queue_app.core.database import begin_write
from queue_app.core.errors import QueueError
from queue_app.core.extensions import db
from queue_app.queue import operations
from queue_app.queue.models import Ticket

logger = logging.getLogger(__name__)

#: at most this many presses in one transaction: a batch holds SQLite's write lock (and on PostgreSQL the
#: service's number row) for all of them, so a clerk's call never waits behind more than this
MAX_TOGETHER = 16


class Outcome(enum.Enum):
    waiting = "waiting"
    issued = "issued"  #: ``ticket`` (detached: merge it into the caller's session), ``created``, ``body``
    refused = "refused"  #: ``error`` is its answer: the queue's refusal, or the database's failure
    alone = "alone"  #: not issued: issue it alone, as if this module did not exist (``proven`` says if its taker was)


@dataclass(eq=False)
class Press:
    """One press waiting for its ticket, and, once its batch is done, its outcome."""

    service: str
    kiosk: str | None
    idempotency_key: str | None
    prove: Callable[[], Any]  #: checks who is asking, in the issuing transaction; raises its refusal
    describe: Callable[[Ticket, bool], dict]  #: the answer's body, built before the commit expires the ticket
    outcome: Outcome = Outcome.waiting
    ticket: Ticket | None = None
    created: bool = False
    body: dict | None = None
    error: Exception | None = None
    proven: bool = False
    leads: bool = False
    woken: threading.Event = field(default_factory=threading.Event, repr=False)


class _Line:
    """The presses of one service (in one process, on one database) waiting for their batch."""

    def __init__(self) -> None:
        self.waiting: deque[Press] = deque()
        self.leader: Press | None = None


_lines: dict[tuple[int, str], _Line] = {}
_guard = threading.Lock()


def issue_together(press: Press) -> Press:
    """Issue ``press`` with the presses of its service waiting with it (see the module's docstring).

    :return: ``press``, its :attr:`Press.outcome` set: issued, refused, or alone (the caller issues it alone).
    """
    line = _join(press)
    try:
        if not press.leads:
            press.woken.wait()  # until a leader has issued it, or made it the next leader
            if not press.leads:
                return press
        time.sleep(0)  # under gevent: presses read from their sockets in this turn of the loop join the batch
        with _guard:
            batch = [line.waiting.popleft() for _ in range(min(len(line.waiting), MAX_TOGETHER))]
    except BaseException:  # its request was ended while it waited (a greenlet killed): nobody must wait for it
        _leave(line, press)
        raise
    try:
        _issue(batch)
    finally:
        _hand_on(line, batch)
    return press


def _join(press: Press) -> _Line:
    with _guard:
        line = _lines.setdefault((id(db.engine), press.service), _Line())
        line.waiting.append(press)
        if line.leader is None:
            line.leader, press.leads = press, True
    return line


def _leave(line: _Line, press: Press) -> None:
    """Take a press that will not lead out of its line; if it was made the leader, pass the lead on."""
    with _guard:
        if press in line.waiting:
            line.waiting.remove(press)
        if line.leader is not press:
            return
    _hand_on(line, [])


def _hand_on(line: _Line, batch: list[Press]) -> None:
    """Make the first press still waiting the next leader, and wake the batch's presses with their outcome."""
    with _guard:
        if line.waiting:
            line.leader = line.waiting[0]
            line.leader.leads = True
            line.leader.woken.set()
        else:
            line.leader = None
    for press in batch:
        if press.outcome is Outcome.waiting:  # a failure nobody expected: each meets it alone
            press.outcome = Outcome.alone
        press.woken.set()


def _issue(batch: list[Press]) -> None:
    """Issue ``batch`` in one transaction. A press the queue refuses leaves it: the rest are issued again,
    together, in a new transaction (in their order, so a refusal cannot let a later press overtake)."""
    session = db.session()
    going: list[Press] = []
    try:
        begin_write()
        for press in batch:
            try:
                press.prove()
            except QueueError as refusal:  # nothing of it is written yet: the others go on
                press.outcome, press.error = Outcome.refused, refusal
            else:
                press.proven = True
                going.append(press)
        while (refused := _issue_each(going)) is not None:
            session.rollback()
            going.remove(refused)
            begin_write()
        for press in going:  # kept loaded past the commit, for its own request's session (printing)
            if press.ticket in session:
                session.expunge(press.ticket)
    except (sa.exc.IntegrityError, sa.exc.DBAPIError) as exc:
        session.rollback()
        if isinstance(exc, sa.exc.IntegrityError):  # an Idempotency-Key raced in: each retries alone, as below
            return
        _fail(batch, exc)  # the database is unavailable: each press answers so (503), as alone it would
        return
    except Exception:
        logger.warning("%d presses issued together failed; each is issued alone", len(going), exc_info=True)
        session.rollback()
        return
    try:
        session.commit()
    except Exception as exc:  # whether it was written is unknown: a retry could issue it twice; its kiosk retries
        session.rollback()  # with its Idempotency-Key instead, which finds it if it was
        _fail(going, exc)
        return
    for press in going:
        press.outcome = Outcome.issued
    if len(going) > 1:
        logger.debug("%d presses for %s issued in one transaction", len(going), going[0].service)


def _fail(presses: list[Press], error: Exception) -> None:
    """Answer each press not yet answered with ``error``."""
    for press in presses:
        if press.outcome is Outcome.waiting:
            press.outcome, press.error = Outcome.refused, error


def _issue_each(going: list[Press]) -> Press | None:
    """Issue each press in the current transaction; the first the queue refuses, or None."""
    for press in going:
        try:
            ticket, created = operations.issue_ticket(press.service, kiosk=press.kiosk,
                                                      idempotency_key=press.idempotency_key)
        except QueueError as refusal:
            press.outcome, press.error = Outcome.refused, refusal
            return press
        press.ticket, press.created, press.body = ticket, created, press.describe(ticket, created)
    return None
