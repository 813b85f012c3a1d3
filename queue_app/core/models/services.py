"""Agencies (OPD) and their services; each service is one queue."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base

if TYPE_CHECKING:
    from queue_app.core.models.counters import CounterService


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: False once the agency is gone from config.toml; kept for history
    active: Mapped[bool] = mapped_column(default=True)

    services: Mapped[list[Service]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    #: One to three letters; not unique in the table because a removed service keeps its old prefix
    prefix: Mapped[str] = mapped_column(sa.String(3))
    target_wait_minutes: Mapped[int] = mapped_column(default=15)
    hours_start: Mapped[time | None]
    hours_end: Mapped[time | None]
    #: 0 means unlimited
    daily_quota: Mapped[int] = mapped_column(default=0)
    #: Prior for the wait estimate until the service has history of its own
    typical_service_seconds: Mapped[int] = mapped_column(default=300)
    #: Position in config.toml, so every screen lists services in the order the site chose
    position: Mapped[int] = mapped_column(default=0)
    #: False once the service is gone from config.toml; its tickets stay for the statistics
    active: Mapped[bool] = mapped_column(default=True)
    #: Closed for one local day by an admin (e.g. "sistem OSS sedang gangguan"); the kiosk shows the reason
    closed_on: Mapped[date | None]
    closed_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    agency: Mapped[Agency] = relationship(back_populates="services")
    counter_links: Mapped[list[CounterService]] = relationship(back_populates="service")

    def __repr__(self) -> str:
        return f"<Service {self.code} {self.prefix}>"
