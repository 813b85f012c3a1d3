"""Joining from afar (a virtual queue) and leaving the line.

A visitor takes a place from their phone (``[services.remote]``): the ticket is numbered in its service's
sequence and waits from the moment of joining, but it carries a check-in code and is *away* until the
visitor checks in at a kiosk (:func:`arrive`). Call-next never calls an away ticket: it keeps its place and
is passed over (:func:`pass_over`); ``hold_minutes`` after it first could have been called it becomes a
no-show (:func:`lapse_holds`, run by call-next itself, so no timer is needed and a test's clock decides).

"Could have been called" is read fairly: a ticket is passed over only once it was told to come, i.e. fewer
than ``arrive_ahead`` (at least one) are ahead of it, and the counter called somebody after it in call order
(or nobody). So a visitor far back in a line of absentees is not struck off before their time.

Leaving the line (:func:`leave`) is for every waiting ticket, walk-in, booked or from afar: its ``cancelled``
event moves everyone behind up (queue_app.queue.life).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from queue_app.core import clock, hooks
from queue_app.core.codes import CODE_RE, new_code, normalise_code, random_code
from queue_app.core.database import begin_write, is_postgres
from queue_app.core.errors import KioskNotFound, RateLimited
from queue_app.core.extensions import db
from queue_app.core.lookups import active_services, get_service
from queue_app.core.models import Service
from queue_app.core.phones import optional_phone
from queue_app.core.site import current_site, iso
from queue_app.core.site import today as site_today
from queue_app.core.siteconfig.calendar import RemoteConf
from queue_app.queue import life
from queue_app.queue.errors import NotWaiting, RemoteNotOffered, RemoteQuotaFull, TicketNotFound
from queue_app.queue.estimate import ahead_of
from queue_app.queue.idempotency import ticket_for_key
from queue_app.queue.models import DailyNumber, EventKind, Ticket, TicketState
from queue_app.queue.opening import closed_error
from queue_app.staff.models import User

logger = logging.getLogger(__name__)


def remote_conf(service_code: str) -> RemoteConf | None:
    """The service's ``[services.remote]``, or None when it cannot be joined from afar."""
    conf = current_site().service(service_code)
    return conf.remote if conf is not None else None


def remote_ids(service_ids: list[int]) -> set[int]:
    """Those of ``service_ids`` that can be joined from afar (from the catalogue: no query)."""
    codes = remote_services()
    if not codes:
        return set()
    return {s.id for s in active_services() if s.code in codes and s.id in service_ids}


def remote_services() -> dict[str, RemoteConf]:
    """Every service that can be joined from afar, by code."""
    return {s.code: s.remote for s in current_site().services if s.remote is not None}


def joined_today(service_ids: list[int], day: date | None = None) -> dict[int, int]:
    """Tickets joined from afar per service (the one issued for) on ``day`` (default today): the count kept on
    the day's number row, bumped by the statement that takes a join's number."""
    if not service_ids:
        return {}
    rows = db.session.execute(
        sa.select(DailyNumber.service_id, DailyNumber.remote)
        .where(DailyNumber.service_day == (day or site_today()), DailyNumber.service_id.in_(service_ids)))
    return {sid: n for sid, n in rows}


def left_today(services: list[Service]) -> dict[int, dict[str, int] | None]:
    """``GET /api/services``' ``remote`` per service id: None, or ``{"left_today": N}``."""
    confs = remote_services()
    offered = [s for s in services if s.code in confs]
    taken = joined_today([s.id for s in offered])
    out: dict[int, dict[str, int] | None] = {s.id: None for s in services}
    for s in offered:
        out[s.id] = {"left_today": max(0, confs[s.code].daily_quota - taken.get(s.id, 0))}
    return out


SEEN_FULL = hooks.declare_cache(
    "remote-quota-seen-full", where=__name__,
    holds="(service id, day) -> the day's count of joins from afar this process found at or past the quota",
    forgotten="never needs to be within its day: the count on the day's number row only grows (a join left or "
              "lapsed still counts), so a quota found taken stays taken unless the site's quota is raised, which "
              "each check compares against; a day's entries go once the day is past")


