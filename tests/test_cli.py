"""The mpp-queue command line, run as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from .helpers import TEST_SITE
from .livesite import LiveServer


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
    dup = mpp("user", "add", "siti", "--role", "clerk", "--password-stdin", cwd=tmp_path, stdin="x" * 12 + "\n",
              env=env)
    assert dup.returncode != 0 and "already exists" in dup.stderr
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
