"""Staff users, their counters, their API tokens and the audit log of admin actions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from queue_app.core.models.base import Base, enum_column

if TYPE_CHECKING:
    from queue_app.core.models import Agency, Counter


class Role(StrEnum):
    """What a staff member may do: clerks serve at their counters, managers watch, admins run the site."""

    clerk = auto()
    manager = auto()
    admin = auto()


user_counters = sa.Table(
    "user_counters",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("counter_id", sa.ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Werkzeug hash string (scrypt); never the password itself
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(default=True)
    #: A manager scoped to one agency sees only that agency on the dashboard
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    created_at: Mapped[datetime]
    #: Bumped on password reset or disable so existing sessions stop working
    session_version: Mapped[int] = mapped_column(default=1)
    #: Set for a generated password (the first admin): sign-in leads to the change-password page first
    #: and bearer tokens are refused until it is changed
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    counters: Mapped[list[Counter]] = relationship(secondary=user_counters, order_by="Counter.position")
    agency: Mapped[Agency | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    sessions: Mapped[list[StaffSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def may_use_counter(self, counter: Counter) -> bool:
        """Admins act for any counter, clerks only for the ones assigned to them, managers for none."""
        if self.role is Role.admin:
            return True
        return self.role is Role.clerk and any(c.id == counter.id for c in self.counters)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored so a database leak does not leak sessions."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="tokens")


class StaffSession(Base):
    """A browser signed in as a staff user: the cookie is signed, but it is this row that keeps it valid.

    Flask's session lives in the cookie, so without a row a copied cookie would work until it expired, and a
    sign-out would only forget it in the one browser. The cookie holds a random tag; only its SHA-256 is
    stored (a database dump opens no session). Signing out, changing one's password (the other sessions),
    a password reset and disabling the user delete rows; housekeeping deletes the ones left idle.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random tag the session cookie holds
    tag_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    #: Last sign of the person at the browser, kept to within a few minutes (housekeeping ends idle ones)
    seen_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<StaffSession {self.id} of user {self.user_id}>"


class AuditEntry(Base):
    """Who changed what and when, for every admin action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