def _admit(service: Service, day: date, conf: RemoteConf, phone: str | None) -> str:
    """The plain read before the line's number is taken: once the quota is taken the crowd is told so at once,
    without queueing for the number's row (the exact check is :func:`join`'s ``admit``, on that row).

    :return: a check-in code no ticket has (looked up in the same statement).
    :raise RateLimited: ``phone`` already holds a waiting place from afar in this line today (exact: its
        joins are serialised by :func:`_lock_phone`).
    :raise RemoteQuotaFull: the day's places from afar are taken (all read in one statement)."""
    taken = (sa.select(DailyNumber.remote)
             .where(DailyNumber.service_id == service.id, DailyNumber.service_day == day).scalar_subquery())
    held = sa.false()
    if phone:
        held = sa.exists().where(Ticket.service_day == day, Ticket.issued_service_id == service.id,
                                 Ticket.checkin_code.is_not(None), Ticket.phone == phone,
                                 Ticket.status == TicketState.waiting)
    code = random_code()
    taken, held, clash = db.session.execute(
        sa.select(taken, held, sa.exists().where(Ticket.checkin_code == code))).one()
    if held:
        raise RateLimited("This phone number already holds a place in this line today.", retry_after=600)
    if (taken or 0) >= conf.daily_quota:
        _quota_full(service, conf)
    return new_code(_code_taken) if clash else code


def _code_taken(code: str) -> bool:
    return db.session.scalar(sa.select(Ticket.id).where(Ticket.checkin_code == code)) is not None


def _lock_phone(service: Service, day: date, phone: str) -> None:
    """PostgreSQL: one phone's joins of a line wait for each other (an advisory lock on the phone, the line and
    the day, held to the commit), so the count of the places it holds sees its earlier join; other phones'
    joins never wait for it. SQLite writes one at a time (``BEGIN IMMEDIATE``)."""
    if not is_postgres():
        return
    digest = hashlib.sha256(f"remote|{service.id}|{day}|{phone}".encode()).digest()
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                       {"k": int.from_bytes(digest[:8], "big", signed=True)})


def _quota_full(service: Service, conf: RemoteConf) -> None:
    # the hours first: a closed service says when it opens, not that its places are taken
    closed = closed_error(service)
    if closed is not None:
        raise closed
    raise RemoteQuotaFull(f"Today's {conf.daily_quota} places from afar for {service.name} are taken.",
                          service=service.code)


def repeated_join(key: str) -> Ticket | None:
    """The ticket a join with this (bound) Idempotency-Key already gave, within the keys' 10 minutes."""
    begin_write()  # an expired key is deleted
    previous = ticket_for_key("ticket", key, action="issue", now=clock.utcnow())
    return previous if previous is not None and previous.checkin_code is not None else None


def join(service_code: str, *, phone: str | None = None, actor: User | None = None,
         one_per_phone: bool = True, idempotency_key: str | None = None) -> Ticket:
    """Take a place in a service's line from afar: a waiting ticket, never priority, with a check-in code.

    :param phone: the visitor's number for notices (any accepted form; stored as ``62…``).
    :param one_per_phone: refuse a number that already holds a waiting place in this line today.
    :param idempotency_key: kept with the ticket, so a retry finds it (:func:`repeated_join`).
    :raise ServiceNotFound, RemoteNotOffered, ServiceClosed, HolidayClosed, OutsideHours, QuotaReached:
    :raise RemoteQuotaFull: the day's places from afar are taken.
    :raise InvalidPhone: (422). :raise RateLimited: the number already holds a place in this line.
    """
    from queue_app.queue.operations import issue_ticket  # the verbs call this module: imported when used

    phone = optional_phone(phone)
    begin_write()  # before the first read: ending a read transaction first costs a commit and the service's reload
    service = get_service(service_code)
    conf = remote_conf(service.code)
    if conf is None:
        raise RemoteNotOffered(f"{service.name} cannot be joined from afar.", service=service.code)
    day = clock.local_day(current_site().tz, clock.utcnow())
    holder = phone if one_per_phone else None
    # the count only grows (a join that is left or lapses still counts), so a quota this process found taken
    # stays taken: those waiting behind the finding are told so without the database
    seen_full = hooks.app_cache(SEEN_FULL)
    key = (service.id, day)
    for old in [k for k in seen_full if k[1] < day]:
        seen_full.pop(old, None)
    if seen_full.get(key, 0) >= conf.daily_quota:
        _quota_full(service, conf)
    if holder is not None:
        _lock_phone(service, day, holder)
    # the counts read before the line's number is taken: once the quota is taken, the crowd is told so without
    # queueing for the number's row
    code = _admit(service, day, conf, holder)

    def queued() -> None:
        # this process's earlier joins of the line are committed: one of them may have found the quota taken
        if seen_full.get(key, 0) >= conf.daily_quota:
            _quota_full(service, conf)

    def admit(joined: int | None) -> None:
        # the day's number is taken, and with it the count of the day's joins from afar on the same row: every
        # other ticket of this line waits for this one's commit, so the count is exact
        if joined is None or joined > conf.daily_quota:
            seen_full[key] = max(seen_full.get(key, 0), (joined or 1) - 1)
            _quota_full(service, conf)

    ticket, _ = issue_ticket(service.code, actor=actor, phone=phone, checkin_code=code, admit=admit, queued=queued,
                             idempotency_key=idempotency_key)
    logger.info("Ticket %s joined from afar for %s", ticket.number, service.code)
    return ticket


