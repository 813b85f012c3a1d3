"""The notices' refusals (texts in the i18n catalogue, ``errors.<code>``: queue_app/notify/strings.py)."""

from __future__ import annotations

from queue_app.core.errors import QueueError


class TicketFinished(QueueError):
    """This visit is over: no more messages."""

    code = "ticket_finished"


class BadSignature(QueueError):
    """The webhook's X-Hub-Signature-256 is missing or wrong."""

    status_code, code = 401, "bad_signature"


class VerifyRefused(QueueError):
    """The verify token does not match."""

    status_code, code = 403, "verify_refused"
