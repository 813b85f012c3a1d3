"""A queue's moves, for phones that count their own place (issue 15: fan-out that does not grow with phones).

After a call, every waiting visitor's place changes. Sending each open phone its own ``ticket`` view costs
a view and a message per phone; instead each service's room on ``/ticket`` gets one ``queue_moved``
message: the keys of the tickets that left the line or joined it (anywhere but at its end) and the
estimate by place. A phone knows its own key (:func:`queue_key`), so it counts how many of those were
before it.

Exactness: each move bumps the service's :class:`~queue_app.queue.models.QueueVersion` in the move's own
transaction; a view carries the version it was read with (:func:`place`, one statement, so the count and
the version come from one snapshot). A phone applies the message whose version is one more than its own,
ignores older ones (its view has them) and re-reads its view when it sees a gap (a lost message, or two
server processes' messages crossing). A walk-in joining at the end moves nobody and bumps nothing.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from queue_app.core.database import upsert_increment
from queue_app.core.extensions import db
from queue_app.core.outbox import pending
from queue_app.queue.estimate import ahead_statement
from queue_app.queue.models import QueueVersion, Ticket


def _micros(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1_000_000)


def queue_key(ticket: Ticket) -> list[int]:
    """``[priority, queue time in µs, id]``: a waiting ticket is called before every ticket whose key
    comes after its own (priority 1 first, then the smaller time, then the smaller id)."""
    return [1 if ticket.priority else 0, _micros(ticket.queue_at), ticket.id]


def moved(ticket: Ticket, *, joined: bool) -> None:
    """Record that ``ticket`` left (``joined=False``) or joined its service's waiting line in this transaction.

    The first move of a service in a transaction bumps its version; the message sent after commit
    carries every move of the transaction under that one version.
    """
    entry = will_move(ticket.service_id, ticket.service_day)
    entry["joined" if joined else "left"].append(queue_key(ticket))


def will_move(service_id: int, day: date) -> dict[str, Any]:
    """Bump a line's version for this transaction's moves now (once per transaction), before :func:`moved`.

    For a writer that would otherwise lock the version's row after others: the version's row must be taken
    before the line's count (``queue_counts``), as a clerk's call takes them, or on PostgreSQL a priority
    ticket being issued (which takes its count with its number) and a call could each wait for the other's row.
    """
    moves = pending().moves
    entry = moves.get(service_id)
    if entry is None:
        version = upsert_increment(QueueVersion.__table__, {"service_id": service_id, "service_day": day}, "version")
        entry = moves[service_id] = {"version": version, "left": [], "joined": []}
    return entry


def version_column(service_id: Any, day: Any) -> sa.ScalarSelect:
    """The version of a service's line of a day as a scalar subquery (0 before its first move)."""
    return sa.select(sa.func.coalesce(sa.func.max(QueueVersion.version), 0)).where(
        QueueVersion.service_id == service_id, QueueVersion.service_day == day).scalar_subquery()


@functools.cache
def _with_version(ahead: sa.Select) -> sa.Select:
    """Built once per count: every phone that opens its page asks, and building costs more than the answer."""
    return sa.select(ahead.scalar_subquery(), version_column(sa.bindparam("sid"), sa.bindparam("day")))


def place(ticket: Ticket) -> tuple[int, dict[str, Any]]:
    """A waiting ticket's people ahead and ``{"key", "version"}``, read in one statement (one snapshot):
    a move committed in between is either in both or in neither."""
    stmt, params = ahead_statement(ticket)
    ahead, version = db.session.execute(_with_version(stmt), params).one()
    return int(ahead), {"key": queue_key(ticket), "version": int(version)}
