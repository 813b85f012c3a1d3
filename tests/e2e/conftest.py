"""End-to-end fixtures: the demo site (config.toml) served by a real process, printing to the fake network
printer, and Debian's Chromium from tests/browser."""

from __future__ import annotations

import pytest

from ..helpers import PASSWORD, demo_config
from ..livesite import LiveServer


@pytest.fixture
def demo(tmp_path, fake_printer):
    """The demo MPP with a clerk at Loket 1 (siti) and the mall's head (kepala)."""
    server = LiveServer(tmp_path / "demo", config_text=demo_config(fake_printer.port)).start()
    server.add_user("siti", PASSWORD, counters=("L01",))
    server.add_user("kepala", PASSWORD, role="manager")
    yield server
    server.stop()
