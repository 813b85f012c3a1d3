"""Notify shapes: a visitor's number for a ticket, the messages of a visit, the provider's health."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, RootModel

from queue_app.api.declare import Answer, Phone, Shape
from queue_app.api.shapes import Moment

Lang = Literal["id", "en"]
Kind = Literal["issued", "ahead", "come_now", "called", "missed", "done", "booked", "reminder", "notice"]
Status = Literal["queued", "sent", "delivered", "read", "failed"]


class PhoneBody(Shape):
    """A number for this visit's notices (08…, +62…, 62…; spaces and dashes allowed)."""

    phone: Phone
    lang: Lang | None = Field(None, description="the language of the messages (default: the site's)")


class TicketPhone(Answer):
    """Whether this ticket's visitor gets notices, and to which number (masked)."""

    phone: str | None = Field(description='masked, e.g. "6281******22"; null: no number, no messages')
    notices: bool = Field(description="messages go to this number (notices are on and the ticket is not finished)")


class MessageView(Answer):
    kind: Kind
    to: str | None = Field(description='masked, e.g. "6281******22"; null once erased')
    status: Status
    attempts: int
    created_at: Moment
    sent_at: Moment


class MessageList(RootModel[list[MessageView]]):
    """The messages of one ticket or booking, in order of creation."""


class NotifyHealth(Answer):
    """The provider's health for the dashboard."""

    provider: str | None
    queued: int
    failed_last_hour: int
    last_sent_at: Moment
    last_error: str | None


class WebhookAnswer(Answer):
    ok: bool
    moved: int | None = Field(description="messages whose status moved; null: written within a moment by the "
                                          "server's sender")
