"""``mpp-queue printer check|test|preview|key``: a ticket printer's state, a test slip, a preview, an agent's key."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask


def _app(ctx: click.Context) -> Flask:
    from queue_app.ops.cli import _app as make_app

    return make_app(ctx)


def register(cli: click.Group) -> None:
    """The ``printer`` group on the root command."""

    @cli.group()
    def printer() -> None:
        """Ticket printers."""

    def _printing(ctx: click.Context, code: str):  # noqa: ANN202
        app = _app(ctx.find_root())
        if app.extensions["site"].printer(code) is None:
            raise click.ClickException(f'No printer "{code}" in config.toml.')
        return app

    @printer.command("check")
    @click.argument("code")
    @click.pass_context
    def printer_check(ctx: click.Context, code: str) -> None:
        """Ask a printer for its state (ok, offline, paper_low, paper_out)."""
        from printers import PrintError, make_printer

        app = _printing(ctx, code)
        conf = app.extensions["site"].printer(code)
        if conf.kind == "agent":
            click.echo(f"{code}: agent printer; its state is reported by the print agent (see /api/health)")
            return
        message = ""
        try:
            state = make_printer(conf).status()
        except PrintError as exc:
            state, message = exc.state, exc.message
        _store_printer_state(app, code, state, message)
        click.echo(f"{code}: {state}")
        if str(state) != "ok":
            sys.exit(1)

    def _store_printer_state(app: Flask, code: str, state: Any, message: str) -> None:
        """Record a manual check so /api/health shows it at once; a missing database only skips this."""
        from sqlalchemy.exc import OperationalError

        from queue_app.core.database import begin_write
        from queue_app.core.extensions import db as database

        with app.app_context():
            try:
                begin_write()
                app.extensions["printing"].set_state(code, state, message)
                database.session.commit()
            except OperationalError:
                database.session.rollback()

    @printer.command("test")
    @click.argument("code")
    @click.pass_context
    def printer_test(ctx: click.Context, code: str) -> None:
        """Print a test slip."""
        from printers import PrintError, make_printer

        app = _printing(ctx, code)
        conf = app.extensions["site"].printer(code)
        if conf.kind == "agent":
            raise click.ClickException("An agent printer prints tests from the kiosk PC: python -m printers.agent --test")
        try:
            make_printer(conf).print_test(app.extensions["site"].name)
        except PrintError as exc:
            raise click.ClickException(f"{code}: {exc.state}: {exc}") from None
        click.echo(f"{code}: test slip sent.")

    @printer.command("preview")
    @click.argument("code")
    @click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
                  help="PNG file to write (default: instance/preview-CODE.png).")
    @click.pass_context
    def printer_preview(ctx: click.Context, code: str, out_path: str | None) -> None:
        """Write a PNG of a sample ticket laid out for this printer's paper: see the slip without paper."""
        from datetime import datetime
        from pathlib import Path

        from printers import TicketSlip, render_png

        app = _printing(ctx, code)
        site = app.extensions["site"]
        conf = site.printer(code)
        kiosk = next((k for k in site.kiosks if k.printer == code and k.services), None)
        service = site.service(kiosk.services[0]) if kiosk else site.services[0]
        agency = next(a for a in site.agencies if a.code == service.agency)
        slip = TicketSlip(
            site_name=site.name, agency_name=agency.name, service_name=service.name, number=f"{service.prefix}-007",
            issued_at=datetime.now(site.tz), ahead=3, estimated_wait_seconds=15 * 60,
            track_url=f"{site.base_url}/t/contoh-pratinjau-tiket", footer=site.ticket_footer, priority=False,
            locale=site.locale,
        )
        path = Path(out_path) if out_path else site.instance_dir / f"preview-{code}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_png(slip, conf.profile))
        click.echo(f"{code}: sample ticket for {conf.profile} written to {path}")

    @printer.command("key")
    @click.argument("code")
    @click.pass_context
    def printer_key(ctx: click.Context, code: str) -> None:
        """Create or rotate the device key of an agent printer; the key is shown once, only its hash is stored.

        The old key stops working at once: give the new one to the print agent (--key-file).
        """
        from sqlalchemy.exc import OperationalError

        from queue_app.core.extensions import db as database
        from queue_app.printing.agents import create_key

        app = _printing(ctx, code)
        if app.extensions["site"].printer(code).kind != "agent":
            raise click.ClickException(f'Printer "{code}" is not kind = "agent"; only print agents use a device key.')
        with app.app_context():
            try:
                key = create_key(code)
                database.session.commit()
            except OperationalError as exc:
                raise click.ClickException(f"Cannot store the key ({exc.orig}); run `mpp-queue db upgrade` first.") from None
        click.echo(f"New device key for print agent {code} (shown once, keep it secret):", err=True)
        click.echo(key)
