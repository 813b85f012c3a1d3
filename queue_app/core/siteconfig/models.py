"""The tables of config.toml as pydantic models, and the checks that span tables.

``ConfigFile`` mirrors the file; ``SiteConf`` (in ``site.py``) is what the rest of the code reads.
Checks that need two tables at once (a counter serving a service that does not exist...) run in
``ConfigFile``'s model validator and name the key that is wrong, not the table that noticed.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from printers import PrinterConfig

from .calendar import BookingConf, Holiday, RemoteConf, SurveySection, WeeklyHours, service_hours
from .fields import BaseUrl, Code, CodeList, Model, NonEmptyStr, Prefix, TimeZoneName, Zone, choice
from .notify import NotifySection
from .standards import ComplaintsSection, StandardConf

PRINTER_KINDS = ("network", "usb", "serial", "file", "dummy", "agent")
LOCALES = ("id", "en")
Locale = choice(*LOCALES)
PrinterKind = choice(*PRINTER_KINDS)
NumberReading = choice("digits", "whole")  # A-007 read as "A, nol, nol, tujuh" or "A, tujuh"
Voice = choice("segments", "speech")  # recorded audio (offline) or the browser's id-ID voice
LogFormat = choice("text", "json")  # [server] log_format: plain lines, or one JSON object per line


class AgencyConf(Model):
    code: Code
    name: NonEmptyStr


class ServiceConf(Model):
    code: Code
    agency: NonEmptyStr
    name: NonEmptyStr
    name_en: str = ""
    prefix: Prefix
    target_wait_minutes: int = Field(15, ge=1)
    #: ``hours`` in the file: a plain range (every day) or a weekday table; None = the site's hours
    weekly_hours: Annotated[WeeklyHours | None, BeforeValidator(service_hours)] = Field(None, alias="hours")
    daily_quota: int = Field(0, ge=0)
    #: Minutes one visitor usually takes; the estimate's starting point until real history exists
    typical_service_minutes: float = Field(5.0, gt=0)
    #: ``[services.booking]``; None = this service takes no bookings
    booking: BookingConf | None = None
    #: ``[services.remote]``; None = this service cannot be joined from afar
    remote: RemoteConf | None = None
    #: after this service the visit goes on at these services, in this order (one ticket for the whole
    #: visit: queue_app/queue/routes.py); empty = the visit ends here
    then: CodeList = ()
    #: ``[services.standard]``: its Standar Pelayanan (PermenPANRB 15/2014); None = none published
    standard: StandardConf | None = None

    @property
    def hours(self) -> tuple[time, time] | None:
        """The one daily window the queue enforces today (``Service.hours_start/hours_end``).

        None when ``hours`` is absent or is more than one window a day; the weekday table in
        :attr:`weekly_hours` is the whole truth.
        """
        single = self.weekly_hours.single_range() if self.weekly_hours else None
        return (single.start, single.end) if single else None


class CounterConf(Model):
    code: Code
    name: NonEmptyStr
    zone: Zone = "utama"
    services: CodeList = Field(min_length=1)

    @model_validator(mode="after")
    def _no_repeat(self) -> CounterConf:
        if len(set(self.services)) != len(self.services):
            raise at(("services",), f"counter {self.code} lists a service twice")
        return self


class KioskConf(Model):
    code: Code
    #: None: the kiosk shows the ticket on screen only
    printer: str | None = None
    services: CodeList = ()  # empty = all
    name: str = ""

    @field_validator("printer")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class DisplayConf(Model):
    running_text: str = ""
    number_reading: NumberReading = "digits"
    voice: Voice = "segments"
    recent_calls: int = Field(6, ge=1)
    #: the hall display shows this month's IKM and grade of the site (the satisfaction survey)
    show_ikm: bool = False
    #: a folder of the building's own recorded segments (``<name>.wav|mp3|ogg``), replacing the built-in
    #: ones name by name; relative to config.toml. "" = the built-in voice only
    voice_dir: str = ""
    #: a folder of images and videos the display loops in its media area; relative to config.toml.
    #: "" = no media area
    media_dir: str = ""
    #: how long each image and each notice stays in the media area, in seconds (a video plays to its end)
    media_seconds: int = Field(10, ge=1, le=600)


class PrinterEntry(Model):
    """One ``[[printers]]`` table; :meth:`printer` turns it into the printers package's own config."""

    code: Code
    kind: PrinterKind
    host: str = ""
    port: int = Field(9100, ge=1, le=65535)
    profile: str = "TM-T82II"
    path: str = ""
    device: str = ""  # a serial printer's path, under the name people look for
    baudrate: int = Field(9600, ge=1)
    usb_vendor: int = Field(0, ge=0)
    usb_product: int = Field(0, ge=0)
    timeout: Annotated[float, Field(gt=0, le=3)] = 2.0

    @model_validator(mode="after")
    def _kind_needs(self) -> PrinterEntry:
        if self.kind == "network" and not self.host:
            raise at(("host",), f"a network printer needs a host (printer {self.code})")
        if self.kind in ("file", "serial") and not (self.path or self.device):
            raise at(("path",), f"a {self.kind} printer needs a path (printer {self.code})")
        if self.kind == "usb" and not (self.usb_vendor and self.usb_product):
            raise at(("usb_vendor",), f"a usb printer needs usb_vendor and usb_product (printer {self.code})")
        return self

    def printer(self, base_dir: Path, timezone: str | None = None) -> PrinterConfig:
        path = self.path or self.device or None
        if self.kind == "file" and path and not Path(path).is_absolute():
            path = str(base_dir / path)
        return PrinterConfig(
            code=self.code, kind=self.kind, host=self.host or None, port=self.port, profile=self.profile,
            path=path, baudrate=self.baudrate, usb_vendor=self.usb_vendor or None,
            usb_product=self.usb_product or None, timeout=float(self.timeout), timezone=timezone,
        )


