"""``SiteConf``: the validated configuration the rest of the code reads, flat and with paths resolved."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from printers import PrinterConfig

from .calendar import WeeklyHours
from .fields import Model
from .models import AgencyConf, ConfigFile, CounterConf, DisplayConf, KioskConf, PrivacySection, ServiceConf
from .notify import NotifySection


class BadEnvironment(ValueError):
    """An environment variable that overrides config.toml has a value that cannot be used."""


class SiteConf(Model):
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
    display: DisplayConf = DisplayConf()
    ticket_footer: str = ""
    print_job_expiry_minutes: int = 30
    token_hours: int = 12
    session_idle_minutes: int = 60
    #: [server] trusted_proxies: hops of X-Forwarded-* headers to believe (0: none)
    trusted_proxies: int = 0
    #: [server] secure_cookies: session and remember-me cookies sent over HTTPS only
    secure_cookies: bool = False
    #: [server] header_timeout_seconds: time a connection has to send a request's line and headers
    header_timeout_seconds: int = 10
    #: [server] connections_per_address (or MPP_QUEUE_CONNECTIONS_PER_ADDRESS): open connections per client
    #: address in one server process, 0 = no cap
    connections_per_address: int = 64
    #: [server] database_connections: the pool of one server process, never exceeded
    database_connections: int = 5
    #: [server] metrics_from: the addresses or networks that may read GET /metrics
    metrics_from: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    #: [server] metrics_dir made absolute (default instance/metrics): the processes' shared metric files
    metrics_dir: Path | None = None
    #: [server] log_format (MPP_QUEUE_LOG_FORMAT overrides): "text" or "json"
    log_format: str = "text"
    #: [privacy]: retain_days and the notice
    privacy: PrivacySection = PrivacySection()
    #: [notify]: notices by WhatsApp or a gateway, files made absolute
    notify: NotifySection = NotifySection()
    recall_warn_after: int = 3
    #: [kiosk]: seconds without a touch before a kiosk returns to its start screen
    kiosk_idle_seconds: int = 60
    #: [kiosk]: seconds the confirmation screen stays up after a printed ticket
    kiosk_confirm_seconds: int = 8
    #: [site] public_tickets: anonymous ticket requests allowed (never priority, never printed)
    public_tickets: bool = False
    #: [site.hours]: the building's opening windows per weekday; None = open every day
    weekly_hours: WeeklyHours | None = None
    #: [[holidays]]: local date → name, in date order; every service is closed that day
    holidays: dict[dt.date, str] = {}
    #: [survey] days_open: days after a ticket is done during which its survey is accepted
    survey_days_open: int = 7
    #: [survey] questions: the site's rewording of some of the nine questions (U1..U9 → text)
    survey_questions: dict[str, str] = {}
    #: [site] maklumat: the Maklumat Pelayanan, shown on the start page, the displays and /maklumat ("" = none)
    maklumat: str = ""
    #: [complaints] respond_within_days: working days within which a complaint must be answered
    complaints_respond_within_days: int = 5
    path: Path | None = None
    instance_dir: Path | None = None
    #: [display] voice_dir / media_dir made absolute (relative to config.toml); None when not set
    voice_dir: Path | None = None
    media_dir: Path | None = None

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


def build_site(file: ConfigFile, *, base_dir: Path, path: Path | None) -> SiteConf:
    """Flatten the file's tables into a SiteConf, applying the environment's overrides."""
    server = file.server
    database_url = os.environ.get("MPP_QUEUE_DATABASE_URL") or server.database_url
    message_queue = os.environ.get("MPP_QUEUE_MESSAGE_QUEUE", None)
    if message_queue is None:
        message_queue = server.message_queue
    return SiteConf(
        name=file.site.name,
        timezone=file.site.timezone,
        locale=file.site.locale,
        base_url=file.site.base_url,
        database_url=_absolute_sqlite_url(database_url, base_dir),
        message_queue=message_queue,
        agencies=tuple(file.agencies),
        services=tuple(file.services),
        counters=tuple(file.counters),
        printers=tuple(p.printer(base_dir, file.site.timezone) for p in file.printers),
        kiosks=tuple(file.kiosks),
        display=file.display,
        ticket_footer=file.site.ticket_footer,
        print_job_expiry_minutes=file.printing.job_expiry_minutes,
        token_hours=server.token_hours,
        session_idle_minutes=server.session_idle_minutes,
        trusted_proxies=server.trusted_proxies,
        secure_cookies=server.secure_cookies,
        header_timeout_seconds=server.header_timeout_seconds,
        connections_per_address=_connections_per_address(server.connections_per_address),
        database_connections=server.database_connections,
        metrics_from=tuple(server.metrics_from),
        metrics_dir=(base_dir / (server.metrics_dir or "instance/metrics")).resolve(),
        log_format=os.environ.get("MPP_QUEUE_LOG_FORMAT") or server.log_format,
        privacy=file.privacy,
        notify=file.notify.resolved(base_dir),
        recall_warn_after=file.counter.recall_warn_after,
        kiosk_idle_seconds=file.kiosk.idle_reset_seconds,
        kiosk_confirm_seconds=file.kiosk.confirm_seconds,
        public_tickets=file.site.public_tickets,
        weekly_hours=file.site.hours,
        holidays={h.date: h.name for h in sorted(file.holidays, key=lambda h: h.date)},
        survey_days_open=file.survey.days_open,
        survey_questions=dict(file.survey.questions),
        maklumat=file.site.maklumat.strip(),
        complaints_respond_within_days=file.complaints.respond_within_days,
        path=path,
        instance_dir=base_dir / "instance",
        voice_dir=(base_dir / file.display.voice_dir).resolve() if file.display.voice_dir else None,
        media_dir=(base_dir / file.display.media_dir).resolve() if file.display.media_dir else None,
    )


def _connections_per_address(configured: int) -> int:
    """``MPP_QUEUE_CONNECTIONS_PER_ADDRESS`` when set (0 lifts the cap, for load tests), else config.toml's."""
    raw = os.environ.get("MPP_QUEUE_CONNECTIONS_PER_ADDRESS", "").strip()
    if not raw:
        return configured
    try:
        value = int(raw)
    except ValueError:
        raise BadEnvironment(f"MPP_QUEUE_CONNECTIONS_PER_ADDRESS must be a whole number, not {raw!r}") from None
    if value < 0:
        raise BadEnvironment(f"MPP_QUEUE_CONNECTIONS_PER_ADDRESS must be 0 or more, not {value}")
    return value


def _absolute_sqlite_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path relative to the config file, not to whatever directory we start in."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != prefix:
        rel = url[len(prefix) :]
        if not rel.startswith(":memory:") and not rel.startswith("file:"):
            return prefix + str((base_dir / rel).resolve())
    return url
