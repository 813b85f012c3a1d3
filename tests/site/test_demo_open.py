"""``mpp-queue serve --demo-open`` (``make run DEMO_OPEN=1``): the demo takes tickets at any hour, for that run
only, loudly, and never on a database that could be a real site's."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from ..helpers import ROOT
from ..livesite import LiveServer, free_port

pytestmark = pytest.mark.slow


def demo_with_a_holiday_today() -> str:
    """The repository's demo config.toml, its calendar kept, with today a holiday (so it is closed now)."""
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    text = (ROOT / "config.toml").read_text().replace("port = 9100", f"port = {free_port()}")
    assert "[site.hours]" in text and 'hours = "08:00-15:00"' in text
    if f'date = "{today}"' not in text:
        text += f'\n[[holidays]]\ndate = "{today}"\nname = "Hari uji"\n'
    # LiveServer rewrites `base_url = "..."`, a pattern that also matches inside `database_url = "..."`
    return text.replace('database_url = "', 'database_url="')


def services(server: LiveServer) -> list[dict]:
    return requests.get(server.url + "/api/services", timeout=5).json()


def test_the_demo_keeps_its_calendar_unless_opened_for_the_run(tmp_path):
    closed = LiveServer(tmp_path / "closed", config_text=demo_with_a_holiday_today()).start()
    try:
        tiles = services(closed)
        assert tiles and all(not s["open"] and s["closed_reason"] == "holiday" for s in tiles)
        assert "DEMO OPEN" not in closed.log()
    finally:
        closed.stop()

    opened = LiveServer(tmp_path / "opened", config_text=demo_with_a_holiday_today(),
                        env={"MPP_QUEUE_DEMO_OPEN": "1"}).start()
    try:
        tiles = services(opened)
        assert len(tiles) == (ROOT / "config.toml").read_text().count("\n[[services]]\n") and all(s["open"] and s["hours"] is None for s in tiles)
        ticket = requests.post(opened.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                               headers=opened.kiosk_headers("K1"), timeout=5)
        assert ticket.status_code == 201, ticket.text
        assert "DEMO OPEN: config.toml's opening hours and holidays are ignored" in opened.log()  # said, loudly
    finally:
        opened.stop()
    # only for that run: config.toml itself is unchanged
    assert "[site.hours]" in opened.config_path.read_text()


def test_demo_open_refuses_a_database_other_than_sqlite(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(re.sub(r'database_url = "[^"]*"', 'database_url = "postgresql+psycopg://nobody@127.0.0.1:1/x"',
                             (ROOT / "config.toml").read_text()))
    done = subprocess.run([sys.executable, "-m", "queue_app", "--config", str(config), "serve", "--demo-open",
                           "--port", str(free_port())], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert "--demo-open is for trying the demo on one computer (SQLite)" in done.stderr
