"""Load and validate config.toml, the one file that describes a site.

A bad file is refused at start with a message naming the key and the problem, because a
half-loaded site (a counter pointing at a service that does not exist...) fails later in
front of a visitor instead of in front of the person editing the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from printers import PrinterConfig

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
HOURS_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
PRINTER_KINDS = ("network", "usb", "serial", "file", "dummy", "agent")
LOCALES = ("id", "en")


class ConfigError(ValueError):
    """config.toml is missing, unreadable or invalid; the message names the key."""


@dataclass(frozen=True)
class AgencyConf:
    code: str
    name: str


@dataclass(frozen=True)
class ServiceConf:
    code: str
    agency: str
    name: str
    prefix: str
    target_wait_minutes: int = 15
    hours: tuple[time, time] | None = None
    daily_quota: int = 0
    #: Minutes one visitor usually takes; the estimate's starting point until real history exists
    typical_service_minutes: float = 5.0
    name_en: str = ""


@dataclass(frozen=True)
class CounterConf:
    code: str
    name: str
    zone: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class KioskConf:
    code: str
    printer: str | None = None
    services: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class DisplayConf:
    running_text: str = ""
    number_reading: str = "digits"  # digits | whole
    voice: str = "segments"  # segments | speech
    recent_calls: int = 6


@dataclass(frozen=True)
class SiteConf:
    """Everything config.toml says, validated; paths already resolved."""

    name: str
    timezone: str
    locale: str
    base_url: str
    database_url: str
    message_queue: str
    agencies: tuple[AgencyConf, ...]
    services: tuple[ServiceConf, ...]
    counters: tuple[CounterConf, ...]
    printers: tuple[PrinterConfig, ...]
    kiosks: tuple[KioskConf, ...]
    display: DisplayConf = field(default_factory=DisplayConf)
    ticket_footer: str = ""
    print_job_expiry_minutes: int = 30
    token_hours: int = 12
    session_idle_minutes: int = 60
    recall_warn_after: int = 3
    #: [kiosk]: seconds without a touch before a kiosk returns to its start screen
    kiosk_idle_seconds: int = 60
    #: [kiosk]: seconds the confirmation screen stays up after a printed ticket
    kiosk_confirm_seconds: int = 8
    path: Path | None = None
    instance_dir: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def service(self, code: str) -> ServiceConf | None:
        return next((s for s in self.services if s.code == code), None)

    def printer(self, code: str) -> PrinterConfig | None:
        return next((p for p in self.printers if p.code == code), None)

    def kiosk(self, code: str) -> KioskConf | None:
        return next((k for k in self.kiosks if k.code == code), None)

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.zone for c in self.counters))


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Pick the file: the explicit path, else $MPP_QUEUE_CONFIG, else ./config.toml."""
    return Path(path or os.environ.get("MPP_QUEUE_CONFIG") or "config.toml")


