"""Fixtures for the printers package: sample slips and a fake network printer on a free port."""

from __future__ import annotations

import pytest

from printers import TicketSlip

from .helpers import make_slip


@pytest.fixture
def slip() -> TicketSlip:
    return make_slip()

