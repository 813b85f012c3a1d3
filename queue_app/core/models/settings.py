"""Site-wide settings edited at run time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from queue_app.core.models.base import Base

#: keys of :class:`Setting` rows more than one package reads
RUNNING_TEXT = "running_text"
#: the hall displays' notices: a list of ``{"title", "text"}``
DISPLAY_NOTICES = "display_notices"


class Setting(Base):
    """A value an admin changes without editing config.toml (e.g. the display's running text)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
