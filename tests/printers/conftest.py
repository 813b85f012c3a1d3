"""Fixtures for the printers package: sample slips and a fake network printer on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from printers import TicketSlip
from printers.fakeserver import FakeNetworkPrinter

from .helpers import make_slip


@pytest.fixture
def slip() -> TicketSlip:
    return make_slip()


@pytest.fixture
def fake_printer() -> Iterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter("127.0.0.1", 0).start()
    try:
        yield fake
    finally:
        fake.stop()
