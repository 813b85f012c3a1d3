"""``mpp-queue privacy purge|export PHONE|erase PHONE``: personal data with an end (UU 27/2022), from the shell.

Each runs the same function as housekeeping or the information desk would (:mod:`queue_app.privacy.operations`),
audited with no signed-in actor (the number masked in the audit log).
"""

from __future__ import annotations

import click

from queue_app.ops.cli_admin import _app


def register(cli: click.Group) -> None:
    @cli.group("privacy")
    def privacy() -> None:
        """Personal data: purge what is past [privacy] retain_days, export or erase what a number has."""

    @privacy.command("purge")
    @click.pass_context
    def purge_cmd(ctx: click.Context) -> None:
        """Erase now the names and numbers older than [privacy] retain_days (housekeeping does it daily)."""
        from queue_app.core.extensions import db
        from queue_app.privacy import operations

        app = _app(ctx)
        with app.app_context():
            erased = operations.purge()
            db.session.commit()
            done = operations.scrub(operations.tables_of(erased))
        total = sum(erased.values())
        click.echo(f"erased {total} record(s) older than {app.extensions['site'].privacy.retain_days} days"
                   + (f" ({', '.join(f'{k}: {v}' for k, v in erased.items())}); {done}" if total else ""))

    @privacy.command("export")
    @click.argument("phone")
    @click.pass_context
    def export_cmd(ctx: click.Context, phone: str) -> None:
        """Print (JSON) all that is stored about the phone number PHONE."""
        from queue_app.core.errors import ValidationFailed
        from queue_app.core.extensions import db
        from queue_app.privacy import operations

        with _app(ctx).app_context():
            try:
                data = operations.export(phone)
            except ValidationFailed as exc:
                raise click.ClickException(str(exc)) from None
            db.session.commit()
        click.echo(operations.dumps(data))

    @privacy.command("erase")
    @click.argument("phone")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.pass_context
    def erase_cmd(ctx: click.Context, phone: str, yes: bool) -> None:
        """Erase the phone number PHONE and the names given with it, everywhere, now."""
        from queue_app.core.errors import ValidationFailed
        from queue_app.core.extensions import db
        from queue_app.privacy import operations
        from queue_app.privacy.registry import masked

        try:
            shown = masked(phone)
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from None
        if not yes:
            click.confirm(f"Erase {shown} and the names given with it?", abort=True, err=True)
        with _app(ctx).app_context():
            erased = operations.erase(phone)
            db.session.commit()
            done = operations.scrub(operations.tables_of(erased), full=True)
            checked = operations.verify_gone(phone) if erased else "nothing was stored"
        total = sum(erased.values())
        click.echo(f"{shown}: erased {total} record(s)"
                   + (f" ({', '.join(f'{k}: {v}' for k, v in erased.items())}); {done}" if total else "")
                   + f"; {checked}")
