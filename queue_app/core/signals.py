"""Signals between the layers: a lower layer announces, a higher one listens (it is never called upward).

A feature connects its receivers in its ``init_app``; senders never know who listens.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A transaction that recorded outbox events committed. Sent with the app as sender and
#: ``pending`` (:class:`queue_app.core.outbox.Pending`); the live package publishes it.
committed = _signals.signal("committed")

#: A ticket was finished at a counter, inside the verb's transaction (sender: the ticket;
#: ``counter`` and ``actor``). Receivers may record outbox events; they must not commit.
ticket_finished = _signals.signal("ticket-finished")
