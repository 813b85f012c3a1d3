"""Printer states and the DLE EOT real-time status decoding shared by drivers and the fake printer.

Bit layout from Epson's ESC/POS reference (DLE EOT n): every answer byte has bit 1 and bit 4
set and bits 0 and 7 clear, which lets us tell a real answer from line noise.
"""

from __future__ import annotations

from enum import StrEnum


class PrinterState(StrEnum):
    """What the server shows on /api/health and the dashboard."""

    ok = "ok"
    offline = "offline"
    paper_low = "paper_low"
    paper_out = "paper_out"
    unknown = "unknown"


class PrintError(Exception):
    """A slip could not be printed; `.state` says why in a form the server can store and show."""

    def __init__(self, state: PrinterState | str, message: str) -> None:
        super().__init__(message)
        self.state = PrinterState(state)
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} ({self.state})"


DLE_EOT = b"\x10\x04"
STATUS_PRINTER = 1  # n=1: printer status
STATUS_OFFLINE = 2  # n=2: offline cause
STATUS_PAPER = 4  # n=4: roll paper sensor
STATUS_QUERIES = (STATUS_PRINTER, STATUS_OFFLINE, STATUS_PAPER)

FIXED_MASK = 0x93  # bits 0, 1, 4, 7
FIXED_VALUE = 0x12  # bits 1 and 4 set, 0 and 7 clear

# n=1 printer status
PRINTER_OFFLINE = 0x08
# n=2 offline cause
OFFLINE_COVER_OPEN = 0x04
OFFLINE_PAPER_END_STOP = 0x20
OFFLINE_ERROR = 0x40
# n=4 paper roll sensor
PAPER_NEAR_END = 0x0C
PAPER_END = 0x60


def query(n: int) -> bytes:
    """The 3-byte DLE EOT request for status n."""
    return DLE_EOT + bytes((n,))


def status_byte(n: int, state: PrinterState, *, cover_open: bool = False) -> int:
    """The answer a healthy Epson-like printer gives to DLE EOT n in `state` (used by the fake printer)."""
    b = FIXED_VALUE
    if n == STATUS_PRINTER and state in (PrinterState.offline, PrinterState.paper_out):
        b |= PRINTER_OFFLINE
    elif n == STATUS_OFFLINE:
        if state is PrinterState.offline:
            b |= OFFLINE_COVER_OPEN if cover_open else OFFLINE_ERROR
        elif state is PrinterState.paper_out:
            b |= OFFLINE_PAPER_END_STOP
    elif n == STATUS_PAPER:
        if state is PrinterState.paper_low:
            b |= PAPER_NEAR_END
        elif state is PrinterState.paper_out:
            b |= PAPER_NEAR_END | PAPER_END
    return b


def _valid(b: int | None) -> bool:
    return b is not None and (b & FIXED_MASK) == FIXED_VALUE


def decode_status(printer: int | None, offline: int | None = None, paper: int | None = None) -> PrinterState:
    """Turn the answers to DLE EOT 1, 2 and 4 into one state; None means "no answer".

    Order matters: paper end also sets the offline bits, so paper_out is checked first, and a
    near-end sensor only matters when the printer is otherwise able to print.
    """
    if printer is None:
        return PrinterState.offline
    answers = [b for b in (printer, offline, paper) if b is not None]
    if not all(_valid(b) for b in answers):
        return PrinterState.unknown
    if paper is not None and paper & PAPER_END:
        return PrinterState.paper_out
    if offline is not None and offline & OFFLINE_PAPER_END_STOP:
        return PrinterState.paper_out
    if printer & PRINTER_OFFLINE:
        return PrinterState.offline
    if offline is not None and offline & (OFFLINE_COVER_OPEN | OFFLINE_ERROR):
        return PrinterState.offline
    if paper is not None and paper & PAPER_NEAR_END:
        return PrinterState.paper_low
    return PrinterState.ok


PRINTABLE_STATES = (PrinterState.ok, PrinterState.paper_low, PrinterState.unknown)


def explain(state: PrinterState) -> str:
    """A short human reason for a state that stops printing."""
    return {
        PrinterState.offline: "printer is offline (cover open, error, or not answering)",
        PrinterState.paper_out: "printer is out of paper",
        PrinterState.paper_low: "printer paper is running low",
        PrinterState.unknown: "printer state is unknown",
        PrinterState.ok: "printer is ready",
    }[state]
