"""The counter tablet: who may run it, the offer it shows after a finish, and its live namespace ``/survey``.

When a clerk finishes a ticket, the tablet facing the visitor at that desk offers the survey. The tablet is a
device, not a person: it proves itself with the device key of kind ``"survey"`` for its counter
(:mod:`queue_app.staff.devices`), enrolled by an admin on /admin/tablets (a cookie in the tablet's browser) or
made with ``mpp-queue survey key CODE`` (an API client sends it as :data:`TABLET_HEADER`). No staff session runs
in front of visitors. A new key, or ``mpp-queue survey revoke CODE`` / the admin page's revoke, ends the old
one and disconnects the tablet's socket (the room :func:`~queue_app.staff.devices.device_room`; housekeeping's
:func:`sweep_tablets` catches a rotation nobody announced).

The offer carries a signed, expiring reference to the ticket instead of its token: a tablet is a screen in
the hall, and it must never hold a visitor's token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_socketio import Namespace, emit, join_room
from itsdangerous import BadSignature, URLSafeTimedSerializer

from queue_app.core import clock
from queue_app.core.errors import QueueError, Unauthorized
from queue_app.core.extensions import db, socketio
from queue_app.core.models import Counter
from queue_app.core.outbox import record
from queue_app.core.site import current_site, iso
from queue_app.queue.models import Ticket, TicketState
from queue_app.staff import devices
from queue_app.staff.models import User
from queue_app.staff.takers import same_origin
from queue_app.survey import events

NAMESPACE = events.TABLET
#: a tablet that (re)connects still offers a visit finished this recently
OFFER_FRESH_MINUTES = 5
#: the device kind of a survey tablet; its code is the counter's
KIND = "survey"
#: the header an API client of a tablet sends its key in
TABLET_HEADER = "X-Survey-Key"

#: sid -> (counter code, key fingerprint it connected with), for :func:`sweep_tablets`
_tablets: dict[str, tuple[str, str | None]] = {}


class OfferNotFound(QueueError):
    """The survey offer is unknown or expired (like an unknown ticket token: 404)."""

    status_code, code = 404, "offer_not_found"


class TabletRequired(Unauthorized):
    """This browser is not the counter's survey tablet: an admin enrols it on /admin/tablets."""

    code = "tablet_required"


def tablet_key(code: str, auth: Any = None) -> str | None:  # noqa: ANN401
    """The survey key this request (or socket handshake) presents for counter ``code``: ``auth: {"key"}``,
    the :data:`TABLET_HEADER` header, else an enrolled browser's cookie (from this site's own pages)."""
    key = auth.get("key") if isinstance(auth, dict) else None
    if isinstance(key, str) and key:
        return key
    key = request.headers.get(TABLET_HEADER)
    if key is not None:
        return key.strip()
    found = devices.from_cookie(request.cookies.get(devices.COOKIE), KIND)
    if found is None or found[0] != code or not same_origin():
        return None
    return found[1]


def may_run_tablet(counter: Counter, auth: Any = None) -> bool:  # noqa: ANN401
    """The one check of who may run a counter's tablet: the device holding that counter's survey key."""
    return devices.check_key(KIND, counter.code, tablet_key(counter.code, auth))


def require_tablet(counter: Counter) -> None:
    """:raise TabletRequired: this request does not come from the counter's enrolled tablet."""
    if not may_run_tablet(counter):
        raise TabletRequired(f"This is not the survey tablet of {counter.name}: an admin enrols it on "
                             "/admin/tablets (or send the key from `mpp-queue survey key` as "
                             f"{TABLET_HEADER}).")


def enrolled_counter() -> str | None:
    """The counter this browser is the survey tablet of (its cookie holds the current key), or None."""
    found = devices.from_cookie(request.cookies.get(devices.COOKIE), KIND)
    if found is None or not devices.check_key(KIND, *found):
        return None
    return found[0]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="survey-offer")


def offer_body(ticket: Ticket, counter: Counter) -> dict[str, Any]:
    with db.session.no_autoflush:  # the service's name does not depend on the finish being written yet
        service_name = ticket.service.name
    return {
        "offer": _serializer().dumps([ticket.id, counter.code]),
        "number": ticket.number,
        "service_name": service_name,
        "counter": counter.code,
        "finished_at": iso(ticket.finished_at),
    }


def ticket_for_offer(offer: Any, counter: Counter) -> Ticket:
    """The ticket an offer names, if it was made at this counter. :raise OfferNotFound:"""
    max_age = current_site().survey_days_open * 86400
    try:
        ticket_id, code = _serializer().loads(offer, max_age=max_age) if isinstance(offer, str) else (None, None)
    except (BadSignature, ValueError, TypeError):
        ticket_id, code = None, None
    ticket = db.session.get(Ticket, ticket_id) if isinstance(ticket_id, int) and code == counter.code else None
    if ticket is None:
        raise OfferNotFound("This survey offer is unknown or expired.")
    return ticket


def on_ticket_finished(ticket: Ticket, *, counter: Counter, actor: User | None = None, **_: Any) -> None:
    """Inside the finish transaction: the tablet of that counter offers the survey once it commits."""
    record(events.survey_offer, offer_body(ticket, counter), namespace=NAMESPACE, to=f"tablet:{counter.code}")


def latest_offer(counter: Counter) -> dict[str, Any] | None:
    """The visit this counter finished in the last minutes whose survey is still open, for a fresh tablet."""
    from .operations import survey_state

    since = clock.utcnow() - timedelta(minutes=OFFER_FRESH_MINUTES)
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.counter_id == counter.id, Ticket.status == TicketState.done,
                                Ticket.finished_at >= since).order_by(Ticket.finished_at.desc()).limit(1))
    if ticket is None or survey_state(ticket) != "open":
        return None
    return offer_body(ticket, counter)


class SurveyNamespace(Namespace):
    """Counter tablets: ``auth: {"counter": CODE}`` with the tablet's key (its cookie, or ``"key"``); get
    ``survey_offer`` when that counter finishes a visit."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            code = auth.get("counter") if isinstance(auth, dict) else None
            counter = db.session.scalar(sa.select(Counter).where(Counter.code == code, Counter.active)) \
                if isinstance(code, str) else None
            if counter is None or not may_run_tablet(counter, auth):
                raise ConnectionRefusedError("forbidden")
            join_room(f"tablet:{counter.code}")
            join_room(devices.device_room(KIND, counter.code))  # a new key or a revocation disconnects it
            _tablets[request.sid] = (counter.code, devices.key_fingerprint(KIND, counter.code))
            offer = latest_offer(counter)
            if offer is not None:
                emit(events.survey_offer, offer)
        finally:
            db.session.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        _tablets.pop(request.sid, None)


def sweep_tablets() -> int:
    """Disconnect this process's tablets whose key was replaced or revoked unannounced (a command line of a
    site without the message queue). :return: how many."""
    ended = 0
    for sid, (code, fingerprint) in list(_tablets.items()):
        if not socketio.server.manager.is_connected(sid, NAMESPACE):
            _tablets.pop(sid, None)
        elif devices.key_fingerprint(KIND, code) != fingerprint:
            _tablets.pop(sid, None)
            socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            ended += 1
    return ended
