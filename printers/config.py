"""One `[[printers]]` entry of config.toml as a frozen dataclass, validated without the web app."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

KINDS = ("network", "usb", "serial", "file", "dummy", "agent")


@dataclass(frozen=True)
class PrinterConfig:
    """How to reach one printer. Only the fields of its `kind` matter."""

    code: str
    kind: str  # network | usb | serial | file | dummy | agent
    host: str | None = None
    port: int = 9100
    profile: str = "TM-T82II"  # python-escpos capability profile (or an alias in printers.profiles)
    path: str | None = None  # file: output file or directory; serial: device, e.g. /dev/ttyUSB0
    baudrate: int = 9600
    usb_vendor: int | None = None
    usb_product: int | None = None
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    timeout: float = 2.0  # seconds for each connect / read / write
    total_timeout: float = 2.8  # hard cap for one print_slip or status(); issue never waits > 3 s
    status_query: bool = True  # False for printers that never answer DLE EOT (status becomes "unknown")
    cut: bool | None = None  # None: cut when the profile has a cutter; True/False override the profile
    timezone: str | None = None  # file: the zone naming each job's file (the site's); None = this computer's

    def __post_init__(self) -> None:
        if not self.code or not isinstance(self.code, str):
            raise ValueError("printer code must be a non-empty string")
        if self.kind not in KINDS:
            raise ValueError(
                f"printer {self.code}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
            )
        if self.kind == "network" and not self.host:
            raise ValueError(f"printer {self.code}: network printers need a host")
        if not 0 < self.port < 65536:
            raise ValueError(f"printer {self.code}: port must be 1-65535")
        if self.kind == "usb" and (self.usb_vendor is None or self.usb_product is None):
            raise ValueError(f"printer {self.code}: usb printers need usb_vendor and usb_product")
        if self.kind in ("serial", "file") and not self.path:
            raise ValueError(f"printer {self.code}: {self.kind} printers need a path")
        if self.timeout <= 0 or self.total_timeout <= 0:
            raise ValueError(f"printer {self.code}: timeouts must be positive")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PrinterConfig:
        """Build from a parsed TOML table; USB ids may be ints or strings like "0x04b8"."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"printer {d.get('code', '?')}: unknown keys {', '.join(unknown)}")
        kwargs = dict(d)
        for key in ("usb_vendor", "usb_product", "usb_in_ep", "usb_out_ep"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = int(kwargs[key], 0)
        return cls(**kwargs)
