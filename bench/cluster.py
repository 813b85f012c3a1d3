"""Several mpp-queue servers as docs/deploy.md runs them: gunicorn processes (one gevent worker each) on their
own ports, sharing one PostgreSQL and one Redis. Used by bench/scale_out.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# --- the services --------------------------------------------------------------------------------


def reset_database(url: str) -> None:
    """Create the database when missing, then empty it (``mpp-queue db upgrade`` builds the schema)."""
    import sqlalchemy as sa

    from bench.issue_tickets import _reset_postgres

    target = sa.make_url(url)
    if not target.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url must be PostgreSQL, not {target.drivername}")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    _reset_postgres(url)


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


# --- the servers ---------------------------------------------------------------------------------


class Servers:
    """N gunicorn processes (one gevent worker each) on N ports, one config, one instance directory."""

    def __init__(self, workdir: Path, n: int, database_url: str, redis_url: str) -> None:
        from tests.livesite import free_port

        self.workdir = workdir
        self.ports = [free_port() for _ in range(n)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.config = workdir / "config.toml"
        self.database_url = database_url
        self.redis_url = redis_url
        self.masters: list[subprocess.Popen] = []
        self.workers: list[int] = []  # the gevent worker's pid of each master
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPP_QUEUE_CONFIG": str(self.config),
                    # thousands of sockets from one address, thousands of tickets from one kiosk
                    "MPP_QUEUE_SOCKETS_PER_ADDRESS": "0", "MPP_QUEUE_RATELIMIT_TICKETS": "0",
                    "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
        for name in ("MPP_QUEUE_DATABASE_URL", "MPP_QUEUE_MESSAGE_QUEUE", "MPP_QUEUE_BIND"):
            self.env.pop(name, None)  # config.toml's [server] says where they are

    def write_config(self) -> None:
        """The test site of bench/call_latency.py (no opening hours, kiosk K1 without a printer) on PostgreSQL
        and Redis: the repo's demo config.toml refuses tickets outside Mon-Fri 08:00-15:00 Asia/Jakarta."""
        from tests.helpers import TEST_SITE

        text = TEST_SITE.replace('base_url = "http://mpp.test"', f'base_url = "{self.urls[0]}"')
        text += (f"\n[server]\ndatabase_url = {json.dumps(self.database_url)}\n"
                 f"message_queue = {json.dumps(self.redis_url)}\n")
        self.config.write_text(text)

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "queue_app", "--config", str(self.config), *args],
                              cwd=self.workdir, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"mpp-queue {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout.strip()

    def log_path(self, i: int) -> Path:
        return self.workdir / f"server-{self.ports[i]}.log"

    def log(self, i: int) -> str:
        path = self.log_path(i)
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        self.write_config()
        # the schema is built once, before any server starts (each worker's bootstrap then finds it current)
        self.cli("db", "upgrade")
        self._spawn(0)  # the first one applies config.toml and creates the admin alone
        self._wait(0)
        for i in range(1, len(self.ports)):
            self._spawn(i)
        for i in range(1, len(self.ports)):
            self._wait(i)

    def _spawn(self, i: int) -> None:
        env = {**self.env, "MPP_QUEUE_BIND": f"127.0.0.1:{self.ports[i]}"}
        with open(self.log_path(i), "ab") as log:  # the child keeps its own copy of the descriptor
            # as docs/deploy.md starts it (gunicorn.conf.py turns off gunicorn's one-per-user control socket)
            cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "queue_app.wsgi:app"]
            self.masters.append(subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=log,
                                                 stderr=subprocess.STDOUT, start_new_session=True))

    def _wait(self, i: int, timeout: float = 90) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.masters[i].poll() is not None:
                code = self.masters[i].returncode
                raise RuntimeError(f"server {self.urls[i]} exited with {code}:\n{self.log(i)}")
            try:
                if requests.get(self.urls[i] + "/api/health", timeout=2).status_code in (200, 503):
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"server {self.urls[i]} did not come up:\n{self.log(i)}")
        pid = self.masters[i].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            raise RuntimeError(f"gunicorn {pid} has no worker:\n{self.log(i)}")
        self.workers.append(int(children[0]))

    def admin_token(self) -> str:
        """Change the generated admin password (its tokens are refused until then); a token of the new one."""
        import requests

        text = "".join(self.log(i) for i in range(len(self.ports)))
        m = re.search(r"Created user 'admin'; its password is in (\S+)", text)
        if not m:
            raise SystemExit(f"no server created the admin:\n{text}")
        generated = re.search(r"password: (\S+)", Path(m.group(1)).read_text()).group(1)
        url = self.urls[0]
        first = requests.post(url + "/api/auth/token", json={"username": "admin", "password": generated},
                              timeout=5)
        first.raise_for_status()
        new = generated + "-bench"
        change = {"current_password": generated, "new_password": new}
        auth = {"Authorization": f"Bearer {first.json()['token']}"}
        requests.post(url + "/api/auth/password", json=change, headers=auth, timeout=5).raise_for_status()
        # signed in through the other process: the token lives in the shared database
        r = requests.post(self.urls[-1] + "/api/auth/token", json={"username": "admin", "password": new},
                          timeout=5)
        r.raise_for_status()
        return r.json()["token"]

    def rss(self) -> list[dict[str, int]]:
        from bench.call_latency import rss_kb

        out = []
        for pid in self.workers:
            try:
                out.append(rss_kb(pid))
            except OSError:
                out.append({})
        return out

    def stop(self) -> None:
        """SIGTERM every master (gunicorn stops its worker), SIGKILL the process group of any that lingers."""
        for p in self.masters:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 25  # gunicorn.conf.py: graceful_timeout 20
        for p in self.masters:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(max(0.1, deadline - time.monotonic()))
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)  # its own session: the master and its worker only
                p.wait(10)
        for pid in self.workers:  # a worker outliving its master would hold the port and the database
            if Path(f"/proc/{pid}").exists() and _ppid(pid) in (1, *(p.pid for p in self.masters)):
                os.kill(pid, signal.SIGKILL)


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])
