"""``python -m printers.agent --key-file PATH``: the device key is read from a file, never seen in argv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from printers.agent import build_parser, device_key

from .test_agent import KEY, AgentServer, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _args(*extra: str):  # noqa: ANN202
    return build_parser().parse_args(["--server", "http://x", "--printer", "p", "--kind", "dummy", *extra])


def test_key_file_is_read_and_trimmed(tmp_path, monkeypatch):
    monkeypatch.delenv("MPP_AGENT_KEY", raising=False)
    key_file = tmp_path / "agent.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    assert device_key(_args("--key-file", str(key_file))) == KEY
    # the file wins over a key given on the command line as well (one source of truth on the kiosk PC)
    assert device_key(_args("--key-file", str(key_file), "--key", "other")) == KEY
    assert device_key(_args("--key", "other")) == "other"


def test_key_file_problems_are_clear(tmp_path, monkeypatch):
    monkeypatch.delenv("MPP_AGENT_KEY", raising=False)
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        device_key(_args("--key-file", str(empty)))
    with pytest.raises(ValueError, match="cannot read --key-file"):
        device_key(_args("--key-file", str(tmp_path / "missing.key")))
    with pytest.raises(ValueError, match="--key-file, MPP_AGENT_KEY or --key is required"):
        device_key(_args())


def test_agent_process_authenticates_with_the_key_file_and_its_argv_holds_no_key(tmp_path):
    key_file = tmp_path / "agent.key"
    key_file.write_text(KEY)
    key_file.chmod(0o600)
    server = AgentServer().start()
    env = {k: v for k, v in os.environ.items() if k != "MPP_AGENT_KEY"}
    proc = subprocess.Popen([sys.executable, "-m", "printers.agent", "--server", server.url, "--printer", "kiosk-1",
                             "--key-file", str(key_file), "--kind", "dummy"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: server.connected.is_set() or proc.poll() is not None, 20)
        assert server.connected.is_set(), f"agent exited with {proc.returncode}"
        assert server.auths[-1] == {"printer": "kiosk-1", "key": KEY}
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert KEY.encode() not in cmdline and str(key_file).encode() in cmdline
    finally:
        proc.terminate()
        proc.wait(10)
        server.stop()
