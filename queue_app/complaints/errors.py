"""The complaints' expected failures."""

from __future__ import annotations

from queue_app.core.errors import NotFound
from queue_app.core.phones import InvalidPhone

__all__ = ["ComplaintNotFound", "InvalidPhone"]


class ComplaintNotFound(NotFound):
    """No such complaint."""

    code = "complaint_not_found"
