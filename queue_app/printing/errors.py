"""Printing's refusals."""

from __future__ import annotations

from queue_app.core.errors import NotFound


class PrinterNotFound(NotFound):
    """No such printer."""

    code = "printer_not_found"
