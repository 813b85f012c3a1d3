"""One satisfaction survey answer per finished ticket (SKM, PermenPANRB 14/2017).

The row keeps where the visit ended (service, agency, counter) and the local day it was finished,
copied from the ticket when the answer arrives, so the IKM report groups answers without joining the
ticket log, and a later transfer or rename cannot move an answer. The clerk is deliberately not
stored: answers are never shown to the clerk concerned.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum, auto

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from queue_app.core.models.base import Base, enum_column

ANSWER_COLUMNS = tuple(f"u{i}" for i in range(1, 10))


class SurveyChannel(StrEnum):
    """Where the answer came from: the visitor's phone page or the tablet at the counter."""

    phone = auto()
    tablet = auto()


def _answer() -> Mapped[int]:
    return mapped_column(sa.SmallInteger)


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        *(sa.CheckConstraint(f"{c} BETWEEN 1 AND 4", name=f"{c}_scale") for c in ANSWER_COLUMNS),
        sa.CheckConstraint("gender IS NULL OR gender IN ('L', 'P')", name="gender"),
        sa.Index("ix_survey_responses_day_service", "finished_day", "service_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one answer per ticket, whichever way it comes: the unique index decides a race
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), unique=True)
    #: the service the ticket ended in and its agency (the report counts the survey there)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    counter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counters.id"))
    #: local (site time zone) day the ticket was finished
    finished_day: Mapped[date]
    u1: Mapped[int] = _answer()
    u2: Mapped[int] = _answer()
    u3: Mapped[int] = _answer()
    u4: Mapped[int] = _answer()
    u5: Mapped[int] = _answer()
    u6: Mapped[int] = _answer()
    u7: Mapped[int] = _answer()
    u8: Mapped[int] = _answer()
    u9: Mapped[int] = _answer()
    #: optional respondent profile: "L" or "P", age in years, free short texts
    gender: Mapped[str | None] = mapped_column(sa.String(1))
    age: Mapped[int | None] = mapped_column(sa.SmallInteger)
    education: Mapped[str | None] = mapped_column(sa.String(64))
    occupation: Mapped[str | None] = mapped_column(sa.String(64))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime]
    channel: Mapped[SurveyChannel] = mapped_column(enum_column(SurveyChannel))

    def answers(self) -> list[int]:
        return [getattr(self, c) for c in ANSWER_COLUMNS]

    def __repr__(self) -> str:
        return f"<SurveyResponse ticket={self.ticket_id}>"


class ActionStatus(StrEnum):
    """Where a follow-up action stands."""

    planned = auto()
    in_progress = auto()
    done = auto()


class IkmAction(Base):
    """One follow-up action (rencana tindak lanjut) on an element of a month's survey, usually its weakest ones:
    what will be done, who answers for it, by when, and the evidence once it is done. Published with the IKM."""

    __tablename__ = "ikm_actions"
    __table_args__ = (
        sa.Index("ix_ikm_actions_period", "period", "agency_id"),
        sa.CheckConstraint("unsur IN ('U1','U2','U3','U4','U5','U6','U7','U8','U9')", name="unsur"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the surveyed month it follows up, ``2026-12``
    period: Mapped[str] = mapped_column(sa.String(7))
    #: the element (U1..U9) it improves
    unsur: Mapped[str] = mapped_column(sa.String(3))
    #: the agency whose service it concerns (None: the whole MPP)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    action: Mapped[str] = mapped_column(sa.Text)
    #: who answers for it (a position or a unit, as the agency writes it)
    owner: Mapped[str] = mapped_column(sa.String(120))
    due: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.planned)
    #: what shows it was done (a document's number, a link, a description)
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<IkmAction {self.period} {self.unsur} {self.status}>"
