"""The sender: a background loop of each server process that hands queued messages to the provider.

Its state is the database, so several processes share the work and a restart loses nothing:

1. **claim**, in a short write transaction: the due queued messages (``next_attempt_at <= now``), ``FOR UPDATE
   SKIP LOCKED`` on PostgreSQL (two processes never claim one message; SQLite's single writer gives the same),
   each claimed by moving its ``next_attempt_at`` a lease ahead and counting the attempt. Committed at once:
   nothing is held while the provider answers, and a queue action never waits for a provider;
2. **send**, outside any transaction, several at once (``[notify] concurrency``), each bounded by the
   provider's timeout;
3. **record** the answer: ``sent`` (the provider's id kept for its webhooks), ``failed`` on a 4xx (not
   retried), or for a 5xx, 429, timeout or refused connection a retry after a growing wait
   (:data:`RETRY_WAITS`, about two hours in all) and ``failed`` after the last one.

A process that dies between the provider's answer and step 3 leaves the message claimed: the lease ends and
another round sends it again (at most twice). A commit that wrote a message wakes this process's loop at once;
otherwise it looks every :data:`POLL_SECONDS` (retries that came due, another process's messages).
``MPP_QUEUE_NOTIFY_TIME_SCALE`` (tests, benchmarks only) multiplies every wait.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from queue_app.core import clock, hooks
from queue_app.core.database import begin_write, is_postgres
from queue_app.core.extensions import db
from queue_app.core.site import current_site
from queue_app.metrics import count_notify_message

from .models import Message, MessageState
from .providers import Outcome, Outgoing, provider_for
from .record import WRITTEN

logger = logging.getLogger(__name__)

#: seconds between a failed attempt and the next (then ``failed``): 1 h 54 min of retries in all
RETRY_WAITS = (10, 30, 60, 120, 300, 600, 900, 1200, 1800, 1800)
#: a claimed message is not claimed again for this long beyond the provider's timeout (its sender may be
#: waiting for the answer); a process that died holding it frees it when the lease ends
LEASE_EXTRA_SECONDS = 30
POLL_SECONDS = 2.0
#: messages claimed per round
BATCH = 50
#: messages being sent at once by one process
CONCURRENCY = 20


def time_scale() -> float:
    try:
        return max(0.0001, float(os.environ.get("MPP_QUEUE_NOTIFY_TIME_SCALE", "1") or 1))
    except ValueError:
        return 1.0


def retry_wait(attempts: int) -> float | None:
    """Seconds to wait after the ``attempts``-th failed attempt, or None: give up."""
    if attempts > len(RETRY_WAITS):
        return None
    return RETRY_WAITS[attempts - 1] * time_scale()


def claim(limit: int = BATCH, *, commit: bool = True) -> list[Outgoing]:
    """Claim the due messages (committed unless ``commit=False``: the caller's transaction, begun for writing).
    :return: what to send."""
    conf = current_site().notify
    begin_write()
    now = clock.utcnow()
    stmt = (sa.select(Message).where(Message.status == MessageState.queued, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.id).limit(limit))
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=True)
    rows = db.session.scalars(stmt).all() if limit > 0 else []
    lease = now + timedelta(seconds=(conf.timeout_seconds + LEASE_EXTRA_SECONDS) * time_scale())
    out = []
    for m in rows:
        m.attempts += 1
        m.next_attempt_at = lease
        if m.to:
            out.append(Outgoing(m.id, m.kind.value, m.to, m.lang, tuple(m.params or ())))
        else:  # the number was withdrawn or erased meanwhile
            m.status = MessageState.failed
            m.last_error = "no number (withdrawn or erased)"
    if commit:
        db.session.commit()
    return out


def record(message: Outgoing, outcome: Outcome, *, commit: bool = True) -> None:
    """Write the provider's answer (committed unless ``commit=False``). A message no longer queued (withdrawn
    meanwhile) keeps its state."""
    begin_write()
    m = db.session.get(Message, message.id)
    if m is None or m.status is not MessageState.queued:
        if commit:
            db.session.rollback()
        return
    now = clock.utcnow()
    if outcome.result == "sent":
        m.status = MessageState.sent
        m.sent_at = now
        m.provider_id = outcome.provider_id
        m.last_error = ""
    else:
        wait = retry_wait(m.attempts) if outcome.result == "retry" else None
        m.last_error = outcome.error[:300]
        if wait is None:
            m.status = MessageState.failed
        else:
            m.next_attempt_at = now + timedelta(seconds=wait)
    if m.status is not MessageState.queued:
        count_notify_message(m.kind.value, m.status.value, session=db.session())
    if commit:
        db.session.commit()


def send(message: Outgoing) -> Outcome:
    """One message to the site's provider (no database: outside any transaction). Never raises."""
    try:
        provider = provider_for(current_site().notify)
        return provider.send(message) if provider else Outcome("retry", error="notices are off")
    except Exception as exc:  # a bug, not the provider: retried like an outage, and logged
        logger.exception("sending message %s failed", message.id)
        return Outcome("retry", error=f"{type(exc).__name__}: {exc}"[:300])


