"""Nothing lost, nothing leaked (issue 11, item 6): synchronous commits, guarded restore, private backups,
passwords out of argv and stdout, a first password that must be changed, tokens out of logs, secure cookies.
docs/security.md lists what each test defends.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from queue_app.core.database import begin_write
from queue_app.core.extensions import db
from queue_app.ops import backup as backup_mod
from queue_app.ops.backup import BackupError, backup, hold_server_lock, restore
from queue_app.queue import operations

from ..helpers import TEST_SITE, built_app, login, make_site, take_ticket

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- a 201'd ticket is on disk ------------------------------------------------------------------


def test_sqlite_commits_are_synchronous_full(tmp_path):
    with built_app(make_site(tmp_path), tmp_path / "q.db") as app, app.app_context():
        # 2 = FULL: the WAL is fsynced at every commit, so a power cut cannot take back an answered ticket
        assert db.session.execute(sa.text("PRAGMA synchronous")).scalar() == 2
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"


# --- backups and restore ------------------------------------------------------------------------


def _queue_db(tmp_path: Path, name: str, tickets: int) -> Path:
    """A real queue database file with ``tickets`` tickets (and an alembic_version row, as a backup has)."""
    path = tmp_path / name
    with built_app(make_site(tmp_path), path) as app, app.app_context():
        begin_write()
        for _ in range(tickets):
            operations.issue_ticket("PERIZINAN")
        db.session.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32))"))
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('x')"))
        db.session.commit()
    return path


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()


def test_backups_are_written_mode_0600_whatever_the_umask(tmp_path):
    live = _queue_db(tmp_path, "live.db", 2)
    old = os.umask(0o022)
    try:
        dest = backup(f"sqlite:///{live}", tmp_path / "out" / "pagi.db")
    finally:
        os.umask(old)
    assert _mode(dest) == 0o600
    assert _count(dest) == 2


def test_restore_refuses_while_a_server_holds_the_database_and_saves_the_current_one_first(tmp_path):
    live = _queue_db(tmp_path, "live.db", 3)
    url = f"sqlite:///{live}"
    snapshot = backup(url, tmp_path / "snap.db")
    with built_app(make_site(tmp_path), live) as app, app.app_context():  # two more tickets after the backup
        operations.issue_ticket("PERIZINAN")
        operations.issue_ticket("PERIZINAN")
        db.session.commit()
    assert _count(live) == 5
    # a server process holds the database (another process: flock is per open file, this is the real case)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from queue_app.ops.backup import hold_server_lock; "
        f"hold_server_lock({url!r}); print('held', flush=True); time.sleep(60)")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BackupError, match="a server is using this database"):
            restore(url, snapshot, save_to=tmp_path / "saved.db")
        assert _count(live) == 5 and not (tmp_path / "saved.db").exists()  # untouched, nothing saved
    finally:
        holder.terminate()
        holder.wait(10)
        holder.stdout.close()
    # the server is gone: the restore saves what it replaces, then replaces it
    saved = restore(url, snapshot, save_to=tmp_path / "saves" / "before.db")
    assert saved == (tmp_path / "saves" / "before.db").resolve()
    assert _count(saved) == 5 and _mode(saved) == 0o600
    assert _count(live) == 3


def test_a_server_in_this_process_blocks_restore_too(tmp_path):
    live = _queue_db(tmp_path, "live.db", 1)
    url = f"sqlite:///{live}"
    snapshot = backup(url, tmp_path / "snap.db")
    hold_server_lock(url)
    try:
        with pytest.raises(BackupError, match="stop it"):
            restore(url, snapshot)
    finally:
        backup_mod._held.pop(backup_mod._lock_path(live.resolve())).close()
    assert restore(url, snapshot) is None  # no save_to: nothing saved


def test_restore_cli_names_the_saved_copy(tmp_path):
    cfg = tmp_path / "site" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text(TEST_SITE)
    run = lambda *a: subprocess.run([sys.executable, "-m", "queue_app", "--config", str(cfg), *a],  # noqa: E731
                                    cwd=cfg.parent, capture_output=True, text=True, timeout=120)
    assert run("db", "upgrade").returncode == 0
    assert run("backup", str(tmp_path / "b.db")).returncode == 0
    result = run("restore", str(tmp_path / "b.db"), "--yes")
    assert result.returncode == 0, result.stderr
    saved = Path(re.search(r"saved in (\S+)", result.stdout).group(1))
    assert saved.parent == cfg.parent / "instance" / "backups" and _mode(saved) == 0o600
    assert _mode(saved.parent) == 0o700


def test_postgres_password_goes_by_environment_never_argv(tmp_path, monkeypatch):
    calls = []

    def fake_run(argv, **kw):  # noqa: ANN001, ANN202
        calls.append((argv, kw.get("env") or {}))
        for a in argv:
            if a.startswith("--file="):
                Path(a[len("--file="):]).write_bytes(b"dump")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(backup_mod.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup_mod.subprocess, "run", fake_run)
    monkeypatch.setattr(backup_mod, "_pg_other_sessions", lambda url: [])
    url = "postgresql+psycopg://mpp:Rahasia%2FSekali@db.local:5432/antrean"
    dest = backup(url, tmp_path / "x.dump")
    assert _mode(dest) == 0o600
    restore(url, dest)
    assert len(calls) == 2
    for argv, env in calls:
        assert not any("Rahasia" in a for a in argv), argv
        assert any("postgresql://mpp@db.local:5432/antrean" in a for a in argv), argv
        assert env["PGPASSWORD"] == "Rahasia/Sekali"


@pytest.mark.postgres
def test_postgres_restore_refuses_while_another_client_is_connected(tmp_path, pg_url):
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as other:  # a server's connection
            other.execute(sa.text("SELECT 1"))
            with pytest.raises(BackupError, match="other connection"):
                restore(pg_url, _queue_db(tmp_path, "any.db", 0), save_to=tmp_path / "saved.dump")
        assert not (tmp_path / "saved.dump").exists()
    finally:
        engine.dispose()


# --- the first admin password -------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path):
    """An app on an empty site with no user, bootstrapped like the first start of a server."""
    from queue_app.startup import bootstrap

    with built_app(make_site(tmp_path), tmp_path / "q.db") as app:
        app.config["TEST_PASSWORD_FILE"] = bootstrap(app, migrate_db=False)
        yield app


def test_first_admin_password_is_in_a_0600_file_and_must_be_changed(fresh, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    path = fresh.config["TEST_PASSWORD_FILE"]
    assert path == fresh.extensions["site"].instance_dir / "first-admin-password"
    assert _mode(path) == 0o600
    password = re.search(r"password: (\S+)", path.read_text()).group(1)
    assert len(password) >= 12
    out = capsys.readouterr()
    assert password not in out.out + out.err + caplog.text

    client = fresh.test_client()
    # a bearer token is issued but refused everywhere until the password is changed
    token = client.post("/api/auth/token", json={"username": "admin", "password": password}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    for method, url in (("get", "/api/me"), ("get", "/api/admin/users"), ("post", "/api/counters/L01/pause")):
        resp = getattr(client, method)(url, headers=bearer)
        assert resp.status_code == 403, (url, resp.status_code)
        assert resp.get_json()["error"]["code"] == "password_change_required"
        assert "/api/auth/password" in resp.get_json()["error"]["message"]

    # a browser session is held at the change-password page
    browser = fresh.test_client()
    page = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = browser.post("/login", data={"username": "admin", "password": password, "csrf_token": csrf})
    assert signed.status_code == 302
    for url in ("/dashboard/", "/admin/users", "/counter/"):
        resp = browser.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/password"), url
    form = browser.get("/password")
    assert form.status_code == 200 and 'name="new_password"' in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    differ = browser.post("/password", data={"current_password": password, "new_password": "baru-sekali-1",
                                             "repeat_password": "baru-sekali-2", "csrf_token": csrf})
    assert differ.status_code == 422
    wrong = browser.post("/password", data={"current_password": "nope", "new_password": "baru-sekali-1",
                                            "repeat_password": "baru-sekali-1", "csrf_token": csrf})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    done = browser.post("/password", data={"current_password": password, "new_password": "baru-sekali-1",
                                           "repeat_password": "baru-sekali-1", "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard/"
    assert browser.get("/admin/users").status_code == 200
    assert not path.exists()  # the generated password is gone with its validity
    # the token made with the generated password ended with it: a password change ends every other session and
    # token of the user (contract, "Hardening (third round)")
    assert client.get("/api/me", headers=bearer).status_code == 401


def test_password_change_over_the_api(fresh):
    path = fresh.config["TEST_PASSWORD_FILE"]
    password = re.search(r"password: (\S+)", path.read_text()).group(1)
    client = fresh.test_client()
    bearer = {"Authorization": "Bearer " + client.post("/api/auth/token", json={
        "username": "admin", "password": password}).get_json()["token"]}
    bad = client.post("/api/auth/password", json={"current_password": "x", "new_password": "baru-sekali-1"},
                      headers=bearer)
    assert bad.status_code == 403 and bad.get_json()["error"]["code"] == "wrong_password"
    short = client.post("/api/auth/password", json={"current_password": password, "new_password": "pendek"},
                        headers=bearer)
    assert short.status_code == 422 and short.get_json()["error"]["field"] == "new_password"
    same = client.post("/api/auth/password", json={"current_password": password, "new_password": password},
                       headers=bearer)
    assert same.status_code == 422
    assert client.post("/api/auth/password", json={"current_password": password, "new_password": "x" * 9}).status_code == 401
    ok = client.post("/api/auth/password", json={"current_password": password, "new_password": "baru-sekali-1"},
                     headers=bearer)
    assert ok.status_code == 200 and ok.get_json() == {"ok": True}
    assert client.get("/api/me", headers=bearer).get_json()["username"] == "admin"
    assert client.post("/api/auth/token", json={"username": "admin", "password": "baru-sekali-1"}).status_code == 200


def test_staff_sockets_refuse_a_generated_password_until_changed(fresh):
    from queue_app.core.extensions import socketio

    password = re.search(r"password: (\S+)", fresh.config["TEST_PASSWORD_FILE"].read_text()).group(1)
    client = fresh.test_client()
    token = client.post("/api/auth/token", json={"username": "admin", "password": password}).get_json()["token"]
    for namespace in ("/dashboard", "/counter"):
        sock = socketio.test_client(fresh, namespace=namespace, auth={"token": token})
        assert not sock.is_connected(namespace)
    client.post("/api/auth/password", json={"current_password": password, "new_password": "baru-sekali-1"},
                headers={"Authorization": f"Bearer {token}"})
    sock = socketio.test_client(fresh, namespace="/dashboard", auth={"token": token})
    assert sock.is_connected("/dashboard")
    sock.disconnect("/dashboard")


def test_users_created_by_an_admin_need_no_change(app, client, staff):
    headers = staff.headers("siti", "clerk", ["L01"])
    assert client.get("/api/me", headers=headers).status_code == 200


# --- tokens out of log lines --------------------------------------------------------------------


def test_request_logs_name_the_route_not_the_token(app, client, caplog, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from queue_app.core.errors import redact

    ticket_token = take_ticket(client).get_json()["token"]

    def down(token: str):  # noqa: ANN202
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(operations, "get_ticket_by_token", down)
    caplog.set_level(logging.DEBUG)
    assert client.get(f"/api/tickets/{ticket_token}").status_code == 503
    app.config["PROPAGATE_UNEXPECTED"] = False

    def boom(token: str):  # noqa: ANN202
        raise RuntimeError("bug")

    monkeypatch.setattr(operations, "get_ticket_by_token", boom)
    assert client.get(f"/api/tickets/{ticket_token}").status_code == 500
    assert caplog.records and "/api/tickets/<token>" in caplog.text
    assert ticket_token not in caplog.text
    # the same rule for paths that matched no route, and for gunicorn's access log
    assert redact(f"/t/{ticket_token}/x?token={ticket_token}") == "/t/<token>/x?token=<token>"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    for line in (f"GET /t/{ticket_token} HTTP/1.1", f"/api/tickets/{ticket_token}/reprint",
                 f"/socket.io/?EIO=4&token={ticket_token}&transport=polling"):
        assert conf._TOKEN_IN_PATH.sub(r"\1<token>", line) == redact(line)
        assert ticket_token not in redact(line)
    assert conf.logger_class.__name__ == "TokenRedactingLogger"


def test_gunicorn_access_log_atoms_hold_no_token():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    from gunicorn.config import Config

    class Req:
        headers = [("REFERER", "http://mpp/t/SECRETTOKEN123")]
        method, path, query, version, uri = "GET", "/t/SECRETTOKEN123", "", (1, 1), "/t/SECRETTOKEN123"

    class Resp:
        status, status_code, response_length, sent, headers = "200 OK", 200, 10, 10, []

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/t/SECRETTOKEN123", "PATH_INFO": "/t/SECRETTOKEN123",
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
               "HTTP_REFERER": "http://mpp/t/SECRETTOKEN123"}
    from datetime import timedelta

    atoms = conf.TokenRedactingLogger(Config()).atoms(Resp(), Req(), environ, timedelta(seconds=0.01))
    assert "SECRETTOKEN123" not in repr(atoms)
    assert atoms["r"] == "GET /t/<token> HTTP/1.1"


# --- secure cookies ----------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False])
def test_secure_cookies_switch(tmp_path, secure):
    text = TEST_SITE + f"\n[server]\nsecure_cookies = {'true' if secure else 'false'}\n"
    with built_app(make_site(tmp_path, text), tmp_path / "q.db") as app:
        assert app.config.get("SESSION_COOKIE_SECURE", False) is secure
        assert app.config.get("REMEMBER_COOKIE_SECURE", False) is secure
        from ..helpers import Staff

        Staff(app).user("siti", "clerk", ["L01"])
        client = app.test_client()
        login(client, "siti")
        cookies = [c for c in client._cookies.values() if c.key == "session"]
        assert cookies and all(c.secure is secure for c in cookies)


def test_secure_cookies_is_validated(tmp_path):
    from queue_app.core.siteconfig import ConfigError

    with pytest.raises(ConfigError, match="secure_cookies"):
        make_site(tmp_path, TEST_SITE + '\n[server]\nsecure_cookies = "yes please"\n')
