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


def claim(limit: int = BATCH) -> list[Outgoing]:
    """Claim the due messages (committed). :return: what to send."""
    conf = current_site().notify
    begin_write()
    now = clock.utcnow()
    stmt = (sa.select(Message).where(Message.status == MessageState.queued, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.id).limit(limit))
    if is_postgres():
        stmt = stmt.with_for_update(skip_locked=True)
    rows = db.session.scalars(stmt).all()
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
    db.session.commit()
    return out


def record(message: Outgoing, outcome: Outcome) -> None:
    """Write the provider's answer (committed). A message no longer queued (withdrawn meanwhile) keeps its state."""
    begin_write()
    m = db.session.get(Message, message.id)
    if m is None or m.status is not MessageState.queued:
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
    db.session.commit()


def send_one(app: Flask, message: Outgoing) -> None:
    with app.app_context():
        try:
            provider = provider_for(current_site().notify)
            outcome = provider.send(message) if provider else Outcome("retry", error="notices are off")
            record(message, outcome)
        except Exception:  # the lease ends and another round retries it
            db.session.rollback()
            logger.exception("sending message %s failed", message.id)
        finally:
            db.session.remove()


class Sender:
    """This process's sending loop (started with the server: queue_app.ops.server)."""

    def __init__(self, app: Flask) -> None:
        import gevent.event
        import gevent.pool

        self.app = app
        self.wake = gevent.event.Event()
        self.pool = gevent.pool.Pool(CONCURRENCY)

    def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                self.round()
            except Exception:
                logger.exception("the notices' sender failed a round")
            self.wake.wait(POLL_SECONDS * min(1.0, time_scale() * 10))

    def round(self) -> None:
        """Claim what the pool has room for and send it; go on while a full batch came."""
        while True:
            room = self.pool.free_count()
            if room <= 0:
                self.pool.wait_available()
                room = self.pool.free_count()
            with self.app.app_context():
                try:
                    batch = claim(min(BATCH, room))
                finally:
                    db.session.remove()
            for message in batch:
                self.pool.spawn(send_one, self.app, message)
            if len(batch) < room:
                return


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