def find_by_code(code: str, *, lock: bool = False) -> Ticket:
    """The ticket joined from afar with this check-in code. :raise TicketNotFound:"""
    code = normalise_code(code)
    ticket = None
    if CODE_RE.match(code):
        stmt = sa.select(Ticket).where(Ticket.checkin_code == code).options(joinedload(Ticket.service))
        if lock and is_postgres():
            stmt = stmt.with_for_update(of=Ticket)
        ticket = db.session.scalar(stmt)
    if ticket is None:
        raise TicketNotFound("No ticket with that check-in code.")
    return ticket


def arrive(code: str, *, kiosk: str | None = None, actor: User | None = None) -> tuple[Ticket, bool]:
    """The visitor who joined from afar is in the building: call-next may call the ticket now. A repeat
    changes nothing.

    :return: the ticket and whether it arrived now (False for a repeat).
    :raise TicketNotFound: no such code. :raise NotWaiting: called, served, finished, or no-show already.
    :raise KioskNotFound:
    """
    begin_write()
    if kiosk is not None and current_site().kiosk(kiosk) is None:
        raise KioskNotFound(f'No kiosk with code "{kiosk}".')
    ticket = find_by_code(code, lock=True)
    if ticket.arrived_at is not None and ticket.status is TicketState.waiting:
        return ticket, False
    if ticket.status is not TicketState.waiting:
        raise NotWaiting(f"Ticket {ticket.number} is {ticket.status.value}, not waiting.", status=ticket.status.value)
    now = clock.utcnow()
    ticket.arrived_at = now
    ticket.kiosk = ticket.kiosk or kiosk
    life.happen(ticket, EventKind.arrived, actor=actor, at=now, details={"kiosk": kiosk})
    db.session.flush()
    logger.info("Ticket %s arrived (kiosk %s)", ticket.number, kiosk)
    return ticket, True


def leave(token: str, *, actor: User | None = None) -> Ticket:
    """The visitor leaves the line: a waiting ticket is cancelled and everyone behind moves up.

    :raise TicketNotFound: :raise NotWaiting: called, being served or finished.
    """
    begin_write()
    stmt = sa.select(Ticket).where(Ticket.token == token).options(joinedload(Ticket.service))
    if is_postgres():  # a clerk calling it at the same instant: one of the two wins, the other sees its state
        stmt = stmt.with_for_update(of=Ticket)
    ticket = db.session.scalar(stmt.execution_options(populate_existing=True)) if token else None
    if ticket is None:
        raise TicketNotFound("No ticket with that token.")
    if ticket.status is not TicketState.waiting:
        raise NotWaiting(f"Ticket {ticket.number} is {ticket.status.value}, not waiting.", status=ticket.status.value)
    now = clock.utcnow()
    ticket.finished_at = now
    life.happen(ticket, EventKind.cancelled, actor=actor, at=now, details={"reason": "left"})
    db.session.flush()
    logger.info("Ticket %s left the line", ticket.number)
    return ticket


# --- call-next: passing over, holds ------------------------------------------------------------------


def callable_clause() -> sa.ColumnElement[bool]:
    """A ticket call-next may call: taken in the building, or joined from afar and arrived."""
    return sa.or_(Ticket.checkin_code.is_(None), Ticket.arrived_at.is_not(None))


def _away(day: date, service_ids: list[int]) -> sa.Select:
    return (sa.select(Ticket)
            .where(Ticket.service_day == day, Ticket.checkin_code.is_not(None), Ticket.arrived_at.is_(None),
                   Ticket.status == TicketState.waiting, Ticket.service_id.in_(service_ids))
            .options(joinedload(Ticket.service)))


