"""What a ticket's life tells the features above the queue (notices, the survey, visit routes, metrics...).

Sent by :func:`queue_app.queue.life.happen` for every event of a ticket, never by a verb itself, so a new verb
cannot forget one. Each is sent with the ticket as sender and these keywords: ``kind`` (the
:class:`~queue_app.queue.models.EventKind`), ``counter`` (or None), ``actor`` (or None), ``at`` (UTC) and
``details`` (the log entry's details).

Receivers run inside the change's transaction: they may write rows of their own (a message to send, an
outbox event) so that those commit or roll back with the change; they must not commit, and must stay cheap
(every kiosk press sends ``ticket_issued``). Connect them in the feature's ``init_app``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a ticket was issued (kiosk, staff, booking check-in, joining from afar)
ticket_issued = _signals.signal("ticket-issued")
#: a ticket was called to a counter, or called again (``kind`` is ``called`` or ``recalled``)
ticket_called = _signals.signal("ticket-called")
#: the visitor reached the counter (serving)
ticket_started = _signals.signal("ticket-started")
#: a ticket moved to another service's line with its number: ``kind`` ``transferred`` (a clerk sent it), or
#: ``routed``: a step of a visit that crosses services ended and the visit goes on at the next step
#: (``details``: ``from``, ``to`` service codes, ``step`` its index in the route, ``steps`` the route's length,
#: ``skipped`` steps left out, if any). A step's end is not the visit's end: ``ticket_finished`` is not sent
ticket_moved = _signals.signal("ticket-moved")
#: a visit finished at a counter (done): a ticket of one service, or the last step of a route, or a route
#: ended early (``details["end_visit"]``); sent once per visit
ticket_finished = _signals.signal("ticket-finished")
#: a called visitor did not come (no_show)
ticket_missed = _signals.signal("ticket-missed")
#: a waiting ticket left the line (the visitor cancelled, or the day ended)
ticket_cancelled = _signals.signal("ticket-cancelled")
#: a slip was printed again
ticket_reprinted = _signals.signal("ticket-reprinted")
#: a ticket joined from afar reached the building (checked in with its code at a kiosk, or by staff)
ticket_arrived = _signals.signal("ticket-arrived")
