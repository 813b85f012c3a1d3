"""The counter tablet: who may run it, the offer it shows after a finish, and its live namespace ``/survey``.

When a clerk finishes a ticket, the tablet facing the visitor at that desk offers the survey. The offer
carries a signed, expiring reference to the ticket instead of its token: the tablet is signed in by
staff for now, and broadcasts to staff never carry a visitor's token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room
from itsdangerous import BadSignature, URLSafeTimedSerializer

from queue_app.core import clock
from queue_app.core.errors import Forbidden, QueueError, Unauthorized
from queue_app.core.extensions import db
from queue_app.core.models import Counter
from queue_app.core.outbox import record
from queue_app.core.site import current_site, iso
from queue_app.queue.models import Ticket, TicketState
from queue_app.staff.auth import user_for_token
from queue_app.staff.models import Role, User
from queue_app.survey import events

NAMESPACE = events.TABLET
#: a tablet that (re)connects still offers a visit finished this recently
OFFER_FRESH_MINUTES = 5


class OfferNotFound(QueueError):
    """The survey offer is unknown or expired (like an unknown ticket token: 404)."""

    status_code, code = 404, "offer_not_found"


def may_run_tablet(user: User | None, counter: Counter) -> bool:
    """The one check of who may run a counter's tablet: for now a signed-in clerk of that counter or an
    admin (device enrolment will replace it; keep every caller going through here)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.role is Role.admin or (user.role is Role.clerk and user.may_use_counter(counter))


def require_tablet(counter: Counter) -> None:
    """:raise Unauthorized, Forbidden: the current user may not run this counter's tablet."""
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in first.")
    if not may_run_tablet(current_user, counter):
        raise Forbidden(text="tablet_not_yours", values={"counter": counter.name})


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
    """Counter tablets: ``auth: {"counter": CODE}``; get ``survey_offer`` when that counter finishes a visit."""

    def on_connect(self, auth: Any = None) -> None:
        try:
            code = auth.get("counter") if isinstance(auth, dict) else None
            token = auth.get("token") if isinstance(auth, dict) else None
            user = user_for_token(token) if isinstance(token, str) and token else (
                current_user._get_current_object() if current_user.is_authenticated else None)
            counter = db.session.scalar(sa.select(Counter).where(Counter.code == code, Counter.active)) \
                if isinstance(code, str) else None
            if counter is None or not may_run_tablet(user, counter):
                raise ConnectionRefusedError("forbidden")
            join_room(f"tablet:{counter.code}")
            offer = latest_offer(counter)
            if offer is not None:
                emit(events.survey_offer, offer)
        finally:
            db.session.rollback()