def lapse_holds(service_ids: list[int], *, now: datetime | None = None) -> list[Ticket]:
    """Make no-shows of the away tickets of these services passed over longer than their ``hold_minutes``.

    :return: the tickets struck off.
    """
    now = now or clock.utcnow()
    confs = remote_services()
    stmt = _away(site_today(), service_ids).where(Ticket.passed_at.is_not(None))
    if is_postgres():
        stmt = stmt.with_for_update(of=Ticket, skip_locked=True)
    lapsed = []
    for ticket in db.session.scalars(stmt).all():
        conf = confs.get(ticket.service.code) or RemoteConf()
        if ticket.passed_at + timedelta(minutes=conf.hold_minutes) > now:
            continue
        ticket.finished_at = now
        life.happen(ticket, EventKind.no_show, actor=None, at=now, leaves_line=True,
                    details={"reason": "not_arrived", "passed_at": ticket.passed_at.isoformat()})
        lapsed.append(ticket)
        logger.info("Ticket %s from afar never came: no-show", ticket.number)
    if lapsed:  # call-next reads the line without autoflush: the places behind them are counted after this
        db.session.flush()
    return lapsed


def lapse_due() -> int:
    """Housekeeping: :func:`lapse_holds` for every service that can be joined from afar, so a hold ends even
    while no counter calls. The caller commits. :return: how many were struck off."""
    ids = sorted(remote_ids([s.id for s in active_services()]))
    if not ids:
        return 0
    # a read first: most rounds find nothing, and a write transaction would hold SQLite's lock for nothing
    shortest = min(conf.hold_minutes for conf in remote_services().values())
    cutoff = clock.utcnow() - timedelta(minutes=shortest)
    if db.session.scalar(sa.select(Ticket.id).where(Ticket.service_day == site_today(), Ticket.checkin_code.is_not(None),
                                                    Ticket.arrived_at.is_(None), Ticket.status == TicketState.waiting,
                                                    Ticket.passed_at <= cutoff).limit(1)) is None:
        return 0
    begin_write()
    return len(lapse_holds(ids))


def pass_over(service_ids: list[int], *, before: Ticket | None, after_steps: list[int],
              now: datetime | None = None) -> int:
    """Record that call-next passed over the away tickets that could have been called instead of ``before``
    (every one of ``after_steps``' services, where nobody present was waiting, and those of ``before``'s
    own service group ahead of it), if they were told to come (fewer than ``arrive_ahead`` ahead).

    :param service_ids: the services of ``before``'s step (or every remote service when nobody was called).
    :param after_steps: services of earlier steps, which had nobody present.
    :return: how many were marked now.
    """
    now = now or clock.utcnow()
    confs = remote_services()
    ids = list(dict.fromkeys([*after_steps, *service_ids]))
    if not ids:
        return 0
    stmt = _away(site_today(), ids).where(Ticket.passed_at.is_(None)).order_by(Ticket.queue_at, Ticket.id)
    marked = 0
    told: dict[int, bool] = {}  # per service: still inside the "come now" zone (ahead only grows)
    for ticket in db.session.scalars(stmt).all():
        if before is not None and ticket.service_id in service_ids and ticket.service_id not in after_steps \
                and (ticket.queue_at, ticket.id) > (before.queue_at, before.id):
            continue
        if told.get(ticket.service_id) is False:
            continue
        conf = confs.get(ticket.service.code) or RemoteConf()
        if ahead_of(ticket) >= max(1, conf.arrive_ahead):
            told[ticket.service_id] = False
            continue
        ticket.passed_at = now
        marked += 1
    return marked


def remote_view(ticket: Ticket, ahead: int) -> dict[str, object]:
    """What a ticket joined from afar adds to the visitor's view: its code, whether it arrived, and when to come."""
    conf = remote_conf(ticket.service.code) or RemoteConf()
    away = ticket.arrived_at is None and ticket.status is TicketState.waiting
    hold_until = None
    if away and ticket.passed_at is not None:
        hold_until = ticket.passed_at + timedelta(minutes=conf.hold_minutes)
    return {"arrived": ticket.arrived_at is not None, "code": ticket.checkin_code,
            "arrive_ahead": conf.arrive_ahead, "come_now": away and ahead < max(1, conf.arrive_ahead),
            "hold_until": iso(hold_until)}
