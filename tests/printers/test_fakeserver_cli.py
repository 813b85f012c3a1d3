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


def _stamps_around(zone: str, act) -> tuple[set[str], object]:  # type: ignore[no-untyped-def]
    """The minute stamps (YYYYMMDD-HHMM) that ``act()`` may legitimately write in ``zone``, and its result."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    before = datetime.now(ZoneInfo(zone)).strftime("%Y%m%d-%H%M")
    result = act()
    after = datetime.now(ZoneInfo(zone)).strftime("%Y%m%d-%H%M")
    return {before, after}, result


def test_job_files_are_named_in_the_sites_zone_not_the_servers(tmp_path: Path) -> None:
    """A server keeps UTC, the people reading instance/printed keep WIB: the names follow the site's zone
    (+14:00 here, a zone no server runs in, so the test tells it apart from the machine's)."""
    from printers.fakeserver import FakeNetworkPrinter

    zone = "Pacific/Kiritimati"
    out = tmp_path / "printed"
    with FakeNetworkPrinter("127.0.0.1", 0, out_dir=out, timezone=zone) as fake:
        printer = make_printer(PrinterConfig(code="kiosk-1", kind="network", host="127.0.0.1", port=fake.port))
        minutes, _ = _stamps_around(zone, lambda: (printer.print_slip(make_slip()), fake.wait_for_jobs(1)))
    (png,) = out.glob("*.png")
    assert png.name[len("job-"):len("job-YYYYMMDD-HHMM")] in minutes, png.name

    folder = tmp_path / "file-printer"
    folder.mkdir()
    file_printer = make_printer(PrinterConfig(code="k2", kind="file", path=str(folder) + "/", timezone=zone))
    minutes, _ = _stamps_around(zone, lambda: file_printer.print_slip(make_slip()))
    (job,) = folder.glob("*.bin")
    assert job.name[len("k2-"):len("k2-YYYYMMDD-HHMM")] in minutes, job.name


def test_the_cli_reads_the_zone_from_config_toml(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[site]\nname = "x"\ntimezone = "Pacific/Kiritimati"\n')
    port = free_port()
    out = tmp_path / "printed"
    proc = subprocess.Popen([sys.executable, "-m", "printers.fakeserver", "--port", str(port), "--out-dir", str(out),
                             "--config", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        printer = make_printer(PrinterConfig(code="kiosk-1", kind="network", host="127.0.0.1", port=port))
        wait_for(lambda: printer.status() is PrinterState.ok)
        minutes, _ = _stamps_around("Pacific/Kiritimati", lambda: (
            printer.print_slip(make_slip()), wait_for(lambda: len(list(out.glob("*.png"))) == 1)))
        (png,) = out.glob("*.png")
        assert png.name[len("job-"):len("job-YYYYMMDD-HHMM")] in minutes, png.name
    finally:
        proc.terminate()
        proc.wait(10)
