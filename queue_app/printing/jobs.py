"""Ticket printing on the server side: stored print jobs, direct printers and their states.

A ticket is committed before anything touches a printer, so a jammed printer can never lose a
ticket. Printing then gets a hard time budget (``PRINT_BUDGET_SECONDS``, 2.7 s) and its outcome is
stored as a print job:

* direct printers (network, usb, serial, file, dummy) are tried once, in a worker that the request
  stops waiting for when the budget is spent (the printers package caps its own sockets too);
* agent printers get a ``queued`` job that the /agent namespace (queue_app.printing.agents) delivers to the
  print agent now or when it comes back; when the agent is online the request waits, within the
  same budget, for its acknowledgement so the kiosk can say "printed".

A queued job not delivered before ``expires_at`` is marked failed ("expired") by housekeeping.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from printers import PrintError, PrinterState, TicketSlip, make_printer
from queue_app.core import clock
from queue_app.core.database import begin_write, insert_or_nothing
from queue_app.core.extensions import db
from queue_app.core.outbox import record, touch
from queue_app.core.siteconfig import SiteConf
from queue_app.printing import events
from queue_app.printing.models import PrinterStatus, PrintJob, PrintJobState
from queue_app.queue import life
from queue_app.queue.models import EventKind, Ticket, TicketState
from queue_app.queue.read_models import ticket_public
from queue_app.staff.models import User

logger = logging.getLogger(__name__)

#: Seconds a ticket request may spend on its printer, on top of issuing the ticket itself
DEFAULT_BUDGET = 2.7
#: How often a request waiting for a print agent's acknowledgement looks at the job again
AGENT_POLL_SECONDS = 0.1
EXPIRED = "expired: not delivered to the printer in time"
#: A printer state younger than this is not probed again by housekeeping
FRESH_SECONDS = 20


class PrintBudgetExceeded(Exception):
    """The printer driver did not return within the request's budget."""


