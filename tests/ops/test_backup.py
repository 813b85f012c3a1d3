"""``mpp-queue backup`` and ``mpp-queue restore``: a copy taken while the server runs, restored exactly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest
import requests

from queue_app.ops.backup import BackupError, backup, restore

from ..livesite import LiveServer

NO_LIMIT = {"MPP_QUEUE_RATELIMIT_TICKETS": "0"}


def _cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "queue_app", "--config", str(server.config_path), *args],
                          cwd=server.workdir, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **server.env})


def _rows(path) -> list[tuple]:  # noqa: ANN001
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT number, token, status, issued_at FROM tickets ORDER BY id").fetchall()
    finally:
        conn.close()


def _issue(server: LiveServer, n: int, service: str = "PERIZINAN") -> list[dict]:
    return [requests.post(server.url + "/api/tickets", json={"service": service, "kiosk": "K1"},
                          headers=server.kiosk_headers("K1"), timeout=5).json()
            for _ in range(n)]


@pytest.mark.slow
def test_sqlite_backup_while_serving_then_restore_gives_back_exactly_the_backup(tmp_path):
    server = LiveServer(tmp_path / "site", env=NO_LIMIT).start()
    db_file = server.workdir / "instance" / "queue.db"
    backup_file = tmp_path / "backups" / "pagi.db"
    try:
        before = _issue(server, 10)
        # kiosks keep issuing while the backup runs: the copy must still be one consistent moment
        stop = threading.Event()
        during: list[dict] = []

        def kiosk() -> None:
            while not stop.is_set():
                during.append(requests.post(server.url + "/api/tickets", json={"service": "NONIZIN", "kiosk": "K1"},
                                            headers=server.kiosk_headers("K1"),
                                            timeout=5).json())

        t = threading.Thread(target=kiosk)
        t.start()
        try:
            result = _cli(server, "backup", str(backup_file))
        finally:
            stop.set()
            t.join(10)
        assert result.returncode == 0, result.stderr
        assert "Backup written" in result.stdout and backup_file.is_file()
        snapshot = _rows(backup_file)
        numbers = [r[0] for r in snapshot]
        assert {t["number"] for t in before} <= set(numbers)  # everything answered before the backup began
        b_numbers = sorted(int(n[2:]) for n in numbers if n.startswith("B-"))
        assert b_numbers == list(range(1, len(b_numbers) + 1))  # a prefix of the B tickets, no hole
        conn = sqlite3.connect(backup_file)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        conn.close()

        after = _issue(server, 5)
        requests.post(server.url + "/api/counters/L01/call-next", json={}, headers=server.token(), timeout=5)
        server.stop()

        refused = _cli(server, "restore", str(backup_file))
        assert refused.returncode != 0 and "--yes" in refused.stderr
        assert len(_rows(db_file)) == len(before) + len(during) + len(after)  # untouched

        result = _cli(server, "restore", str(backup_file), "--yes")
        assert result.returncode == 0, result.stderr
        assert _rows(db_file) == snapshot  # the database equals the backup, row for row

        server.start()
        for t in after:
            assert requests.get(f"{server.url}/api/tickets/{t['token']}", timeout=5).status_code == 404
        for t in before:
            body = requests.get(f"{server.url}/api/tickets/{t['token']}", timeout=5).json()
            assert body["number"] == t["number"] and body["status"] == "waiting"
        nxt = _issue(server, 1)[0]
        assert nxt["number"] == "A-011"  # numbering continues from the restored day
    finally:
        server.stop()


def test_restore_refuses_what_is_not_a_queue_backup(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        restore(f"sqlite:///{tmp_path / 'q.db'}", junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(BackupError, match="not an mpp-queue database"):
        restore(f"sqlite:///{tmp_path / 'q.db'}", other)
    with pytest.raises(BackupError, match="in-memory"):
        backup("sqlite://", tmp_path / "b.db")
    with pytest.raises(BackupError, match="no database"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "b.db")
    assert not (tmp_path / "q.db").exists()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_backup_and_restore_with_pg_dump(tmp_path, pg_url):
    from .test_faults import _fresh_database

    db_url = _fresh_database(pg_url, "mpp_backup_pg")
    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_DATABASE_URL": db_url, **NO_LIMIT}).start()
    dump = tmp_path / "pagi.dump"
    try:
        before = _issue(server, 6)
        result = _cli(server, "backup", str(dump))
        assert result.returncode == 0, result.stderr
        after = _issue(server, 4)
        server.stop()
        result = _cli(server, "restore", str(dump), "--yes")
        assert result.returncode == 0, result.stderr
        server.start()
        for t in before:
            assert requests.get(f"{server.url}/api/tickets/{t['token']}", timeout=5).json()["number"] == t["number"]
        for t in after:
            assert requests.get(f"{server.url}/api/tickets/{t['token']}", timeout=5).status_code == 404
        assert _issue(server, 1)[0]["number"] == "A-007"
    finally:
        server.stop()
