"""Days an admin closes the whole building (a sudden closure, an office event), next to config.toml's holidays."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from queue_app.core.models.base import Base


class SiteClosure(Base):
    """One local day the site is closed with a reason; the calendar treats it as a holiday named by the reason.

    It lives in core (not a feature package) because the calendar, which is core, must read it.
    """

    __tablename__ = "site_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the site's local day; one closure per day (a second one replaces the reason)
    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
