"""A live server whose notices go to an in-process fake gateway (fakegateway/), for tests and the benchmark."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from fakegateway import Gateway, serve

from .helpers import TEST_SITE
from .livesite import LiveServer, free_port

TOKEN, APP_SECRET, VERIFY = "test-access-token", "test-app-secret", "test-verify-token"

TEMPLATES = {"issued": "antrean_diambil", "ahead": "antrean_hampir", "come_now": "antrean_segera_datang",
             "called": "antrean_dipanggil", "missed": "antrean_terlewat", "done": "antrean_selesai",
             "booked": "reservasi_dibuat", "reminder": "reservasi_pengingat", "notice": "pengumuman_layanan"}


def notify_config(gateway_port: int, *, ahead_at: int = 2, provider: str = "whatsapp", timeout: float = 10) -> str:
    templates = "\n".join(f'{k} = "{v}"' for k, v in TEMPLATES.items())
    site = TEST_SITE.replace("target_wait_minutes = 15\n", "target_wait_minutes = 15\n\n[services.remote]\n"
                                                           "daily_quota = 40\narrive_ahead = 2\n", 1)
    return site + f"""
[notify]
provider = "{provider}"
ahead_at = {ahead_at}
timeout_seconds = {timeout}

[notify.whatsapp]
api_url = "http://127.0.0.1:{gateway_port}/v21.0"
phone_number_id = "1234567890"
token_file = "secrets/whatsapp-token"
app_secret_file = "secrets/whatsapp-app-secret"
verify_token_file = "secrets/whatsapp-verify-token"
language = "id"

[notify.whatsapp.templates]
{templates}
"""


class FakeGateway:
    """The fake gateway served from a thread of the test process."""

    def __init__(self, out_dir: Path | None = None) -> None:
        self.port = free_port()
        self.gw = Gateway(out_dir, token=TOKEN, app_secret=APP_SECRET)
        self.server = serve("127.0.0.1", self.port, self.gw)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def set_mode(self, mode: str, delay: float = 3.0) -> None:
        self.gw.mode, self.gw.delay = mode, delay

    def messages(self, **match: Any) -> list[dict]:  # noqa: ANN401
        with self.gw.lock:
            return [m for m in self.gw.messages if all(m.get(k) == v for k, v in match.items())]

    def attempts_to(self, phone: str) -> list[dict]:
        with self.gw.lock:
            return [a for a in self.gw.attempts if isinstance(a["body"], dict) and a["body"].get("to") == phone]

    def wait_for(self, pred: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:  # noqa: ANN401
        deadline = time.monotonic() + timeout
        while True:
            found = pred()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or pred}: {self.gw.messages[-5:]}")
            time.sleep(0.02)


def notify_server(workdir: Path, gateway: FakeGateway, *, env: dict[str, str] | None = None,
                  **config: Any) -> LiveServer:  # noqa: ANN401
    """A LiveServer (not started) whose [notify] points at ``gateway``, its secret files written; ``env`` is
    added to the server's environment (a benchmark's production settings)."""
    server = LiveServer(workdir, config_text=notify_config(gateway.port, **config),
                        env={"MPP_QUEUE_RATELIMIT_TICKETS": "0", "MPP_QUEUE_RATELIMIT_BOOKINGS": "0", **(env or {})})
    secrets_dir = workdir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in (("whatsapp-token", TOKEN), ("whatsapp-app-secret", APP_SECRET),
                        ("whatsapp-verify-token", VERIFY)):
        (secrets_dir / name).write_text(value + "\n")
        (secrets_dir / name).chmod(0o600)
    gateway.gw.webhook = f"{server.url}/api/notify/whatsapp"
    return server


def messages(server: LiveServer, headers: dict[str, str], **query: str) -> list[dict]:
    r = requests.get(server.url + "/api/notify/messages", params=query, headers=headers, timeout=5)
    r.raise_for_status()
    return r.json()
