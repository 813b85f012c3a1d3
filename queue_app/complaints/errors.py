"""The complaints' expected failures."""

from __future__ import annotations

from queue_app.core.errors import NotFound, ValidationFailed


class ComplaintNotFound(NotFound):
    """No such complaint."""

    code = "complaint_not_found"


class InvalidPhone(ValidationFailed):
    """A phone number must look like 08…, +62… or 62… (spaces and dashes allowed)."""

    code = "invalid_phone"
