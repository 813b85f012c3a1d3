"""``mpp-queue dev docs``: regenerate the pages of docs/ that are built from the code's declarations."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    @cli.group("dev")
    def dev() -> None:
        """For developers of mpp-queue."""

    @dev.command("docs")
    @click.option("--check", is_flag=True, help="write nothing; exit 1 when a generated page is stale")
    def docs(check: bool) -> None:
        """Write docs/socketio-events.md and docs/hooks.md from the declarations."""
        from queue_app.ops.devdocs import write

        stale = write(check=check)
        for name in stale:
            click.echo(f"docs/{name} {'is stale' if check else 'written'}")
        if check and stale:
            raise SystemExit(1)
