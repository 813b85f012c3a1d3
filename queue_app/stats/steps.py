"""The steps of visits that cross services, as rows the statistics add to their tickets' (docs/visits.md)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from queue_app.core.models import Service
from queue_app.queue.models import EventKind, Ticket, TicketEvent, TicketState, VisitStep

from .sql import seconds

#: written out, not bound: the partial index ``ix_tickets_routed`` serves only this very condition
PAST_FIRST_STEP = Ticket.route_step > sa.literal_column("0")


def step_rows(first: date, last: date, ids: list[int], *, with_day: bool = False) -> list[sa.Select]:
    """Rows shaped like the tickets of :func:`queue_app.stats.figures._grouped` for the steps of visits that crossed services, so that each
    step counts at its own service: ``(isid = fsid = the step's service, status, target, wait, svc, iss = 0)``.

    A ticket's own row counts its issue, its first step's wait (``called_at - issued_at``) and its last
    step's outcome and service time; these add each step it left (served there, its service time, and from
    the second step on its wait: first call there - queued there) and the wait of the step it is at now when
    that is not its first (first call since its queue time, from the log).

    :param with_day: add the ticket's local day as a last column ``day``.
    """
    day = [Ticket.service_day.label("day")] if with_day else []
    here = VisitStep.service_id
    left = (
        sa.select(here.label("isid"), here.label("fsid"),
                  sa.cast(sa.literal(TicketState.done.value), sa.String(32)).label("status"),
                  (Service.target_wait_minutes * 60).label("target"),
                  sa.case((VisitStep.step > 0, seconds(VisitStep.queued_at, VisitStep.called_at))).label("wait"),
                  seconds(VisitStep.started_at, VisitStep.finished_at).label("svc"), sa.literal(0).label("iss"), *day)
        .join(Ticket, Ticket.id == VisitStep.ticket_id)
        .join(Service, Service.id == here)
        .where(Ticket.service_day.between(first, last), here.in_(ids))
    )
    first_call = (
        sa.select(TicketEvent.ticket_id, sa.func.min(TicketEvent.at).label("at"))
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(Ticket.service_day.between(first, last), PAST_FIRST_STEP, Ticket.service_id.in_(ids),
               TicketEvent.kind == EventKind.called, TicketEvent.at >= Ticket.queue_at)
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    current = (
        sa.select(Ticket.service_id.label("isid"), Ticket.service_id.label("fsid"),
                  sa.cast(sa.null(), sa.String(32)).label("status"), (Service.target_wait_minutes * 60).label("target"),
                  seconds(Ticket.queue_at, first_call.c.at).label("wait"), sa.cast(sa.null(), sa.Float).label("svc"),
                  sa.literal(0).label("iss"), *day)
        .join(first_call, first_call.c.ticket_id == Ticket.id)
        .join(Service, Service.id == Ticket.service_id)
    )
    return [left, current]
