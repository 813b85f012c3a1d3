"""Paper geometry from python-escpos capability profiles.

python-escpos' capabilities database lacks some printers sold in Indonesia (the Epson TM-T82
family is the usual MPP kiosk printer), so a few aliases map them onto a profile with the same
print head. The dot width decides the paper: up to 432 dots is 58 mm paper, more is 80 mm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ALIASES = {
    # Epson TM-T82 family: 80 mm paper, 72 mm / 576 dots at 203 dpi, 48 columns (like TM-T20II)
    "TM-T82": "TM-T20II",
    "TM-T82II": "TM-T20II",
    "TM-T82III": "TM-T20II",
    "TM-T82X": "TM-T20II",
    # generic Chinese 58 mm printers sold as "POS-58"
    "POS-58": "POS-5890",
}

FALLBACK_DOTS = 576
FALLBACK_DPI = 203


@dataclass(frozen=True)
class Paper:
    """What the layout needs to know about a printer profile."""

    profile: str  # the python-escpos profile actually used
    dots: int  # printable width in dots
    dpi: int
    columns: int  # characters per line in font A at normal size
    paper_mm: int  # 58 or 80
    cutter: bool  # the profile has an autocutter (GS V)

    @property
    def name(self) -> str:
        return f"{self.paper_mm} mm"


def capabilities() -> dict[str, Any]:
    """python-escpos' printer database.

    Importing `escpos.capabilities` calls `logging.basicConfig()`, which would install a root
    handler in the server before the app configures logging; a NullHandler held during the
    import makes that call a no-op.
    """
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        from escpos.capabilities import CAPABILITIES
    finally:
        root.removeHandler(guard)
    return CAPABILITIES  # type: ignore[no-any-return]


def escpos_profile_name(name: str) -> str:
    """The python-escpos profile name for `name` (which may be one of our aliases)."""
    caps = capabilities()
    real = ALIASES.get(name, name)
    if real not in caps["profiles"]:
        raise ValueError(f"unknown printer profile {name!r}")
    return real


@lru_cache(maxsize=64)
def paper_for(name: str) -> Paper:
    """Paper geometry for a profile name; raises ValueError for an unknown profile."""
    caps = capabilities()

    real = escpos_profile_name(name)
    data = caps["profiles"][real]
    width = data.get("media", {}).get("width", {})
    dots = width.get("pixels")
    dots = dots if isinstance(dots, int) else FALLBACK_DOTS
    dpi = data.get("media", {}).get("dpi")
    dpi = dpi if isinstance(dpi, int) else FALLBACK_DPI
    fonts = data.get("fonts", {})
    columns = fonts.get("0", {}).get("columns") if fonts else None
    if not isinstance(columns, int) or columns < 16:
        columns = 32 if dots <= 432 else 42
    features = data.get("features", {})
    cutter = bool(features.get("paperFullCut") or features.get("paperPartCut"))
    return Paper(
        profile=real, dots=dots, dpi=dpi, columns=columns, paper_mm=58 if dots <= 432 else 80, cutter=cutter
    )
