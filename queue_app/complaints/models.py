"""Complaints, the staff's answers to them, and the per-month counter behind their references.

A complaint keeps the agency it was routed to (its service's, or its ticket's service's) and the local day it
was received, so the inbox and the figures group without joining tickets, and a later change of a service's
agency does not move an old complaint. The name, phone and email given with it are personal data: they are
kept only as long as ``contact_day`` (the last day they were needed) plus the site's retention allows.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum, auto

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base, enum_column


class ComplaintStatus(StrEnum):
    """Where a complaint stands: received, being handled, resolved."""

    received = auto()
    in_progress = auto()
    resolved = auto()


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        sa.Index("ix_complaints_received_day", "received_day"),
        sa.Index("ix_complaints_agency_status", "agency_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what a person reads out on the phone: ``ADU-2612-0042`` (year, month, number within the month)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: the visitor's link (``/pengaduan/<token>``): at least 128 random bits; never shown to staff
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"))
    #: the agency that must answer (None: the service was not named; the MPP's management answers)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: the visit it is about, when sent from the phone page of a ticket
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus), default=ComplaintStatus.received)
    received_at: Mapped[datetime]
    #: local (site time zone) day it was received
    received_day: Mapped[date]
    #: the last local day of the answer's deadline: ``[complaints] respond_within_days`` working days later
    respond_by: Mapped[date]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    #: the complaint's number at SP4N-LAPOR! when it was forwarded there ("" when not)
    lapor: Mapped[str] = mapped_column(sa.String(64), default="")
    #: the language of the page it came from: answers and notices speak it
    lang: Mapped[str] = mapped_column(sa.String(2), default="id")
    #: optional contact details (personal data; erased by the privacy housekeeping, see ``contact_day``)
    name: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: the last local day the contact details were needed (received, answered); None once there are none
    contact_day: Mapped[date | None] = mapped_column(index=True)

    responses: Mapped[list[ComplaintResponse]] = relationship(
        back_populates="complaint", order_by="ComplaintResponse.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Complaint {self.reference} {self.status}>"


class ComplaintResponse(Base):
    """One answer of the staff; the visitor sees its time and text, never who wrote it."""

    __tablename__ = "complaint_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(sa.Text)
    #: the complaint's status after this answer
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus))
    #: the SP4N-LAPOR! number given with this answer ("" when none)
    lapor: Mapped[str] = mapped_column(sa.String(64), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    complaint: Mapped[Complaint] = relationship(back_populates="responses")

    def __repr__(self) -> str:
        return f"<ComplaintResponse {self.complaint_id} {self.status}>"


class ComplaintNumber(Base):
    """The last complaint number of a month (``2612``), bumped atomically for each new reference."""

    __tablename__ = "complaint_numbers"

    month: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
