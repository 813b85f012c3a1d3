"""``mpp-queue user|kiosk|service|site`` : the admin pages' operations from the shell, audit-logged alike.

Each command runs the same plain function as the admin page (``queue_app.staff.admin`` /
``queue_app.staff.closures``) with no signed-in actor, so the audit log shows it as done from the
command line. Registered on the root group by :func:`register`; each group has its own function so
other command groups (e.g. ``kiosk key``) can join without touching these.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click
from flask import Flask


def _app(ctx: click.Context) -> Flask:
    from queue_app.ops.cli import _app as make_app

    return make_app(ctx.find_root())


def _write(ctx: click.Context, operation: Callable[[], Any]) -> Any:
    """Run one audited operation in an app context and commit it; its 4xx error becomes a clean message."""
    from sqlalchemy.exc import OperationalError

    from queue_app.core.apply_config import sync_site
    from queue_app.core.errors import QueueError
    from queue_app.core.extensions import db

    app = _app(ctx)
    with app.app_context():
        try:
            sync_site(app.extensions["site"])  # codes named on the command line must exist
            result = operation()
            db.session.commit()
        except QueueError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            raise click.ClickException(f"Database not ready ({exc.orig}); run `mpp-queue db upgrade` first.") from None
        return result


def _password() -> str:
    return sys.stdin.readline().rstrip("\r\n")


# --- user ------------------------------------------------------------------------------------


def register_user(user: click.Group) -> None:
    """``user list|disable|enable|reset-password|set-counters`` next to ``user add``."""

    @user.command("list")
    @click.pass_context
    def user_list(ctx: click.Context) -> None:
        """List staff accounts: username, role, active, counters."""
        from queue_app.staff.admin import list_users

        with _app(ctx).app_context():
            for u in list_users():
                counters = ",".join(c.code for c in u.counters) or "-"
                state = "active" if u.active else "disabled"
                click.echo(f"{u.username}\t{u.role.value}\t{state}\t{counters}\t{u.full_name}")

    @user.command("disable")
    @click.argument("username")
    @click.pass_context
    def user_disable(ctx: click.Context, username: str) -> None:
        """Disable a user: their sessions and API tokens end at once."""
        from queue_app.staff.admin import set_user_active

        _write(ctx, lambda: set_user_active(None, username, False))
        click.echo(f'User "{username}" disabled.')

    @user.command("enable")
    @click.argument("username")
    @click.pass_context
    def user_enable(ctx: click.Context, username: str) -> None:
        """Enable a disabled user again."""
        from queue_app.staff.admin import set_user_active

        _write(ctx, lambda: set_user_active(None, username, True))
        click.echo(f'User "{username}" enabled.')

    @user.command("reset-password")
    @click.argument("username")
    @click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
    @click.pass_context
    def user_reset_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
        """Set a new password (read from standard input); the user's sessions and tokens end."""
        from queue_app.staff.admin import reset_password

        password = _password()
        _write(ctx, lambda: reset_password(None, username, password))
        click.echo(f'Password of user "{username}" reset.')

    @user.command("set-counters")
    @click.argument("username")
    @click.argument("counters", nargs=-1)
    @click.pass_context
    def user_set_counters(ctx: click.Context, username: str, counters: tuple[str, ...]) -> None:
        """Replace the counters a clerk serves at (none given: no counter)."""
        from queue_app.staff.admin import assign_counters

        codes = _write(ctx, lambda: [c.code for c in assign_counters(None, username, counters).counters])
        click.echo(f"{username}: {', '.join(codes) or 'no counter'}")


# --- kiosk -----------------------------------------------------------------------------------


def kiosk_group(cli: click.Group) -> click.Group:
    """The ``kiosk`` group, created once whoever registers first (``kiosk list``, ``kiosk key``)."""
    group = cli.commands.get("kiosk")
    if not isinstance(group, click.Group):
        group = click.Group("kiosk", help="Kiosks (config.toml [[kiosks]]).")
        cli.add_command(group)
    return group


def register_kiosk_list(cli: click.Group) -> None:
    @kiosk_group(cli).command("list")
    @click.pass_context
    def kiosk_list(ctx: click.Context) -> None:
        """List the kiosks of config.toml: code, printer, services offered."""
        site = _app(ctx).extensions["site"]
        if not site.kiosks:
            click.echo("No kiosks in config.toml.")
        for k in site.kiosks:
            services = ",".join(k.services) if k.services else "(all)"
            click.echo(f"{k.code}\t{k.printer or '-'}\t{services}")


# --- service and site closures ---------------------------------------------------------------


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None


