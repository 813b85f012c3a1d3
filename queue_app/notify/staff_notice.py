"""Staff's notice to everyone waiting (``POST /api/services/<code>/notice``, :mod:`queue_app.queue.notice`):
the queue announces it with ``service_notice_sent``; here each waiting ticket's phone gets a ``notice`` message
(:func:`~queue_app.notify.operations.notify_waiting`), and the count goes back as the notice's ``recipients``."""

from __future__ import annotations

from typing import Any

from queue_app.core.models import Service
from queue_app.queue.signals import service_notice_sent
from queue_app.staff.models import User

from .operations import notify_waiting


def on_service_notice(service: Service, *, text: str, actor: User | None = None, **_: Any) -> int:  # noqa: ANN401
    """:return: the messages written (one per waiting ticket with a phone)."""
    return notify_waiting(service, text, actor)


def connect() -> None:
    """Answer the queue's notices (once per process)."""
    service_notice_sent.connect(on_service_notice, weak=False)
