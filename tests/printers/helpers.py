"""Helpers the printers tests import by name: sample slips and the printer profiles they are printed on."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from printers import TicketSlip

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
