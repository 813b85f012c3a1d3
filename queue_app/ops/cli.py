"""The ``mpp-queue`` command line: serve, database, users, kiosks, backup (more groups in cli_admin,
cli_printers, cli_voice; ``serve --demo-open`` in cli_demo)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
from flask import Flask

from queue_app.core.siteconfig import ConfigError


def _app(ctx: click.Context, site: Any = None, **overrides: Any) -> Flask:
    from queue_app.factory import create_app

    try:
        return create_app(config_path=ctx.obj["config_path"], site=site, **overrides)
    except ConfigError as exc:
        raise click.ClickException(f"Invalid configuration: {exc}") from None


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Path of config.toml (default: $MPP_QUEUE_CONFIG, else ./config.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """mpp-queue: walk-in queue and counter system for Mal Pelayanan Publik."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin otherwise
    ctx.obj = {"config_path": config_path}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo-open", is_flag=True, envvar="MPP_QUEUE_DEMO_OPEN",
              help="Try the demo at any hour: ignore config.toml's opening hours and holidays for this run "
                   "(SQLite only; never on a site that serves people).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo_open: bool) -> None:
    """Serve the site: one process, creates and migrates the database, loads config.toml."""
    from queue_app.ops.backup import hold_server_lock
    from queue_app.ops.server import serve as run_server
    from queue_app.startup import bootstrap

    # a serving process counts its metrics with the site's others (queue_app/metrics/processes.py)
    os.environ.setdefault("MPP_QUEUE_METRICS_MULTIPROCESS", "1")
    if demo_open:
        from queue_app.ops.cli_demo import demo_site

        app = _app(ctx, site=demo_site(ctx.obj["config_path"]))
    else:
        app = _app(ctx)
    hold_server_lock(app.config["SQLALCHEMY_DATABASE_URI"])  # `restore` refuses while this process lives
    password_file = bootstrap(app, migrate_db=True)
    if password_file:
        click.secho(f"Created user 'admin'; its password is in {password_file}", fg="yellow", bold=True)
        click.echo("(readable by this user only; sign in at /login, choose a new password, then create the clerks)")
    click.echo(f"{app.extensions['site'].name}: http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        run_server(app, host, port)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations to the configured database."""
    from flask_migrate import upgrade

    from queue_app.factory import MIGRATIONS_DIR, use_migrations

    app = _app(ctx.find_root())
    use_migrations(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision=revision)
    click.echo("Database is up to date.")


@db.command("recount")
@click.pass_context
def db_recount(ctx: click.Context) -> None:
    """Rebuild the kept waiting counts from the tickets (after editing tickets by hand in SQL)."""
    from queue_app.core.database import begin_write
    from queue_app.core.extensions import db as database
    from queue_app.queue.counts import recount

    app = _app(ctx.find_root())
    with app.app_context():
        begin_write()  # no ticket moves while the rows are compared and fixed
        wrong = len(recount())
        database.session.commit()
    click.echo(f"Waiting counts: {wrong} row(s) corrected." if wrong else "Waiting counts: all correct.")


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(Developers) autogenerate a migration from the models."""
    from flask_migrate import migrate

    from queue_app.factory import MIGRATIONS_DIR, use_migrations

    app = _app(ctx.find_root())
    use_migrations(app)
    with app.app_context():
        migrate(directory=MIGRATIONS_DIR, message=message)


@cli.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "manager", "admin"]), required=True)
@click.option("--counter", "counters", multiple=True, help="Counter code a clerk serves at (repeatable).")
@click.option("--agency", default=None, help="Scope a manager to one agency code.")
@click.option("--name", "full_name", default="", help="Full name shown on screens.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
@click.pass_context
def user_add(ctx: click.Context, username: str, role: str, counters: tuple[str, ...], agency: str | None,
             full_name: str, password_stdin: bool) -> None:
    """Add a staff user; the password is read from standard input, never from the command line."""
    from queue_app.core.errors import QueueError
    from queue_app.core.extensions import db as database
    from queue_app.staff.auth import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    app = _app(ctx.find_root())
    bootstrap_needed = False
    with app.app_context():
        from sqlalchemy import inspect

        bootstrap_needed = not inspect(database.engine).has_table("users")
    if bootstrap_needed:
        from flask_migrate import upgrade

        from queue_app.factory import MIGRATIONS_DIR, use_migrations

        use_migrations(app)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
    with app.app_context():
        from queue_app.core.apply_config import sync_site

        sync_site(app.extensions["site"])  # counters named on the command line must exist
        database.session.commit()
        try:
            create_user(username, role=role, password=password, counters=counters, full_name=full_name,
                        agency=agency)
            database.session.commit()
        except QueueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f'User "{username}" ({role}) added.')


@cli.group()
def kiosk() -> None:
    """Ticket kiosks."""


@kiosk.command("key")
@click.argument("code")
@click.pass_context
def kiosk_key(ctx: click.Context, code: str) -> None:
    """Create or rotate the key of kiosk CODE; shown once, only its hash is stored.

    An API client sends it as header X-Kiosk-Key with "kiosk": CODE in the body. The old key (and a
    browser enrolled with it) stops working at once. A browser kiosk is enrolled on /admin/kiosks instead.
    """
    from sqlalchemy.exc import OperationalError

    from queue_app.core.extensions import db as database
    from queue_app.staff.devices import create_key

    app = _app(ctx.find_root())
    if app.extensions["site"].kiosk(code) is None:
        raise click.ClickException(f'No kiosk "{code}" in config.toml.')
    with app.app_context():
        try:
            key = create_key("kiosk", code)
            database.session.commit()
        except OperationalError as exc:
            raise click.ClickException(f"Cannot store the key ({exc.orig}); run `mpp-queue db upgrade` first.") from None
    click.echo(f"New key for kiosk {code} (shown once, keep it secret; send it as X-Kiosk-Key):", err=True)
    click.echo(key)


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_context
def backup_cmd(ctx: click.Context, path: str) -> None:
    """Write a consistent copy of the database to PATH, safe while the server runs.

    SQLite: the online backup API. PostgreSQL: pg_dump --format=custom (needs postgresql-client).
    """
    from pathlib import Path

    from queue_app.ops.backup import BackupError, backup

    app = _app(ctx.find_root())
    try:
        dest = backup(app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {dest} ({dest.stat().st_size} bytes).")


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Really replace the whole database with the backup.")
@click.pass_context
def restore_cmd(ctx: click.Context, path: str, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the server first; needs --yes)."""
    from pathlib import Path

    from queue_app.core import clock
    from queue_app.ops.backup import BackupError, restore, sqlite_path

    if not yes:
        raise click.ClickException("Restore replaces every ticket, user and setting with the backup's: "
                                   "stop the server, then run again with --yes")
    app = _app(ctx.find_root())
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # the database being replaced is saved first: a restore from the wrong file can be undone
    saves = app.extensions["site"].instance_dir / "backups"
    saves.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    try:
        suffix = ".db" if sqlite_path(url) is not None else ".dump"
        saved = restore(url, Path(path), save_to=saves / f"before-restore-{stamp}{suffix}")
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if saved is not None:
        click.echo(f"The database it replaced is saved in {saved} (restore that file to go back).")
    click.echo(f"Database restored from {path}; start the server again.")


def _set_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().obj["config_path"] = value


def _accept_config_everywhere(group: click.Group) -> None:
    """Let ``--config PATH`` also follow the command (``mpp-queue serve --config PATH``), as the
    contract writes it, besides the global form (``mpp-queue --config PATH serve``)."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_config_everywhere(command)
        elif not any("--config" in p.opts for p in command.params):
            command.params.append(click.Option(
                ["--config"], type=click.Path(dir_okay=False), default=None, expose_value=False,
                callback=_set_config, is_eager=True,
                help="Path of config.toml (same as the global --config).",
            ))


def _register_groups() -> None:
    # command groups kept in their own modules so this file stays small and groups merge independently
    from queue_app.ops import cli_admin, cli_dev, cli_printers, cli_privacy, cli_voice

    cli_admin.register(cli)
    cli_printers.register(cli)
    cli_privacy.register(cli)
    cli_voice.register(cli)
    cli_dev.register(cli)


_register_groups()
_accept_config_everywhere(cli)
