"""`python -m printers.fakeserver` as `make run` starts it: jobs land in --out-dir, MODE switches faults."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from printers import PrinterConfig, PrintError, PrinterState, make_printer

from .helpers import make_slip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_cli_records_jobs_with_previews_and_switches_mode(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "printed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "printers.fakeserver", "--host", "127.0.0.1", "--port", str(port),
         "--out-dir", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        printer = make_printer(PrinterConfig(code="kiosk-1", kind="network", host="127.0.0.1", port=port))
        wait_for(lambda: printer.status() is PrinterState.ok)
        printer.print_slip(make_slip())
        wait_for(lambda: len(list(out.glob("*.png"))) == 1)
        (png,) = out.glob("*.png")
        assert "A-007" in png.name
        with Image.open(png) as img:
            assert img.width == 576
        assert len(list(out.glob("*.bin"))) == 1

        (out / "MODE").write_text("paper_out\n")
        wait_for(lambda: printer.status() is PrinterState.paper_out)
        with pytest.raises(PrintError) as info:
            printer.print_slip(make_slip(number="A-008"))
        assert info.value.state is PrinterState.paper_out
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert "number A-007, cut" in output
    assert "mode ok -> paper_out" in output