#: a round waits this long after its first reason to run, so the answers and webhooks that arrive together
#: are written in one transaction: on SQLite each commit is an fsync that holds the whole process (gevent)
GATHER_SECONDS = 0.2


class Sender:
    """This process's sending loop (started with the server: queue_app.ops.server).

    Each round is ONE write transaction: the provider's answers that came in since the last round, the
    webhooks' statuses, and the claim of what the pool has room for. So the sender's writes do not grow with
    the messages' rate (a commit per message would be an fsync per message on SQLite, each one a pause of the
    whole process). An answer kept in memory and lost with the process leaves its message claimed: its lease
    ends and it is sent again (at most twice, as the contract allows).
    """

    def __init__(self, app: Flask) -> None:
        import gevent.event
        import gevent.pool

        self.app = app
        self.wake = gevent.event.Event()
        self.pool = gevent.pool.Pool(CONCURRENCY)
        self.answers: list[tuple[Outgoing, Outcome]] = []
        self.statuses: list[dict[str, Any]] = []

    def run(self) -> None:
        import gevent

        while True:
            self.wake.wait(POLL_SECONDS * min(1.0, time_scale() * 10))
            gevent.sleep(GATHER_SECONDS * min(1.0, time_scale() * 10))
            self.wake.clear()
            try:
                self.round()
            except Exception:
                logger.exception("the notices' sender failed a round")

    def add_statuses(self, statuses: list[dict[str, Any]]) -> None:
        """A webhook's statuses, written with the next round."""
        self.statuses += statuses
        self.wake.set()

    def round(self) -> None:
        """Write the answers and statuses, claim what the pool has room for, in one transaction; send."""
        from .operations import apply_status_list

        answers, self.answers = self.answers, []
        statuses, self.statuses = self.statuses, []
        room = self.pool.free_count()
        with self.app.app_context():
            try:
                for message, outcome in answers:
                    record(message, outcome, commit=False)
                if statuses:
                    apply_status_list(statuses)
                batch = claim(min(BATCH, room), commit=False)
                db.session.commit()
            except Exception:
                db.session.rollback()
                self.statuses = statuses + self.statuses  # tried again next round; answers: by the lease
                raise
            finally:
                db.session.remove()
        for message in batch:
            self.pool.spawn(self.send_one, message)
        if batch and len(batch) == room:
            self.wake.set()  # more may be due: the next round as soon as the pool has room

    def send_one(self, message: Outgoing) -> None:
        with self.app.app_context():
            outcome = send(message)
        self.answers.append((message, outcome))
        self.wake.set()


def start(app: Flask) -> Sender | None:
    """Start the sender of this process (when notices are on); the commits that write a message wake it."""
    import gevent

    if not app.extensions["site"].notify.provider:
        return None
    sender = Sender(app)
    app.extensions["notify_sender"] = sender
    gevent.spawn(sender.run)
    return sender


@hooks.listens_for(Session, "after_commit",
                   why="wakes this process's notices' sender when a committed transaction wrote a message")
def _after_commit(session: Session) -> None:
    if session.info.pop(WRITTEN, None):
        from flask import current_app

        sender = current_app.extensions.get("notify_sender") if current_app else None
        if sender is not None:
            sender.wake.set()


@hooks.listens_for(Session, "after_rollback", why="forgets that a rolled-back transaction wrote a message")
def _after_rollback(session: Session) -> None:
    session.info.pop(WRITTEN, None)


def health() -> dict[str, Any]:
    """The provider's health for the dashboard: messages queued, failed in the last hour, the last success and
    the last error (with its time)."""
    from queue_app.core.site import iso

    now = clock.utcnow()
    queued = db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                               .where(Message.status == MessageState.queued)) or 0
    failed = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.status == MessageState.failed, Message.created_at >= now - timedelta(hours=1))) or 0
    last_sent = db.session.scalar(sa.select(sa.func.max(Message.sent_at)))
    last_error = db.session.execute(
        sa.select(Message.last_error, Message.next_attempt_at).where(Message.last_error != "")
        .order_by(Message.id.desc()).limit(1)).first()
    return {
        "provider": current_site().notify.provider or None,
        "queued": int(queued),
        "failed_last_hour": int(failed),
        "last_sent_at": iso(last_sent),
        "last_error": last_error.last_error if last_error else None,
    }
