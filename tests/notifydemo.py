"""The demo site (config.toml) with its WhatsApp notices going to an in-process fake gateway instead of the
one ``make run`` starts on port 9200: the kiosk asks for a number, phone pages offer one, messages are sent."""

from __future__ import annotations

from pathlib import Path

from .helpers import demo_config
from .livesite import LiveServer
from .notifysite import APP_SECRET, TOKEN, VERIFY, FakeGateway


def demo_with_gateway(workdir: Path, printer_port: int, env: dict[str, str]) -> tuple[LiveServer, FakeGateway]:
    """A demo LiveServer (not started) and its running gateway; the demo's secret files written as it knows them."""
    gateway = FakeGateway()
    config = demo_config(printer_port, notify=True).replace("127.0.0.1:9200", f"127.0.0.1:{gateway.port}")
    server = LiveServer(workdir, config_text=config, env=env)
    secrets = workdir / "instance"  # [notify.whatsapp] *_file of config.toml
    secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in (("whatsapp-token", TOKEN), ("whatsapp-app-secret", APP_SECRET),
                        ("whatsapp-verify-token", VERIFY)):
        (secrets / name).write_text(value + "\n")
        (secrets / name).chmod(0o600)
    return server, gateway
