"""A recorder that stands in for a printer in the server's unit tests (no sockets, no bytes)."""

from __future__ import annotations

from .slip import TicketSlip
from .status import PrintError, PrinterState, explain

FAILING_STATES = (PrinterState.offline, PrinterState.paper_out)


class FakePrinter:
    """Records slips; set `.state` to make the next print fail or report paper_low."""

    def __init__(self, code: str = "fake", state: PrinterState = PrinterState.ok) -> None:
        self.code = code
        self.state = PrinterState(state)
        self.slips: list[TicketSlip] = []
        self.tests: list[str] = []
        self.attempts = 0

    @property
    def last_state(self) -> PrinterState:
        return self.state

    def status(self) -> PrinterState:
        return self.state

    def print_slip(self, slip: TicketSlip) -> None:
        self.attempts += 1
        if self.state in FAILING_STATES:
            raise PrintError(self.state, f"printer {self.code}: {explain(self.state)}")
        self.slips.append(slip)

    def print_test(self, site_name: str) -> None:
        self.attempts += 1
        if self.state in FAILING_STATES:
            raise PrintError(self.state, f"printer {self.code}: {explain(self.state)}")
        self.tests.append(site_name)
