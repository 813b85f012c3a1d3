"""Stored print jobs (they survive restarts and offline printers) and each printer's last known state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from queue_app.core.models.base import Base, enum_column


class PrintJobState(StrEnum):
    """A ticket slip on its way to paper; queued jobs survive restarts and offline printers."""

    queued = auto()
    printed = auto()
    failed = auto()


class PrintJob(Base):
    __tablename__ = "print_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    printer: Mapped[str] = mapped_column(sa.String(32), index=True)
    state: Mapped[PrintJobState] = mapped_column(enum_column(PrintJobState), default=PrintJobState.queued)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The slip as JSON (printers.TicketSlip.to_dict()), so a job prints the same after a restart
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PrinterStatus(Base):
    """Last known state of each printer, written by whichever process checked it, read by /api/health."""

    __tablename__ = "printer_status"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    checked_at: Mapped[datetime]
