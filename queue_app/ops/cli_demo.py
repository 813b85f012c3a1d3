"""``mpp-queue serve --demo-open``: the demo takes tickets at whatever hour a newcomer tries it.

The demo's config.toml is a real building's calendar (weekday hours, a Friday prayer break, the national
holidays), so on a Saturday evening every tile says "closed". ``--demo-open`` (or
``MPP_QUEUE_DEMO_OPEN=1``, or ``make run DEMO_OPEN=1``) serves it with that calendar opened: no
``[site.hours]``, no service ``hours``, no ``[[holidays]]``, for this run only; config.toml is not changed.
It says so loudly at start, and refuses a database other than SQLite: it is never for a site that serves people.
"""

from __future__ import annotations

import logging

import click

from queue_app.core.siteconfig import SiteConf

logger = logging.getLogger(__name__)

ENV = "MPP_QUEUE_DEMO_OPEN"
BANNER = ("DEMO OPEN: config.toml's opening hours and holidays are ignored for this run; every service takes "
          "tickets now. For trying the demo only, never on a site that serves people.")


def open_calendar(site: SiteConf) -> SiteConf:
    """``site`` with its calendar opened: open every day, all day, for every service."""
    services = tuple(s.model_copy(update={"weekly_hours": None}) for s in site.services)
    return site.model_copy(update={"weekly_hours": None, "holidays": {}, "services": services})


def demo_site(config_path: str | None) -> SiteConf:
    """config.toml opened for the demo; :raise click.ClickException: on a database other than SQLite."""
    from queue_app.core.siteconfig import ConfigError, load_site_config

    try:
        site = load_site_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(f"Invalid configuration: {exc}") from None
    if not site.database_url.startswith("sqlite"):
        raise click.ClickException("--demo-open is for trying the demo on one computer (SQLite); this site uses "
                                   "another database, so it may serve people: start it without --demo-open.")
    click.secho(BANNER, fg="yellow", bold=True, err=True)
    logger.warning("%s", BANNER)
    return open_calendar(site)
