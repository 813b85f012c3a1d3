"""``mpp-queue`` / ``python -m queue_app``: patch for gevent first when serving, then run the CLI."""

import sys


def main() -> None:
    # gevent must patch the standard library before anything imports threading or socket.
    if "serve" in sys.argv[1:]:
        from gevent import monkey

        monkey.patch_all()
    from queue_app.ops.cli import cli

    cli(prog_name="mpp-queue")


if __name__ == "__main__":
    main()