def register_service(cli: click.Group) -> None:
    @cli.group("service")
    def service() -> None:
        """Close or open a service for a day."""

    @service.command("close")
    @click.argument("code")
    @click.option("--reason", required=True, help="Shown on the kiosk, e.g. 'Sistem OSS sedang gangguan'.")
    @click.option("--date", "day", default=None, help="YYYY-MM-DD, today or later (default: today).")
    @click.pass_context
    def service_close(ctx: click.Context, code: str, reason: str, day: str | None) -> None:
        """Stop issuing tickets of service CODE for a day; tickets already waiting can still be called."""
        from queue_app.staff.admin import close_service

        when = _day(day)
        closed_on = _write(ctx, lambda: close_service(None, code, reason, when).closed_on)
        click.echo(f"Service {code} closed on {closed_on.isoformat()}: {reason}")

    @service.command("open")
    @click.argument("code")
    @click.pass_context
    def service_open(ctx: click.Context, code: str) -> None:
        """Take tickets of service CODE again today."""
        from queue_app.staff.admin import open_service

        _write(ctx, lambda: open_service(None, code))
        click.echo(f"Service {code} is open again.")


def register_site(cli: click.Group) -> None:
    @cli.group("site")
    def site() -> None:
        """Close the whole building for a day (like a holiday), or list such days."""

    @site.command("close")
    @click.option("--date", "day", required=True, help="YYYY-MM-DD, today or later.")
    @click.option("--reason", required=True, help="Shown on every kiosk tile and hall display.")
    @click.pass_context
    def site_close(ctx: click.Context, day: str, reason: str) -> None:
        """Close every service on a day; tickets that day answer 409 holiday with the reason."""
        from queue_app.staff.closures import close_site

        when = _day(day)
        _, affected = _write(ctx, lambda: close_site(None, when, reason))
        click.echo(f"Site closed on {day}: {reason}")
        if affected.get("bookings"):
            click.echo(f"{affected['bookings']} booking(s) of that day cancelled by the office (the visitors' "
                       "pages give the reason).")

    @site.command("reopen")
    @click.option("--date", "day", required=True, help="YYYY-MM-DD")
    @click.pass_context
    def site_reopen(ctx: click.Context, day: str) -> None:
        """Undo a closure."""
        from queue_app.staff.closures import reopen_site

        when = _day(day)
        affected = _write(ctx, lambda: reopen_site(None, when))
        click.echo(f"Site open again on {day}.")
        if affected.get("bookings"):
            click.echo(f"{affected['bookings']} booking(s) the closure had cancelled are booked again.")

    @site.command("closures")
    @click.pass_context
    def site_closures(ctx: click.Context) -> None:
        """List the closures from today on."""
        from queue_app.staff.closures import upcoming_closures

        with _app(ctx).app_context():
            for c in upcoming_closures():
                click.echo(f"{c.day.isoformat()}\t{c.reason}")


# --- survey tablets ------------------------------------------------------------------------------


def register_survey(cli: click.Group) -> None:
    """``survey key|revoke CODE``: the device key of a counter's satisfaction-survey tablet."""

    @cli.group("survey")
    def survey() -> None:
        """Survey tablets (one per counter, config.toml [[counters]])."""

    def _counter(ctx: click.Context, code: str) -> None:
        if not any(c.code == code for c in _app(ctx).extensions["site"].counters):
            raise click.ClickException(f'no counter "{code}" in config.toml')

    @survey.command("key")
    @click.argument("code")
    @click.pass_context
    def survey_key(ctx: click.Context, code: str) -> None:
        """Create or rotate the key of counter CODE's survey tablet; shown once, only its hash is stored.

        A client sends it as header X-Survey-Key (and ``auth: {"counter", "key"}`` on /survey). The old key,
        and a tablet enrolled with it, stops working at once. A tablet browser is enrolled on /admin/tablets.
        """
        from queue_app.staff.admin import enrol_device

        _counter(ctx, code)
        key = _write(ctx, lambda: enrol_device(None, "survey", code))
        click.echo(f"New key for the survey tablet of {code} (shown once, keep it secret):", err=True)
        click.echo(key)

    @survey.command("revoke")
    @click.argument("code")
    @click.pass_context
    def survey_revoke(ctx: click.Context, code: str) -> None:
        """End the key of counter CODE's survey tablet (a lost or stolen tablet); its socket is closed."""
        from queue_app.staff.admin import revoke_device

        _counter(ctx, code)
        had = _write(ctx, lambda: revoke_device(None, "survey", code))
        click.echo(f"survey tablet {code}: " + ("key revoked" if had else "had no key"))


def register(cli: click.Group) -> None:
    register_user(cli.commands["user"])  # type: ignore[arg-type]
    register_kiosk_list(cli)
    register_survey(cli)
    register_service(cli)
    register_site(cli)
