"""What complaints tell the features that listen (the notices by WhatsApp/SMS...).

Each is sent inside the change's transaction, with the :class:`~queue_app.complaints.models.Complaint` as sender,
and these keywords: ``track_url`` (the visitor's link, absolute), ``phone`` (digits starting ``62``, or None when
no number was given) and ``lang`` (``id`` or ``en``: the language of the page it came from). A receiver may write
rows of its own in the same session (a message to send after commit); it must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a complaint was received (``POST /api/complaints``)
complaint_received = _signals.signal("complaint-received")
#: staff answered a complaint; also ``response`` (:class:`~queue_app.complaints.models.ComplaintResponse`) and
#: ``status`` (the complaint's status after it: ``in_progress`` or ``resolved``)
complaint_answered = _signals.signal("complaint-answered")