def load_site_config(path: str | os.PathLike[str] | None = None) -> SiteConf:
    """Read, validate and return the site configuration.

    :raise ConfigError: with a message such as ``services[2].prefix: duplicate prefix "A"``.
    """
    p = resolve_config_path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (use --config PATH or $MPP_QUEUE_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return parse_site_config(raw, base_dir=p.resolve().parent, path=p)


def parse_site_config(raw: dict[str, Any], *, base_dir: Path, path: Path | None = None) -> SiteConf:
    """Validate a parsed TOML document; see :func:`load_site_config`."""
    v = _Validator(raw)
    site = v.table("site")
    name = v.string(site, "site.name")
    tz = v.string(site, "site.timezone", default="Asia/Jakarta")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f'site.timezone: unknown time zone "{tz}" (use an IANA name such as "Asia/Jakarta")') from None
    locale = v.string(site, "site.locale", default="id")
    if locale not in LOCALES:
        raise ConfigError(f'site.locale: must be "id" or "en", not "{locale}"')
    base_url = v.string(site, "site.base_url", default="http://127.0.0.1:8000").rstrip("/")
    if not re.match(r"^https?://[^/\s]+", base_url):
        raise ConfigError(f'site.base_url: must be an absolute http(s) URL, not "{base_url}"')
    footer = v.string(site, "site.ticket_footer", default="")

    server = v.table("server", required=False)
    database_url = os.environ.get("MPP_QUEUE_DATABASE_URL") or v.string(
        server, "server.database_url", default="sqlite:///instance/queue.db"
    )
    database_url = _absolute_sqlite_url(database_url, base_dir)
    message_queue = os.environ.get("MPP_QUEUE_MESSAGE_QUEUE", None)
    if message_queue is None:
        message_queue = v.string(server, "server.message_queue", default="")
    token_hours = v.integer(server, "server.token_hours", default=12, minimum=1)
    idle = v.integer(server, "server.session_idle_minutes", default=60, minimum=1)

    agencies = tuple(_agency(v, a, i) for i, a in enumerate(v.array("agencies")))
    _unique(agencies, "agencies", "code")
    agency_codes = {a.code for a in agencies}

    services = tuple(_service(v, s, i, agency_codes) for i, s in enumerate(v.array("services")))
    _unique(services, "services", "code")
    _unique(services, "services", "prefix")
    service_codes = {s.code for s in services}

    counters = tuple(_counter(v, c, i, service_codes) for i, c in enumerate(v.array("counters", required=False)))
    _unique(counters, "counters", "code")

    printers = tuple(_printer(v, p, i, base_dir) for i, p in enumerate(v.array("printers", required=False)))
    _unique(printers, "printers", "code")
    printer_codes = {p.code for p in printers}

    kiosks = tuple(
        _kiosk(v, k, i, service_codes, printer_codes) for i, k in enumerate(v.array("kiosks", required=False))
    )
    _unique(kiosks, "kiosks", "code")

    disp = v.table("display", required=False)
    reading = v.string(disp, "display.number_reading", default="digits")
    if reading not in ("digits", "whole"):
        raise ConfigError(f'display.number_reading: must be "digits" or "whole", not "{reading}"')
    voice = v.string(disp, "display.voice", default="segments")
    if voice not in ("segments", "speech"):
        raise ConfigError(f'display.voice: must be "segments" or "speech", not "{voice}"')
    display = DisplayConf(
        running_text=v.string(disp, "display.running_text", default=""),
        number_reading=reading,
        voice=voice,
        recent_calls=v.integer(disp, "display.recent_calls", default=6, minimum=1),
    )
    printing = v.table("printing", required=False)
    counter_opts = v.table("counter", required=False)
    kiosk_opts = v.table("kiosk", required=False)
    v.known(kiosk_opts, "kiosk", {"idle_reset_seconds", "confirm_seconds"})
    return SiteConf(
        name=name,
        timezone=tz,
        locale=locale,
        base_url=base_url,
        database_url=database_url,
        message_queue=message_queue,
        agencies=agencies,
        services=services,
        counters=counters,
        printers=printers,
        kiosks=kiosks,
        display=display,
        ticket_footer=footer,
        print_job_expiry_minutes=v.integer(printing, "printing.job_expiry_minutes", default=30, minimum=1),
        token_hours=token_hours,
        session_idle_minutes=idle,
        recall_warn_after=v.integer(counter_opts, "counter.recall_warn_after", default=3, minimum=1),
        kiosk_idle_seconds=v.integer(kiosk_opts, "kiosk.idle_reset_seconds", default=60, minimum=10, maximum=3600),
        kiosk_confirm_seconds=v.integer(kiosk_opts, "kiosk.confirm_seconds", default=8, minimum=3, maximum=120),
        path=path,
        instance_dir=base_dir / "instance",
    )


def _absolute_sqlite_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path relative to the config file, not to whatever directory we start in."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != prefix:
        rel = url[len(prefix) :]
        if not rel.startswith(":memory:") and not rel.startswith("file:"):
            return prefix + str((base_dir / rel).resolve())
    return url


def _agency(v: _Validator, a: Any, i: int) -> AgencyConf:
    key = f"agencies[{i}]"
    a = v.entry(a, key)
    v.known(a, key, {"code", "name"})
    return AgencyConf(code=v.code(a, f"{key}.code"), name=v.string(a, f"{key}.name"))


