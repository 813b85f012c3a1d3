"""The mpp-queue command line, run as a real subprocess."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
import requests

from ..helpers import TEST_SITE
from ..livesite import LiveServer


def mpp(*args: str, cwd, stdin: str | None = None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "queue_app", *args], input=stdin, text=True, capture_output=True,
                          cwd=cwd, env=env, timeout=120)


def test_invalid_config_is_refused_with_key_named(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE.replace('prefix = "B"', 'prefix = "A"'))
    result = mpp("--config", str(cfg), "db", "upgrade", cwd=tmp_path)
    assert result.returncode != 0
    assert 'services[1].prefix: duplicate prefix "A"' in result.stderr
    assert "Traceback" not in result.stderr


def test_config_may_also_follow_the_command(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    assert mpp("db", "upgrade", "--config", str(cfg), cwd=tmp_path).returncode == 0
    added = mpp("user", "add", "siti", "--role", "clerk", "--password-stdin", "--config", str(cfg), cwd=tmp_path,
                stdin="kata-sandi-rahasia\n")
    assert added.returncode == 0, added.stderr
    assert "--config" in mpp("serve", "--help", cwd=tmp_path).stdout


def test_config_from_environment_and_db_upgrade_and_user_add(tmp_path):
    import os

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    env = {**os.environ, "MPP_QUEUE_CONFIG": str(cfg)}
    assert mpp("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "instance" / "queue.db").exists()
    ok = mpp("user", "add", "siti", "--role", "clerk", "--counter", "L01", "--password-stdin",
             cwd=tmp_path, stdin="kata-sandi-rahasia\n", env=env)
    assert ok.returncode == 0, ok.stderr
    # one way of writing: sentences, the user named in quotes, as the refusals are written
    assert ok.stdout == 'User "siti" (clerk) added.\n'
    assert "config.toml applied" in ok.stderr  # the first command to open the site applies config.toml...
    dup = mpp("user", "add", "siti", "--role", "clerk", "--password-stdin", cwd=tmp_path, stdin="x" * 12 + "\n",
              env=env)
    assert dup.returncode != 0 and 'Error: User "siti" already exists.' in dup.stderr
    assert "config.toml" not in dup.stderr and "synced" not in dup.stderr  # ...and no later one logs it again
    short = mpp("user", "add", "budi", "--role", "clerk", "--password-stdin", cwd=tmp_path, stdin="short\n", env=env)
    assert short.returncode != 0 and "at least 8" in short.stderr
    bad_counter = mpp("user", "add", "budi", "--role", "clerk", "--counter", "L99", "--password-stdin",
                      cwd=tmp_path, stdin="kata-sandi-rahasia\n", env=env)
    assert bad_counter.returncode != 0 and "L99" in bad_counter.stderr


@pytest.mark.slow
def test_serve_creates_admin_once_and_user_can_sign_in(tmp_path):
    server = LiveServer(tmp_path / "site").start()
    try:
        assert server.admin_password and len(server.admin_password) >= 12
        # the generated password went to a 0600 file, not to the log (stdout is the journal under systemd)
        generated = server.admin_password.removesuffix("-changed")
        assert generated not in server.log() and str(server.first_password_file) in server.log()
        assert not server.first_password_file.exists()  # removed once changed
        assert (tmp_path / "site" / "instance" / "secret_key").stat().st_mode & 0o077 == 0
        server.add_user("siti", "kata-sandi-rahasia", "clerk", ("L01",))
        headers = server.token("siti", "kata-sandi-rahasia")
        me = requests.get(server.url + "/api/me", headers=headers, timeout=5).json()
        assert me["counters"] == ["L01"]
        server.stop()
        server.start()
        assert server.log().count("Created user 'admin'") == 1  # not created again on restart
    finally:
        server.stop()


def _audit(db_path) -> list[tuple[str, str, str]]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db_path)) as con:
        return [(a, t, d) for a, t, d in con.execute("SELECT action, target, details FROM audit_log ORDER BY id")]


def test_admin_from_the_shell_writes_the_audit_log(tmp_path):
    """user list|disable|reset-password|set-counters, kiosk list, service close, site close: each audited."""
    import json
    from datetime import date, timedelta

    from click.testing import CliRunner

    from queue_app.ops.cli import cli

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):
        result = runner.invoke(cli, ["--config", str(cfg), *args], input=stdin, catch_exceptions=False)
        return result

    assert run("db", "upgrade").exit_code == 0
    assert run("user", "add", "siti", "--role", "clerk", "--counter", "L01", "--password-stdin",
               stdin="kata-sandi-rahasia\n").exit_code == 0
    listed = run("user", "list")
    assert listed.exit_code == 0 and "siti\tclerk\tactive\tL01" in listed.output

    moved = run("user", "set-counters", "siti", "L02", "L03")
    assert moved.exit_code == 0 and "L02, L03" in moved.output
    bad = run("user", "set-counters", "siti", "L99")
    assert bad.exit_code != 0 and "L99" in bad.output
    assert run("user", "reset-password", "siti", "--password-stdin", stdin="sandi-baru-sekali\n").exit_code == 0
    short = run("user", "reset-password", "siti", "--password-stdin", stdin="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    assert run("user", "disable", "siti").exit_code == 0
    assert "siti\tclerk\tdisabled" in run("user", "list").output
    again = run("user", "disable", "siti")
    assert again.exit_code != 0 and "already disabled" in again.output
    assert run("user", "disable", "nobody").exit_code != 0

    kiosks = run("kiosk", "list")
    assert kiosks.exit_code == 0 and "K1\t-\t(all)" in kiosks.output
    assert "K2\tp1\tPERIZINAN,HALAL" in kiosks.output

    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    closed = run("service", "close", "NONIZIN", "--reason", "Sistem OSS gangguan", "--date", tomorrow)
    assert closed.exit_code == 0, closed.output
    assert run("service", "close", "NONIZIN", "--reason", "x", "--date", "2020-01-01").exit_code != 0
    assert run("service", "close", "NONIZIN", "--reason", "x", "--date", "besok").exit_code != 0
    assert run("service", "close", "NOPE", "--reason", "x").exit_code != 0
    assert run("site", "close", "--date", tomorrow, "--reason", "Rapat kerja").exit_code == 0
    assert f"{tomorrow}\tRapat kerja" in run("site", "closures").output

    entries = _audit(tmp_path / "instance" / "queue.db")
    actions = [(a, t) for a, t, _ in entries]
    assert actions == [("counters_assigned", "siti"), ("password_reset", "siti"), ("user_disabled", "siti"),
                       ("service_closed", "NONIZIN"), ("site_closed", tomorrow)]
    details = {a: json.loads(d) for a, _, d in entries}
    assert details["counters_assigned"] == {"before": ["L01"], "after": ["L02", "L03"]}
    assert details["service_closed"] == {"reason": "Sistem OSS gangguan", "day": tomorrow}
    assert "sandi" not in entries[1][2]  # never the password


def test_kiosk_key_prints_a_new_key_once_and_ends_the_old_one(tmp_path):
    """`mpp-queue kiosk key K1`: the key on stdout (the explanation on stderr), stored hashed; a new one ends it."""
    import sqlite3

    cfg = tmp_path / "config.toml"
    cfg.write_text(TEST_SITE)
    assert mpp("--config", str(cfg), "db", "upgrade", cwd=tmp_path).returncode == 0
    first = mpp("--config", str(cfg), "kiosk", "key", "K1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 40 and "X-Kiosk-Key" in first.stderr and key not in first.stderr
    second = mpp("--config", str(cfg), "kiosk", "key", "K1", cwd=tmp_path).stdout.strip()
    assert second != key
    conn = sqlite3.connect(tmp_path / "instance" / "queue.db")
    try:
        (stored,) = conn.execute("SELECT value FROM settings WHERE key = 'kiosk_key:K1'").fetchone()
    finally:
        conn.close()
    assert key not in stored and second not in stored  # only the hash of the current key
    unknown = mpp("--config", str(cfg), "kiosk", "key", "K9", cwd=tmp_path)
    assert unknown.returncode != 0 and 'No kiosk "K9" in config.toml.' in unknown.stderr
