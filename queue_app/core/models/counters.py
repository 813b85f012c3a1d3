"""Counters (loket) and the services each serves in priority order."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base, enum_column

if TYPE_CHECKING:
    from queue_app.core.models.services import Service
    from queue_app.queue.models import Ticket


class CounterState(StrEnum):
    """Whether a counter takes calls; a paused counter keeps its current ticket."""

    open = auto()
    paused = auto()


class Counter(Base):
    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    zone: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[CounterState] = mapped_column(enum_column(CounterState), default=CounterState.open)
    #: The ticket this counter called last and has not finished yet
    current_ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", use_alter=True, name="fk_counters_current_ticket_id_tickets")
    )
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    #: When the counter last changed state (pause/resume), for the dashboard
    state_since: Mapped[datetime | None]

    current_ticket: Mapped[Ticket | None] = relationship(foreign_keys=[current_ticket_id], post_update=True)
    service_links: Mapped[list[CounterService]] = relationship(
        back_populates="counter", order_by="CounterService.position", cascade="all, delete-orphan"
    )

    @property
    def services(self) -> list[Service]:
        return [link.service for link in self.service_links]

    def __repr__(self) -> str:
        return f"<Counter {self.code}>"


class CounterService(Base):
    """A counter serves a service; ``position`` is its call order at that counter."""

    __tablename__ = "counter_services"

    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    counter: Mapped[Counter] = relationship(back_populates="service_links")
    service: Mapped[Service] = relationship(back_populates="counter_links")
