"""The site of the running app: its configuration, its local day, and how its times are written."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from queue_app.core import clock
from queue_app.core.siteconfig import SiteConf


def current_site() -> SiteConf:
    """The site configuration (config.toml) of the current app."""
    return current_app.extensions["site"]


def today() -> date:
    """The site's local day now."""
    return clock.local_day(current_site().tz)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the site's UTC offset, as the contract writes every time; None stays None."""
    if dt is None:
        return None
    return dt.astimezone(current_site().tz).isoformat(timespec="seconds")
