"""``mpp-queue voice check DIR`` and ``voice script``: help a site record its own announcer."""

from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    @cli.group("voice")
    def voice() -> None:
        """The building's own recorded voice ([display] voice_dir)."""

    @voice.command("check")
    @click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
    def voice_check(folder: Path) -> None:
        """List what a voice folder lacks, or has too long, too quiet or in a format a browser may not play.

        Exits 1 when a recording must be fixed; missing ones only fall back to the built-in voice.
        """
        from queue_app.queue.voice import check_folder, segment_names, words_of

        report = check_folder(folder)
        total = len(segment_names())
        click.echo(f"{folder}: {report.found} of {total} segments recorded")
        if report.missing:
            click.echo(f"Missing ({len(report.missing)}, the built-in voice says these):")
            for name in report.missing:
                click.echo(f"  {name}: {words_of(name)}")
        for title, rows in (("Too long", report.too_long), ("Too quiet", report.too_quiet),
                            ("Format", report.bad_format)):
            if rows:
                click.echo(f"{title} ({len(rows)}):")
                for name, detail in rows:
                    click.echo(f"  {name}: {detail}")
        if report.unknown:
            click.echo(f"Not a segment name, ignored: {', '.join(report.unknown)}")
        if not report.ok:
            raise SystemExit(1)
        click.echo("OK." if not report.missing else "OK (missing ones use the built-in voice).")

    @voice.command("script")
    def voice_script() -> None:
        """Print the recording script: each segment's file name and what it says."""
        from queue_app.queue.voice import segment_names, words_of

        for name in segment_names():
            click.echo(f"{name}\t{words_of(name)}")