def _service(v: _Validator, s: Any, i: int, agencies: set[str]) -> ServiceConf:
    key = f"services[{i}]"
    s = v.entry(s, key)
    v.known(
        s,
        key,
        {"code", "agency", "name", "name_en", "prefix", "target_wait_minutes", "hours", "daily_quota",
         "typical_service_minutes"},
    )
    code = v.code(s, f"{key}.code")
    agency = v.string(s, f"{key}.agency")
    if agency not in agencies:
        raise ConfigError(f'{key}.agency: unknown agency "{agency}" (service {code})')
    prefix = v.string(s, f"{key}.prefix")
    if not PREFIX_RE.match(prefix):
        raise ConfigError(f'{key}.prefix: must be one to three capital letters, not "{prefix}"')
    hours = None
    hours_raw = v.string(s, f"{key}.hours", default="")
    if hours_raw:
        m = HOURS_RE.match(hours_raw)
        try:
            if not m:
                raise ValueError
            start = time(int(m[1]), int(m[2]))
            end = time(int(m[3]), int(m[4]))
        except ValueError:
            raise ConfigError(f'{key}.hours: must look like "08:00-15:00", not "{hours_raw}"') from None
        if end <= start:
            raise ConfigError(f'{key}.hours: the window "{hours_raw}" ends before it starts')
        hours = (start, end)
    typical = s.get("typical_service_minutes", 5)
    if isinstance(typical, bool) or not isinstance(typical, int | float) or typical <= 0:
        raise ConfigError(f"{key}.typical_service_minutes: must be a positive number")
    return ServiceConf(
        code=code,
        agency=agency,
        name=v.string(s, f"{key}.name"),
        name_en=v.string(s, f"{key}.name_en", default=""),
        prefix=prefix,
        target_wait_minutes=v.integer(s, f"{key}.target_wait_minutes", default=15, minimum=1),
        hours=hours,
        daily_quota=v.integer(s, f"{key}.daily_quota", default=0, minimum=0),
        typical_service_minutes=float(typical),
    )


def _counter(v: _Validator, c: Any, i: int, services: set[str]) -> CounterConf:
    key = f"counters[{i}]"
    c = v.entry(c, key)
    v.known(c, key, {"code", "name", "zone", "services"})
    code = v.code(c, f"{key}.code")
    served = c.get("services")
    if not isinstance(served, list) or not served or not all(isinstance(x, str) for x in served):
        raise ConfigError(f"{key}.services: must be a non-empty list of service codes (counter {code})")
    for sc in served:
        if sc not in services:
            raise ConfigError(f'{key}.services: counter {code} serves unknown service "{sc}"')
    if len(set(served)) != len(served):
        raise ConfigError(f"{key}.services: counter {code} lists a service twice")
    zone = v.string(c, f"{key}.zone", default="utama")
    if not CODE_RE.match(zone):
        raise ConfigError(f'{key}.zone: "{zone}" must be letters, digits, "-", "_" or "." (no spaces)')
    return CounterConf(code=code, name=v.string(c, f"{key}.name"), zone=zone, services=tuple(served))


