"""Ticket printing for mpp-queue: layout, ESC/POS drivers, a fake printer and the print agent.

Runs without Flask or SQLAlchemy: the print agent uses this package alone on a kiosk PC.
"""

from .config import PrinterConfig
from .render import render_escpos, render_png
from .slip import TicketSlip
from .status import PrintError, PrinterState
from .transports import Printer, make_printer

__all__ = [
    "Printer",
    "PrinterConfig",
    "PrinterState",
    "PrintError",
    "TicketSlip",
    "make_printer",
    "render_escpos",
    "render_png",
]
