"""Fixtures for the printers package: sample slips and a fake network printer on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from printers import TicketSlip
from printers.fakeserver import FakeNetworkPrinter

JAKARTA = ZoneInfo("Asia/Jakarta")
TRACK_URL = "http://mpp.test/t/Xq3v9LrT2bKcNw8ZpYe4"

PROFILE_80 = "TM-T82II"  # alias of TM-T20II: 576 dots, 48 columns, cutter
PROFILE_58 = "RP-F10-58mm"  # Seiko 58 mm: 432 dots, 36 columns, cutter
PROFILE_58_NO_CUTTER = "POS-5890"  # 57.5 mm generic, 384 dots, tear bar


def make_slip(**overrides: object) -> TicketSlip:
    values: dict[str, object] = {
        "site_name": "MPP Kota Cilegon",
        "agency_name": "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        "service_name": "Perizinan Berusaha",
        "number": "A-007",
        "issued_at": datetime(2026, 11, 28, 8, 15, 2, tzinfo=JAKARTA),
        "ahead": 3,
        "estimated_wait_seconds": 900,
        "track_url": TRACK_URL,
        "footer": "Terima kasih atas kunjungan Anda",
    }
    values.update(overrides)
    return TicketSlip(**values)  # type: ignore[arg-type]


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