class SiteSection(Model):
    name: NonEmptyStr
    timezone: TimeZoneName = "Asia/Jakarta"
    locale: Locale = "id"
    base_url: BaseUrl = "http://127.0.0.1:8000"
    ticket_footer: str = ""
    #: Anonymous POST /api/tickets allowed (never priority, never printed)
    public_tickets: bool = False
    #: ``[site.hours]``; None = open every day
    hours: WeeklyHours | None = None
    #: the Maklumat Pelayanan: the site's published pledge to serve by its standards ("" = none)
    maklumat: Annotated[str, Field(max_length=4000)] = ""


class ServerSection(Model):
    database_url: str = "sqlite:///instance/queue.db"
    message_queue: str = ""
    token_hours: int = Field(12, ge=1)
    session_idle_minutes: int = Field(60, ge=1)
    #: reverse proxies in front of the server (nginx = 1): their X-Forwarded-For/-Proto/-Host are
    #: believed that many hops deep (werkzeug's ProxyFix); 0 = clients connect directly
    trusted_proxies: int = Field(0, ge=0, le=5)
    #: cookies only over HTTPS (set it once nginx serves TLS: docs/deploy.md)
    secure_cookies: bool = False
    #: a connection that has not sent a whole request line and headers this many seconds after the server
    #: began waiting for them is closed (also how long an idle keep-alive connection stays open)
    header_timeout_seconds: int = Field(10, ge=1, le=300)
    #: open connections one client address may hold at once (0 = no cap; env MPP_QUEUE_CONNECTIONS_PER_ADDRESS
    #: overrides). Not applied behind a proxy (trusted_proxies > 0): nginx's limit_conn does it per real client
    connections_per_address: int = Field(64, ge=0)
    #: connections to the database one server process keeps and uses at most: a request past them waits for
    #: one (503 server_busy after 30 s); more than the database's cores can serve only slows a burst down
    database_connections: int = Field(5, ge=1, le=100)
    #: who may read GET /metrics: addresses or networks (anything else gets 403)
    metrics_from: list[str] = ["127.0.0.1/32", "::1/128"]
    #: where the server processes of this site keep their shared metric counters (prometheus_client's
    #: multiprocess mode); "" = instance/metrics next to the database
    metrics_dir: str = ""
    #: "text" (the default) or "json": one JSON object per log line, for a log shipper
    log_format: LogFormat = "text"

    @field_validator("metrics_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f'"{item}" is not an address or network such as 10.0.0.0/8') from None
        return value


class PrivacySection(Model):
    """``[privacy]`` (UU 27/2022): how long names and phone numbers are kept, and the site's notice."""

    #: names and phone numbers are erased this many days after the visit or the booked day
    retain_days: int = Field(30, ge=1, le=3650)
    #: the site's privacy notice, shown at /privacy (empty: the standard text of the catalogue)
    notice: str = ""


class PrintingSection(Model):
    job_expiry_minutes: int = Field(30, ge=1)


class CounterSection(Model):
    recall_warn_after: int = Field(3, ge=1)


class KioskSection(Model):
    idle_reset_seconds: int = Field(60, ge=10, le=3600)
    confirm_seconds: int = Field(8, ge=3, le=120)


class ConfigFile(Model):
    """config.toml as written, every table validated; cross-table checks in :meth:`_cross_checks`."""

    site: SiteSection
    server: ServerSection = ServerSection()
    display: DisplayConf = DisplayConf()
    printing: PrintingSection = PrintingSection()
    counter: CounterSection = CounterSection()
    kiosk: KioskSection = KioskSection()
    survey: SurveySection = SurveySection()
    complaints: ComplaintsSection = ComplaintsSection()
    privacy: PrivacySection = PrivacySection()
    notify: NotifySection = NotifySection()
    agencies: list[AgencyConf] = Field(min_length=1)
    services: list[ServiceConf] = Field(min_length=1)
    counters: list[CounterConf] = []
    printers: list[PrinterEntry] = []
    kiosks: list[KioskConf] = []
    holidays: list[Holiday] = []

    @model_validator(mode="after")
    def _cross_checks(self) -> ConfigFile:
        problems: list[tuple[tuple[Any, ...], str]] = []
        for section, attr in (("agencies", "code"), ("services", "code"), ("services", "prefix"),
                              ("counters", "code"), ("printers", "code"), ("kiosks", "code"),
                              ("holidays", "date")):
            problems += _duplicates(getattr(self, section), section, attr)
        agencies = {a.code for a in self.agencies}
        services = {s.code for s in self.services}
        printers = {p.code for p in self.printers}
        for i, s in enumerate(self.services):
            if s.agency not in agencies:
                problems.append((("services", i, "agency"), f'unknown agency "{s.agency}" (service {s.code})'))
        for i, c in enumerate(self.counters):
            problems += [(("counters", i, "services"), f'counter {c.code} serves unknown service "{sc}"')
                         for sc in c.services if sc not in services]
        problems += _route_problems(self.services, {sc for c in self.counters for sc in c.services})
        for i, k in enumerate(self.kiosks):
            if k.printer and k.printer not in printers:
                problems.append((("kiosks", i, "printer"), f'kiosk {k.code} uses unknown printer "{k.printer}"'))
            problems += [(("kiosks", i, "services"), f'kiosk {k.code} offers unknown service "{sc}"')
                         for sc in k.services if sc not in services]
        if problems:
            raise PydanticCustomError("config_many", "{count} problems", {"count": len(problems),
                                                                          "problems": problems})
        return self


#: steps of a visit's route at most, the first service included (``Ticket.route`` holds up to 400 characters)
MAX_ROUTE_STEPS = 10


def _route_problems(services: list[ServiceConf], served: set[str]) -> list[tuple[tuple[Any, ...], str]]:
    """A route (``then``) names known services, each once, never the service itself (a route must not loop),
    and only services some counter calls (else a visit would wait at that step for ever)."""
    known = {s.code for s in services}
    out = []
    for i, s in enumerate(services):
        if len(s.then) > MAX_ROUTE_STEPS - 1:  # the ticket keeps its route in a column of its own
            out.append((("services", i, "then"), f"the route of {s.code} may go on to at most "
                                                 f"{MAX_ROUTE_STEPS - 1} services"))
        seen = {s.code}
        for code in s.then:
            where = ("services", i, "then")
            if code not in known:
                out.append((where, f'unknown service "{code}" in the route of {s.code}'))
            elif code in seen:
                what = "names the service itself" if code == s.code else f'repeats service "{code}"'
                out.append((where, f'the route of {s.code} {what}: a route must not loop'))
            elif code not in served:
                out.append((where, f'no counter serves "{code}", a step of the route of {s.code}'))
            seen.add(code)
    return out


def _duplicates(items: list[Any], section: str, attr: str) -> list[tuple[tuple[Any, ...], str]]:
    seen: dict[Any, int] = {}
    out = []
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            out.append(((section, i, attr), f'duplicate {attr} "{value}" (also used by {section}[{seen[value]}])'))
        else:
            seen[value] = i
    return out


def at(sub: tuple[Any, ...], message: str) -> PydanticCustomError:
    """A problem found by a table's own validator about one of its keys (``sub``, relative to the table)."""
    return PydanticCustomError("config", "{message}", {"message": message, "sub": sub})