def _printer(v: _Validator, p: Any, i: int, base_dir: Path) -> PrinterConfig:
    key = f"printers[{i}]"
    p = v.entry(p, key)
    v.known(
        p,
        key,
        {"code", "kind", "host", "port", "profile", "path", "device", "baudrate", "usb_vendor", "usb_product",
         "timeout"},
    )
    code = v.code(p, f"{key}.code")
    kind = v.string(p, f"{key}.kind")
    if kind not in PRINTER_KINDS:
        raise ConfigError(f'{key}.kind: must be one of {", ".join(PRINTER_KINDS)}, not "{kind}"')
    host = v.string(p, f"{key}.host", default="") or None
    if kind == "network" and not host:
        raise ConfigError(f"{key}.host: a network printer needs a host (printer {code})")
    path = v.string(p, f"{key}.path", default="") or v.string(p, f"{key}.device", default="") or None
    if kind in ("file", "serial") and not path:
        raise ConfigError(f"{key}.path: a {kind} printer needs a path (printer {code})")
    if kind == "file" and path and not Path(path).is_absolute():
        path = str(base_dir / path)
    timeout = p.get("timeout", 2.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3:
        raise ConfigError(f"{key}.timeout: must be a number of seconds between 0 and 3")
    return PrinterConfig(
        code=code,
        kind=kind,
        host=host,
        port=v.integer(p, f"{key}.port", default=9100, minimum=1, maximum=65535),
        profile=v.string(p, f"{key}.profile", default="TM-T82II"),
        path=path,
        baudrate=v.integer(p, f"{key}.baudrate", default=9600, minimum=1),
        usb_vendor=v.integer(p, f"{key}.usb_vendor", default=0, minimum=0) or None,
        usb_product=v.integer(p, f"{key}.usb_product", default=0, minimum=0) or None,
        timeout=float(timeout),
    )


def _kiosk(v: _Validator, k: Any, i: int, services: set[str], printers: set[str]) -> KioskConf:
    key = f"kiosks[{i}]"
    k = v.entry(k, key)
    v.known(k, key, {"code", "printer", "services", "name"})
    code = v.code(k, f"{key}.code")
    printer = v.string(k, f"{key}.printer", default="") or None
    if printer and printer not in printers:
        raise ConfigError(f'{key}.printer: kiosk {code} uses unknown printer "{printer}"')
    served = k.get("services", [])
    if not isinstance(served, list) or not all(isinstance(x, str) for x in served):
        raise ConfigError(f"{key}.services: must be a list of service codes (kiosk {code})")
    for sc in served:
        if sc not in services:
            raise ConfigError(f'{key}.services: kiosk {code} offers unknown service "{sc}"')
    return KioskConf(code=code, printer=printer, services=tuple(served), name=v.string(k, f"{key}.name", default=""))


def _unique(items: tuple[Any, ...], section: str, attr: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            raise ConfigError(
                f'{section}[{i}].{attr}: duplicate {attr} "{value}" (also used by {section}[{seen[value]}])'
            )
        seen[value] = i


class _Validator:
    """Small typed getters that raise ConfigError naming the key."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        unknown = set(raw) - {"site", "server", "agencies", "services", "counters", "printers", "kiosks",
                              "display", "printing", "counter", "kiosk"}
        if unknown:
            raise ConfigError(f"{sorted(unknown)[0]}: unknown top-level key")

    def table(self, name: str, *, required: bool = True) -> dict[str, Any]:
        t = self.raw.get(name)
        if t is None:
            if required:
                raise ConfigError(f"[{name}]: missing table")
            return {}
        if not isinstance(t, dict):
            raise ConfigError(f"{name}: must be a table ([{name}])")
        return t

    def array(self, name: str, *, required: bool = True) -> list[Any]:
        a = self.raw.get(name)
        if a is None:
            if required:
                raise ConfigError(f"[[{name}]]: at least one entry is needed")
            return []
        if not isinstance(a, list):
            raise ConfigError(f"{name}: must be an array of tables ([[{name}]])")
        if required and not a:
            raise ConfigError(f"[[{name}]]: at least one entry is needed")
        return a

    @staticmethod
    def entry(e: Any, key: str) -> dict[str, Any]:
        if not isinstance(e, dict):
            raise ConfigError(f"{key}: must be a table")
        return e

    @staticmethod
    def known(e: dict[str, Any], key: str, allowed: set[str]) -> None:
        extra = sorted(set(e) - allowed)
        if extra:
            raise ConfigError(f"{key}.{extra[0]}: unknown key")

    @staticmethod
    def string(t: dict[str, Any], key: str, *, default: str | None = None) -> str:
        name = key.rsplit(".", 1)[-1]
        value = t.get(name, default)
        if value is None:
            raise ConfigError(f"{key}: missing")
        if not isinstance(value, str):
            raise ConfigError(f"{key}: must be a string")
        if default is None and not value.strip():
            raise ConfigError(f"{key}: must not be empty")
        return value

    def code(self, t: dict[str, Any], key: str) -> str:
        value = self.string(t, key)
        if not CODE_RE.match(value):
            raise ConfigError(f'{key}: "{value}" must be 1-32 letters, digits, "-", "_" or "."')
        return value

    @staticmethod
    def integer(
        t: dict[str, Any], key: str, *, default: int | None = None, minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        name = key.rsplit(".", 1)[-1]
        value = t.get(name, default)
        if value is None:
            raise ConfigError(f"{key}: missing")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: must be a whole number")
        if minimum is not None and value < minimum:
            raise ConfigError(f"{key}: must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{key}: must be at most {maximum}")
        return value
