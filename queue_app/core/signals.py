"""Signals between the layers: a lower layer announces, a higher one listens (it is never called upward).

A feature connects its receivers in its ``init_app``; senders never know who listens. A ticket's life has its
own signals, sent by one function (:mod:`queue_app.queue.signals`, :mod:`queue_app.queue.life`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A transaction that recorded outbox events committed. Sent with the app as sender and
#: ``pending`` (:class:`queue_app.core.outbox.Pending`); the live package publishes it.
committed = _signals.signal("committed")
