"""Real server processes for end-to-end tests: ``mpp-queue serve`` on a free port with a temp site."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .helpers import TEST_SITE

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """One ``mpp-queue serve`` process; restartable, killable, with its admin password."""

    workdir: Path
    config_text: str = TEST_SITE
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    admin_password: str | None = None
    #: where the server wrote the generated admin password (gone once it was changed)
    first_password_file: Path | None = None
    log_path: Path | None = None
    #: kiosk code -> its key, provisioned once with ``mpp-queue kiosk key`` (a second one would end the first)
    kiosk_keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "config.toml"

    def write_config(self) -> None:
        text = re.sub(r'(?m)^base_url = "[^"]*"', f'base_url = "{self.url}"', self.config_text)
        if "base_url" not in text:
            text = text.replace("[site]\n", f'[site]\nbase_url = "{self.url}"\n', 1)
        self.config_path.write_text(text)

    def start(self, timeout: float = 30) -> LiveServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            self.write_config()
        self.log_path = self.workdir / f"server-{self.port}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env.pop("MPP_QUEUE_CONFIG", None)
        env.setdefault("MPP_QUEUE_CHECK_SHAPES", "1")  # every answer and payload checked against its shape
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                self.command(env),
                cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code in (200, 503):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"server did not come up:\n{self.log()}")
        m = re.search(r"Created user 'admin'; its password is in (\S+)", self.log())
        if m and self.admin_password is None:
            self.first_password_file = Path(m.group(1))
            self.admin_password = self._change_first_password(self.first_password_file)
        return self

    def command(self, env: dict[str, str]) -> list[str]:
        """The server's command line (``env`` is the child's environment, to add to)."""
        return [sys.executable, "-m", "queue_app", "--config", str(self.config_path), "serve",
                "--host", "127.0.0.1", "--port", str(self.port)]

    def _change_first_password(self, path: Path) -> str:
        """Read the generated admin password from its 0600 file and change it, as an admin must at first
        sign-in (its tokens are refused until then); return the new one."""
        generated = re.search(r"password: (\S+)", path.read_text()).group(1)
        token = requests.post(self.url + "/api/auth/token", json={"username": "admin", "password": generated},
                              timeout=5).json()["token"]
        new = generated + "-changed"
        resp = requests.post(self.url + "/api/auth/password", json={"current_password": generated,
                                                                   "new_password": new},
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)
        resp.raise_for_status()
        return new

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, like a power cut."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self, username: str = "admin", password: str | None = None) -> dict[str, str]:
        """Bearer headers for a user (the generated admin by default)."""
        resp = requests.post(self.url + "/api/auth/token",
                             json={"username": username, "password": password or self.admin_password}, timeout=5)
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['token']}"}

    def kiosk_key(self, code: str = "K1") -> str:
        """The key of kiosk ``code``, made once with ``mpp-queue kiosk key CODE`` like an installer would."""
        if code not in self.kiosk_keys:
            done = subprocess.run(
                [sys.executable, "-m", "queue_app", "--config", str(self.config_path), "kiosk", "key", code],
                capture_output=True, text=True, check=True, cwd=self.workdir, env={**os.environ, **self.env})
            self.kiosk_keys[code] = done.stdout.strip()
        return self.kiosk_keys[code]

    def kiosk_headers(self, code: str = "K1") -> dict[str, str]:
        """Headers of kiosk ``code`` as an API client (send ``"kiosk": code`` in the body too)."""
        return {"X-Kiosk-Key": self.kiosk_key(code)}

    def add_user(self, username: str, password: str, role: str = "clerk", counters: tuple[str, ...] = ()) -> None:
        args = [sys.executable, "-m", "queue_app", "--config", str(self.config_path), "user", "add", username,
                "--role", role, "--password-stdin"]
        for c in counters:
            args += ["--counter", c]
        subprocess.run(args, input=password + "\n", text=True, check=True, cwd=self.workdir,
                       capture_output=True, env={**os.environ, **self.env})


@dataclass
class LiveGunicorn(LiveServer):
    """One gunicorn process (one gevent worker) as docs/deploy.md starts it: ``gunicorn -c gunicorn.conf.py``."""

    def command(self, env: dict[str, str]) -> list[str]:
        env["MPP_QUEUE_CONFIG"] = str(self.config_path)
        env["MPP_QUEUE_BIND"] = f"127.0.0.1:{self.port}"
        return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "queue_app.wsgi:app"]


class Recorder:
    """Socket.IO events as they arrive, with a wait for the first one matching."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        self.changed = threading.Condition()

    def add(self, name: str, data: dict) -> None:
        with self.changed:
            self.events.append((name, data))
            self.changed.notify_all()

    def wait_for(self, name: str, pred, timeout: float = 5.0) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for n, d in self.events:
                    if n == name and pred(d):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {name} event matching within {timeout}s: {self.events[-5:]}")
                self.changed.wait(left)


def issue(live: LiveServer, service: str = "PERIZINAN", kiosk: str = "K1") -> dict:
    """Issue a ticket over HTTP, as kiosk ``kiosk`` with its key."""
    r = requests.post(live.url + "/api/tickets", json={"service": service, "kiosk": kiosk},
                      headers=live.kiosk_headers(kiosk), timeout=5)
    r.raise_for_status()
    return r.json()


def call_next(live: LiveServer, headers: dict[str, str], counter: str = "L01") -> dict:
    """Call the next ticket over HTTP (finishing the current one)."""
    r = requests.post(f"{live.url}/api/counters/{counter}/call-next", json={"finish_current": True},
                      headers=headers, timeout=5)
    r.raise_for_status()
    return r.json()["ticket"]


class ClerkPanel:
    """A clerk's panel connected to a counter (the ``/counter`` namespace with ``auth.counter``), as python-socketio:
    while it is connected the counter is staffed and serves in the estimates (queue_app/queue/presence.py)."""

    def __init__(self, live: LiveServer, headers: dict[str, str], counter: str = "L01"):
        import socketio

        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(live.url, namespaces=["/counter"], transports=["polling"], wait_timeout=10,
                         auth={"token": headers["Authorization"].split()[1], "counter": counter})

    def close(self) -> None:
        self.sio.disconnect()


def wait_until_subscribed(redis_url: str, processes: int = 1, timeout: float = 10.0) -> None:
    """Wait until ``processes`` servers listen on the Socket.IO channel in Redis.

    A server subscribes when its first socket connects, in a background greenlet: a call published
    before that is never heard by it (Redis pub/sub keeps nothing), so a test that calls right after
    connecting a display could lose the race on a loaded machine.
    """
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            ((_, listening),) = client.pubsub_numsub("mpp-queue")
            if listening >= processes:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{listening} of {processes} server processes listen on Redis")
            time.sleep(0.05)
    finally:
        client.close()

