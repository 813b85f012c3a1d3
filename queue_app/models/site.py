"""Site-wide settings edited at run time, the admin audit log, and stored print jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_column


class Setting(Base):
    """A value an admin changes without editing config.toml (e.g. the display's running text)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class AuditEntry(Base):
    """Who changed what and when, for every admin action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


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
