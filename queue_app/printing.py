"""Ticket printing on the server side: stored print jobs, direct printers and their states.

A ticket is committed before anything touches a printer, so a jammed printer can never lose a
ticket; printing then gets a strict time budget and its outcome is stored as a print job.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from printers import PrintError, PrinterState, TicketSlip, make_printer

from . import clock
from .extensions import db
from .models import PrinterStatus, PrintJob, PrintJobState, Ticket
from .siteconfig import SiteConf

logger = logging.getLogger(__name__)


class Printing:
    """Chosen by ``create_app`` from config.toml and kept in ``app.extensions["printing"]``."""

    def __init__(self, app: Flask, site: SiteConf):
        self.app = app
        self.site = site
        self.overrides: dict[str, Any] = {}  # printer code -> Printer (tests install fakes here)

    def printer(self, code: str):  # noqa: ANN201
        if code in self.overrides:
            return self.overrides[code]
        conf = self.site.printer(code)
        if conf is None:
            raise KeyError(code)
        return make_printer(conf)

    def slip_for(self, ticket: Ticket) -> TicketSlip:
        from .schemas import ticket_public

        view = ticket_public(ticket)
        return TicketSlip(
            site_name=self.site.name,
            agency_name=ticket.service.agency.name,
            service_name=ticket.service.name,
            number=ticket.number,
            issued_at=ticket.issued_at.astimezone(self.site.tz),
            ahead=view["ahead"],
            estimated_wait_seconds=view["estimated_wait_seconds"],
            track_url=f"{self.site.base_url}/t/{ticket.token}",
            footer=self.site.ticket_footer,
            priority=ticket.priority,
            locale=self.site.locale,
        )

    def print_ticket(self, ticket: Ticket, kiosk: str | None) -> dict[str, Any]:
        """Print a freshly committed ticket at the kiosk's printer; never raises.

        :return: the contract's ``print`` object: ``{"status": printed|queued|failed|none, "error"}``.
        """
        kiosk_conf = self.site.kiosk(kiosk) if kiosk else None
        if kiosk_conf is None or kiosk_conf.printer is None:
            return {"status": "none", "error": None}
        return self.submit(ticket, kiosk_conf.printer)

    def submit(self, ticket: Ticket, printer_code: str) -> dict[str, Any]:
        """Store a print job and try it once now."""
        now = clock.utcnow()
        job = PrintJob(ticket_id=ticket.id, printer=printer_code, state=PrintJobState.queued, attempts=0,
                       last_error="", payload=self.slip_for(ticket).to_dict(), created_at=now, updated_at=now,
                       expires_at=now + timedelta(minutes=self.site.print_job_expiry_minutes))
        db.session.add(job)
        db.session.commit()
        return self.attempt(job)

    def attempt(self, job: PrintJob) -> dict[str, Any]:
        """Send one stored job to its printer and record the outcome."""
        conf = self.site.printer(job.printer)
        if conf is not None and conf.kind == "agent" and job.printer not in self.overrides:
            return {"status": "queued", "error": "waiting for the print agent"}
        slip = TicketSlip.from_dict(job.payload)
        job.attempts += 1
        try:
            self.printer(job.printer).print_slip(slip)
        except PrintError as exc:
            job.state = PrintJobState.failed
            job.last_error = str(exc)[:300]
            self._set_state(job.printer, exc.state, str(exc))
            result = {"status": "failed", "error": job.last_error}
        except Exception as exc:  # a driver bug must not turn a valid ticket into a 500
            logger.exception("printer %s failed", job.printer)
            job.state = PrintJobState.failed
            job.last_error = f"printer error: {exc}"[:300]
            self._set_state(job.printer, PrinterState.offline, job.last_error)
            result = {"status": "failed", "error": job.last_error}
        else:
            job.state = PrintJobState.printed
            job.last_error = ""
            self._set_state(job.printer, PrinterState.ok, "")
            result = {"status": "printed", "error": None}
        job.updated_at = clock.utcnow()
        db.session.commit()
        return result

    def last_result(self, ticket: Ticket) -> dict[str, Any]:
        """The print outcome of an already issued ticket (for an idempotent repeat)."""
        job = db.session.scalar(sa.select(PrintJob).where(PrintJob.ticket_id == ticket.id)
                                .order_by(PrintJob.id.desc()).limit(1))
        if job is None:
            return {"status": "none", "error": None}
        return {"status": job.state.value, "error": job.last_error or None}

    def dispatch(self, job_ids: set[int]) -> None:
        """Deliver queued jobs (used by the agent hub)."""

    def check(self, code: str) -> PrinterState:
        """Ask a printer for its state now and store it; agent printers report their own."""
        conf = self.site.printer(code)
        if conf is not None and conf.kind == "agent" and code not in self.overrides:
            row = db.session.get(PrinterStatus, code)
            return PrinterState(row.state) if row else PrinterState.unknown
        try:
            state = self.printer(code).status()
            message = ""
        except PrintError as exc:
            state, message = exc.state, str(exc)
        self._set_state(code, state, message)
        db.session.commit()
        return state

    def housekeeping(self) -> None:
        """Refresh the stored state of every directly attached printer."""
        for conf in self.site.printers:
            if conf.kind != "agent":
                self.check(conf.code)

    def _set_state(self, code: str, state: PrinterState | str, message: str) -> None:
        row = db.session.get(PrinterStatus, code)
        if row is None:
            row = PrinterStatus(code=code, state=str(state), message=message, checked_at=clock.utcnow())
            db.session.add(row)
        row.state = str(state)
        row.message = message[:300]
        row.checked_at = clock.utcnow()

    def states(self) -> dict[str, str]:
        """Last known state of every configured printer (``unknown`` until first checked)."""
        rows = {r.code: r.state for r in db.session.scalars(sa.select(PrinterStatus))}
        return {p.code: rows.get(p.code, "unknown") for p in self.site.printers}