def run_with_budget(fn: Any, budget: float) -> Any:
    """Run ``fn()`` and give up waiting after ``budget`` seconds.

    Under gevent (``mpp-queue serve`` patches the standard library) the worker is a greenlet and its
    socket I/O yields; in a threaded server it is a real thread. Either way the caller returns on
    time; a worker stuck past the budget ends on the driver's own socket timeouts.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=work, name="print-attempt", daemon=True)
    worker.start()
    worker.join(budget)
    if worker.is_alive():
        raise PrintBudgetExceeded(f"no answer from the printer within {budget:g}s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _result(job: PrintJob) -> dict[str, Any]:
    return {"status": job.state.value, "error": job.last_error or None}


class Printing:
    """Chosen by ``create_app`` from config.toml and kept in ``app.extensions["printing"]``."""

    def __init__(self, app: Flask, site: SiteConf):
        self.app = app
        self.site = site
        self.overrides: dict[str, Any] = {}  # printer code -> Printer (tests install fakes here)

    @property
    def budget(self) -> float:
        return float(self.app.config.get("PRINT_BUDGET_SECONDS", DEFAULT_BUDGET))

    def is_agent(self, code: str) -> bool:
        conf = self.site.printer(code)
        return conf is not None and conf.kind == "agent" and code not in self.overrides

    def printer(self, code: str):  # noqa: ANN201
        if code in self.overrides:
            return self.overrides[code]
        conf = self.site.printer(code)
        if conf is None:
            raise KeyError(code)
        return make_printer(conf)

    def slip_for(self, ticket: Ticket, place: tuple[int | None, int | None] | None = None) -> TicketSlip:
        """The slip of a ticket; ``place`` is ``(ahead, estimate)`` as the visitor's screen shows them (a new
        ticket's, from its issue), else they are read now. A waiting ticket without an estimate has nobody on
        duty for its service: the slip says so instead of a wait."""
        if place is None:
            view = ticket_public(ticket)
            place = (view["ahead"], view["estimated_wait_seconds"])
        return TicketSlip(
            nobody_on_duty=ticket.status is TicketState.waiting and place[1] is None,
            site_name=self.site.name,
            agency_name=ticket.service.agency.name,
            service_name=ticket.service.name,
            number=ticket.number,
            issued_at=ticket.issued_at.astimezone(self.site.tz),
            ahead=place[0] or 0,
            estimated_wait_seconds=place[1],
            track_url=f"{self.site.base_url}/t/{ticket.token}",
            footer=self.site.ticket_footer,
            priority=ticket.priority,
            locale=self.site.locale,
            booked_slot=ticket.booked_slot_at.astimezone(self.site.tz).strftime("%H:%M") if ticket.booked_slot_at else "",
        )

    # --- printing a ticket ---------------------------------------------------------------------

    def print_ticket(self, ticket: Ticket, kiosk: str | None,
                     place: tuple[int | None, int | None] | None = None) -> dict[str, Any]:
        """Print a freshly committed ticket at the kiosk's printer; never raises.

        :param place: ``(ahead, estimate)`` the caller showed, printed as they are (see :meth:`slip_for`).

        :return: the contract's ``print`` object: ``{"status": printed|queued|failed|none, "error"}``.
        """
        kiosk_conf = self.site.kiosk(kiosk) if kiosk else None
        if kiosk_conf is None or kiosk_conf.printer is None:
            return {"status": "none", "error": None}
        try:
            return self.submit(ticket, kiosk_conf.printer, place)
        except Exception as exc:  # the ticket is committed; a printing bug must not turn it into a 500
            db.session.rollback()
            logger.exception("printing ticket %s failed", ticket.number)
            return {"status": "failed", "error": f"print error: {exc}"[:300]}

    def submit(self, ticket: Ticket, printer_code: str,
               place: tuple[int | None, int | None] | None = None) -> dict[str, Any]:
        """Store a print job, commit it, and print it now (direct) or hand it to the agent."""
        begin_write()
        now = clock.utcnow()
        slip = self.slip_for(ticket, place)
        job = PrintJob(ticket_id=ticket.id, printer=printer_code, state=PrintJobState.queued, attempts=0,
                       last_error="", payload=slip.to_dict(), created_at=now, updated_at=now,
                       expires_at=now + timedelta(minutes=self.site.print_job_expiry_minutes))
        db.session.add(job)
        db.session.flush()
        job_id = job.id
        if self.is_agent(printer_code):
            touch(print_jobs={job_id})  # the hub hands it to the agent after commit
            db.session.commit()
            return self.await_agent(job_id, printer_code)
        db.session.commit()
        return self.attempt(job_id, printer_code, slip)

    def attempt(self, job_id: int, printer_code: str, slip: TicketSlip) -> dict[str, Any]:
        """Send one stored job to its (direct) printer within the budget and record the outcome.

        No transaction is open while the printer works: on SQLite a write transaction would hold up
        every other ticket for as long as the printer takes.
        """
        printer = None
        try:
            printer = self.printer(printer_code)
            run_with_budget(lambda: printer.print_slip(slip), self.budget)
        except PrintError as exc:
            outcome = (PrintJobState.failed, exc.message, exc.state)
        except PrintBudgetExceeded as exc:
            outcome = (PrintJobState.failed, str(exc), PrinterState.offline)
        except Exception as exc:  # a driver bug must not turn a valid ticket into a 500
            logger.exception("printer %s failed", printer_code)
            outcome = (PrintJobState.failed, f"printer error: {exc}", PrinterState.offline)
        else:
            outcome = (PrintJobState.printed, "", getattr(printer, "last_state", None) or PrinterState.ok)
        state, error, printer_state = outcome
        begin_write()
        job = db.session.get(PrintJob, job_id)
        job.attempts += 1
        if job.state == PrintJobState.queued or state == PrintJobState.printed:
            job.state = state
            job.last_error = error[:300]
        job.updated_at = clock.utcnow()
        self.set_state(printer_code, printer_state, error)
        db.session.commit()
        return _result(job)

    def await_agent(self, job_id: int, printer_code: str) -> dict[str, Any]:
        """Wait (within the budget) for a connected print agent to acknowledge the job."""
        if not self.agent_online(printer_code):
            return {"status": "queued", "error": "print agent is offline; the job waits for it"}
        return self._wait_for(job_id, time.monotonic() + self.budget,
                              "the print agent has not confirmed the job yet")

    def _wait_for(self, job_id: int, deadline: float, still_queued: str) -> dict[str, Any]:
        """Poll a job until it leaves ``queued`` or the deadline passes."""
        while time.monotonic() < deadline:
            time.sleep(AGENT_POLL_SECONDS)  # gevent-patched under `serve`: other greenlets run meanwhile
            db.session.rollback()  # end the snapshot so the other worker's outcome is visible
            row = db.session.execute(sa.select(PrintJob.state, PrintJob.last_error).where(PrintJob.id == job_id)).one()
            if row.state != PrintJobState.queued:
                return {"status": row.state.value, "error": row.last_error or None}
        return {"status": "queued", "error": still_queued}

    def agent_online(self, code: str) -> bool:
        row = db.session.get(PrinterStatus, code)
        return row is not None and row.state != PrinterState.offline.value

    def last_result(self, ticket: Ticket) -> dict[str, Any]:
        """The print outcome of an already issued ticket (for an idempotent repeat)."""
        job = db.session.scalar(sa.select(PrintJob).where(PrintJob.ticket_id == ticket.id)
                                .order_by(PrintJob.id.desc()).limit(1))
        if job is None:
            return {"status": "none", "error": None}
        # the kiosk's retry after a lost answer can arrive while the first request is still printing
        age = (clock.utcnow() - job.created_at).total_seconds()
        if job.state == PrintJobState.queued and age < self.budget:
            return self._wait_for(job.id, time.monotonic() + self.budget - age, "still printing")
        return _result(job)

    def reprint(self, ticket: Ticket, printer_code: str | None = None, *, actor: User | None = None) -> dict[str, Any]:
        """Print a ticket again (lost or unreadable slip): at ``printer_code``, else at its kiosk's printer.

        :raise PrinterNotFound: no such printer, or the ticket came from a kiosk without one.
        """
        from queue_app.printing.errors import PrinterNotFound

        if printer_code is None:
            kiosk = self.site.kiosk(ticket.kiosk) if ticket.kiosk else None
            printer_code = kiosk.printer if kiosk else None
            if printer_code is None:
                raise PrinterNotFound("This ticket was not issued at a kiosk with a printer; name a printer.")
        elif self.site.printer(printer_code) is None:
            raise PrinterNotFound(f'No printer "{printer_code}" in config.toml.')
        begin_write()
        life.happen(ticket, EventKind.reprinted, actor=actor, details={"printer": printer_code})
        return self.submit(ticket, printer_code)

    # --- agents ------------------------------------------------------------------------------

    def dispatch(self, job_ids: set[int]) -> None:
        """Hand freshly queued agent jobs to their agents (after the commit that queued them)."""
        from queue_app.printing.agents import deliver

        begin_write()
        jobs = db.session.scalars(sa.select(PrintJob).where(PrintJob.id.in_(job_ids),
                                                            PrintJob.state == PrintJobState.queued)).all()
        for job in jobs:
            if self.is_agent(job.printer):
                deliver(job)
        db.session.commit()

    # --- states and housekeeping -------------------------------------------------------------

    def check(self, code: str) -> PrinterState:
        """Ask a printer for its state now and store it; agent printers report their own."""
        if self.is_agent(code):
            row = db.session.get(PrinterStatus, code)
            return PrinterState(row.state) if row else PrinterState.unknown
        message = ""
        try:
            state = run_with_budget(lambda: self.printer(code).status(), self.budget)
        except PrintError as exc:
            state, message = exc.state, exc.message
        except PrintBudgetExceeded as exc:
            state, message = PrinterState.offline, str(exc)
        except Exception as exc:  # noqa: BLE001  a broken driver is an offline printer, not a crash
            state, message = PrinterState.offline, f"printer error: {exc}"
        begin_write()
        self.set_state(code, state, message)
        db.session.commit()
        return PrinterState(state)

    def expire_jobs(self) -> int:
        """Mark queued jobs past their ``expires_at`` as failed; the kiosk already showed the ticket."""
        now = clock.utcnow()
        overdue = sa.select(PrintJob).where(PrintJob.state == PrintJobState.queued, PrintJob.expires_at < now)
        if db.session.scalar(sa.select(sa.func.count()).select_from(overdue.subquery())) == 0:
            db.session.rollback()
            return 0
        begin_write()  # only now: most rounds have nothing to expire and need no write lock
        jobs = db.session.scalars(overdue).all()
        for job in jobs:
            job.state = PrintJobState.failed
            job.last_error = EXPIRED
            job.updated_at = now
        db.session.commit()
        if jobs:
            logger.warning("%d print job(s) expired undelivered", len(jobs))
        return len(jobs)

    def housekeeping(self) -> None:
        """Every 30 s: expire undelivered jobs, refresh the state of every directly attached printer.

        A printer whose state was stored in the last ``FRESH_SECONDS`` (a print just asked it) is left
        alone: most receipt printers take one connection at a time, and a status probe must not make
        a visitor's ticket wait.
        """
        self.expire_jobs()
        fresh_after = clock.utcnow() - timedelta(seconds=FRESH_SECONDS)
        fresh = set(db.session.scalars(sa.select(PrinterStatus.code).where(PrinterStatus.checked_at > fresh_after)))
        db.session.rollback()
        for conf in self.site.printers:
            if not self.is_agent(conf.code) and conf.code not in fresh:
                try:
                    self.check(conf.code)
                except Exception:  # one broken printer must not stop the others' checks
                    db.session.rollback()
                    logger.exception("status check of printer %s failed", conf.code)

    def set_state(self, code: str, state: PrinterState | str, message: str) -> None:
        """Store a printer's state; a change is pushed to the dashboards after commit."""
        state = str(state)
        now = clock.utcnow()
        row = db.session.get(PrinterStatus, code)
        if row is None and db.session.execute(insert_or_nothing(PrinterStatus.__table__, {
                "code": code, "state": state, "message": message[:300], "checked_at": now})).rowcount == 1:
            changed = True
        else:
            # two tickets printed at once can both find no row: the second updates the one the first wrote
            row = row if row is not None else db.session.get(PrinterStatus, code)
            changed = row.state != state
            row.state = state
            row.message = message[:300]
            row.checked_at = now
        if changed:
            record(events.printer_changed, {"code": code, "state": state, "message": message[:300]},
                   namespace="/dashboard", to="staff")

    def states(self) -> dict[str, str]:
        """Last known state of every configured printer (``unknown`` until first checked)."""
        rows = {r.code: r.state for r in db.session.scalars(sa.select(PrinterStatus))}
        return {p.code: rows.get(p.code, "unknown") for p in self.site.printers}

    def overview(self) -> list[dict[str, Any]]:
        """``GET /api/printers``: each printer's state and today's job counts."""
        from queue_app.core.site import iso

        rows = {r.code: r for r in db.session.scalars(sa.select(PrinterStatus))}
        start = clock.day_bounds(self.site.tz, clock.local_day(self.site.tz), clock.local_day(self.site.tz))[0]
        counts: dict[str, dict[str, int]] = {}
        for code, state, n in db.session.execute(
            sa.select(PrintJob.printer, PrintJob.state, sa.func.count())
            .where(PrintJob.created_at >= start).group_by(PrintJob.printer, PrintJob.state)
        ):
            counts.setdefault(code, {})[state.value] = n
        out = []
        for p in self.site.printers:
            row = rows.get(p.code)
            out.append({
                "code": p.code,
                "kind": p.kind,
                "profile": p.profile,
                "state": row.state if row else "unknown",
                "message": row.message if row else "",
                "checked_at": iso(row.checked_at) if row else None,
                "kiosks": [k.code for k in self.site.kiosks if k.printer == p.code],
                "jobs_today": {s.value: counts.get(p.code, {}).get(s.value, 0) for s in PrintJobState},
            })
        return out

