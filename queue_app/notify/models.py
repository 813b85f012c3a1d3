"""Messages to visitors (WhatsApp or a gateway): one row per message, written in the transaction of the change
that causes it, sent after commit by the sender (:mod:`queue_app.notify.sender`), kept for the messages' list
and the dashboard, its number erased with the visit's personal data (queue_app/privacy)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from queue_app.core.models.base import Base, enum_column
from queue_app.privacy.registry import PersonalData, register


class MessageKind(StrEnum):
    """When a message goes (docs/notify.md, "Kinds")."""

    issued = auto()
    ahead = auto()
    come_now = auto()
    called = auto()
    missed = auto()
    done = auto()
    booked = auto()
    reminder = auto()
    notice = auto()


class MessageState(StrEnum):
    """``queued`` until the provider took it (``sent``); its status webhooks then say ``delivered``, ``read``
    or ``failed``. A 4xx answer, or retries given up, is ``failed`` too."""

    queued = auto()
    sent = auto()
    delivered = auto()
    read = auto()
    failed = auto()


#: a webhook moves a message forward only (a late "delivered" never undoes "read")
STATE_ORDER = {MessageState.queued: 0, MessageState.sent: 1, MessageState.delivered: 2, MessageState.read: 3,
               MessageState.failed: 4}


class Message(Base):
    __tablename__ = "notify_messages"
    __table_args__ = (
        # the sender's work: queued messages by the time of their next attempt
        sa.Index("ix_notify_messages_due", "next_attempt_at", sqlite_where=sa.text("status = 'queued'"),
                 postgresql_where=sa.text("status = 'queued'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    #: the number, digits starting 62; None once erased (the visit's personal data, or the visitor withdrew it)
    to: Mapped[str | None] = mapped_column(sa.String(20))
    #: the visitor's language ("id" or "en"): the gateway's text; WhatsApp uses the template's language
    lang: Mapped[str] = mapped_column(sa.String(2), default="id")
    #: the template's parameters in order (number or code first; the counter's name second for ``called``)
    params: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    status: Mapped[MessageState] = mapped_column(enum_column(MessageState), default=MessageState.queued,
                                                 active_history=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: queued: not before this instant (a retry's wait, or a sender's claim while it sends)
    next_attempt_at: Mapped[datetime]
    #: the provider's id of the message (WhatsApp's ``wamid...``), for its status webhooks
    provider_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    #: the last status from the provider's webhook (delivered, read...)
    status_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    #: a message that goes once (``ahead:<ticket>``, ``reminder-day:<booking>``...): a second one is not written,
    #: whichever process tries
    once_key: Mapped[str | None] = mapped_column(sa.String(60), unique=True)

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind} {self.status}>"


register(PersonalData(
    name="notify_message", label="privacy.kind_notify_message", key=Message.id, phone=Message.to,
    erase=(Message.to,), since=Message.created_at,
    show=(Message.kind, Message.to, Message.status, Message.created_at),
))
