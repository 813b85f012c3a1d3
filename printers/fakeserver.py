"""A fake ESC/POS network printer (raw TCP 9100) for tests and `make run`.

It records every job (the bytes of one connection minus DLE EOT status queries), answers status
queries as an Epson printer would, and can be switched at runtime into the faults the server
must survive: offline (answers "cover open"), refuse (connection refused), paper_low,
paper_out, hang (accepts, never reads or answers) and drop (closes mid-job).

    python -m printers.fakeserver --host 127.0.0.1 --port 9100 --out-dir instance/printed --config config.toml
    echo paper_out > instance/printed/MODE      # switch mode while it runs

Job files are named by the time they arrived in the site's zone (``--timezone``, or ``[site] timezone`` of
``--config``), not the machine's: a server keeps UTC, the people reading the folder keep WIB.

Stdlib sockets and threads only, plus this package's decoder and renderer for previews.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import struct
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from .escpos_decode import DecodedJob, EscposStream, Line, decode
from .profiles import paper_for
from .render import Block, Feed, Raster, Text, render_blocks_png
from .status import PrinterState, status_byte

log = logging.getLogger(__name__)


class Mode(StrEnum):
    """How the fake printer behaves for new data (switchable at any time)."""

    ok = "ok"
    offline = "offline"  # answers DLE EOT with "offline, cover open"
    refuse = "refuse"  # not listening: connection refused
    paper_low = "paper_low"  # answers near-end, prints normally
    paper_out = "paper_out"  # answers paper end
    hang = "hang"  # accepts, never reads, never answers
    drop = "drop"  # answers queries, then closes after `drop_after` job bytes


MODE_STATE = {
    Mode.ok: PrinterState.ok,
    Mode.offline: PrinterState.offline,
    Mode.paper_low: PrinterState.paper_low,
    Mode.paper_out: PrinterState.paper_out,
    Mode.drop: PrinterState.ok,
}


@dataclass
class Job:
    """One connection that sent printable bytes."""

    seq: int
    peer: str
    data: bytes
    queries: list[int] = field(default_factory=list)
    dropped: bool = False  # the fake closed the connection in the middle (drop mode)
    mode: Mode = Mode.ok
    received_at: float = field(default_factory=time.time)
    _decoded: DecodedJob | None = field(default=None, repr=False)

    @property
    def decoded(self) -> DecodedJob:
        if self._decoded is None:
            self._decoded = decode(self.data)
        return self._decoded

    @property
    def number(self) -> str | None:
        """The text printed in the largest size: the queue number on a ticket."""
        line = self.decoded.largest_line()
        return line.text.strip() if line else None

    @property
    def cut(self) -> bool:
        return self.decoded.cuts > 0


class FakeNetworkPrinter:
    """A threaded TCP server that behaves like a network receipt printer."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        mode: Mode | str = Mode.ok,
        out_dir: str | Path | None = None,
        profile: str = "TM-T82II",
        drop_after: int = 256,
        on_job: Callable[[Job], None] | None = None,
        timezone: str | None = None,
    ) -> None:
        self.host = host
        #: the zone that names job files (the site's); None = this computer's
        self.tz = ZoneInfo(timezone) if timezone else None
        self.port = port
        self._mode = Mode(mode)
        self.out_dir = Path(out_dir) if out_dir else None
        self.profile = profile
        self.drop_after = drop_after
        self.on_job = on_job
        self.jobs: list[Job] = []
        self._numbered = 0  # jobs numbered so far (a job is listed in jobs once its files are written)
        self.connections = 0
        self.queries_answered = 0
        self._lock = threading.Lock()
        self._jobs_changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()

    # ------------------------------------------------------------ control

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, value: Mode | str) -> None:
        self.set_mode(value)

    def set_mode(self, value: Mode | str) -> None:
        """Switch behaviour; `refuse` closes the listening socket, leaving it reopens on the same port."""
        new = Mode(value)
        with self._lock:
            old, self._mode = self._mode, new
            if new is Mode.refuse and self._listener is not None:
                self._close_listener()
            elif new is not Mode.refuse and self._listener is None and self._started:
                self._listen()
        if old is not new:
            log.info("fake printer %s: mode %s -> %s", self.address, old, new)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> FakeNetworkPrinter:
        self._started = True
        with self._lock:
            if self._mode is not Mode.refuse:
                self._listen()
        t = threading.Thread(target=self._accept_loop, name=f"fakeprinter-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._close_listener()
            for s in list(self._open):
                with contextlib.suppress(OSError):
                    s.close()
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> FakeNetworkPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    _started = False

    def wait_for_jobs(self, count: int = 1, timeout: float = 5.0) -> list[Job]:
        """Block until at least `count` jobs were recorded (when the client closes, once the files are written)."""
        end = time.monotonic() + timeout
        with self._jobs_changed:
            while len(self.jobs) < count:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} jobs, got {len(self.jobs)}")
                self._jobs_changed.wait(left)
            return list(self.jobs)

    # ------------------------------------------------------------ sockets

    def _listen(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(16)
        s.settimeout(0.1)
        self.port = s.getsockname()[1]
        self._listener = s

    def _close_listener(self) -> None:
        if self._listener is not None:
            # shutdown first: on Linux it stops listening at once, even while accept() is blocked on it
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                conn, peer = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                if self._stop.is_set():  # stop() has closed the open ones already: this one would linger
                    conn.close()
                    break
                self.connections += 1
                self._open.add(conn)
            t = threading.Thread(target=self._serve, args=(conn, f"{peer[0]}:{peer[1]}"), daemon=True)
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _serve(self, conn: socket.socket, peer: str) -> None:
        stream = EscposStream()
        data = bytearray()
        queries: list[int] = []
        dropped = False
        mode_seen = self._mode
        try:
            # inside the try: stop() may close the socket before this thread first touches it
            conn.settimeout(0.1)
            while not self._stop.is_set():
                mode = self._mode
                if mode is Mode.hang:
                    time.sleep(0.05)
                    continue
                mode_seen = mode
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                for cmd in stream.feed(chunk):
                    if self._mode is Mode.drop and len(data) >= self.drop_after:
                        dropped = True
                        break
                    if cmd.kind == "dle_eot":
                        queries.append(cmd.arg)
                        state = MODE_STATE.get(self._mode)
                        if state is not None:
                            conn.sendall(bytes((status_byte(cmd.arg, state, cover_open=True),)))
                            self.queries_answered += 1
                    else:
                        data += cmd.raw
                if dropped or (self._mode is Mode.drop and len(data) >= self.drop_after):
                    dropped = True
                    # RST, as a printer whose network card resets would do
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
        except OSError:
            pass
        finally:
            data += stream.pending
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
        if data:
            self._record(
                Job(seq=0, peer=peer, data=bytes(data), queries=queries, dropped=dropped, mode=mode_seen)
            )

    def _record(self, job: Job) -> None:
        # the job's files are written before it is counted: whoever waits for it (wait_for_jobs) finds them
        with self._jobs_changed:
            self._numbered += 1
            job.seq = self._numbered
        summary = self._save(job)
        with self._jobs_changed:
            self.jobs.append(job)
            self._jobs_changed.notify_all()
        if self.on_job:
            self.on_job(job)
        log.info("%s", summary)

    def _save(self, job: Job) -> str:
        decoded = job.decoded
        bits = [f"job {job.seq} from {job.peer}: {len(job.data)} bytes", f"number {job.number or '?'}"]
        bits.append("cut" if job.cut else "NO CUT")
        if job.dropped or decoded.truncated:
            bits.append("DROPPED MID-JOB")
        qr = _qr_texts(decoded)
        if qr:
            bits.append(f"QR {qr[0]}")
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.fromtimestamp(job.received_at, self.tz).strftime("%Y%m%d-%H%M%S")
            base = self.out_dir / f"job-{stamp}-{job.seq:04d}-{_safe(job.number)}"
            base.with_suffix(".bin").write_bytes(job.data)
            try:
                base.with_suffix(".png").write_bytes(preview_png(decoded, self.profile))
                bits.append(f"-> {base}.png")
            except Exception as e:  # a preview is a convenience; never lose the job over it
                bits.append(f"-> {base}.bin (no preview: {e})")
        return ", ".join(bits)


def _safe(text: str | None) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in (text or "unknown"))[:32]


def _qr_texts(decoded: DecodedJob) -> list[str]:
    try:
        from .escpos_decode import read_qr_codes

        return read_qr_codes(decoded)
    except ImportError:  # zxing-cpp is a dev dependency; the summary just goes without the QR text
        return []


def preview_png(decoded: DecodedJob, profile: str = "TM-T82II") -> bytes:
    """A PNG of what a decoded job would look like on paper."""
    paper = paper_for(profile)
    names = {0: "left", 1: "center", 2: "right"}
    blocks: list[Block] = []
    for item in decoded.flow:
        if isinstance(item, Line):
            if item.text:
                align = names.get(item.align, "left")
                blocks.append(Text(item.text, min(item.width, 8), min(item.height, 8), item.bold, align))
            else:
                blocks.append(Feed())
        else:
            blocks.append(Raster(item))
    return render_blocks_png(blocks, paper)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m printers.fakeserver", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--out-dir", help="write each job as .bin and a .png preview here")
    ap.add_argument("--profile", default="TM-T82II", help="paper width for previews")
    ap.add_argument("--mode", default="ok", choices=[m.value for m in Mode])
    ap.add_argument("--mode-file", help="a file holding the mode; edit it to switch (default OUT_DIR/MODE)")
    ap.add_argument("--timezone", help="IANA zone naming the job files (default: [site] timezone of --config, "
                                       "else this computer's)")
    ap.add_argument("--config", help="a config.toml whose [site] timezone names the job files")
    args = ap.parse_args(argv)
    timezone = args.timezone
    if not timezone and args.config:
        with open(args.config, "rb") as f:
            timezone = tomllib.load(f).get("site", {}).get("timezone")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    mode_file = (
        Path(args.mode_file) if args.mode_file else (Path(args.out_dir) / "MODE" if args.out_dir else None)
    )
    if mode_file:
        mode_file.parent.mkdir(parents=True, exist_ok=True)
        mode_file.write_text(args.mode + "\n")
    fake = FakeNetworkPrinter(
        args.host, args.port, mode=args.mode, out_dir=args.out_dir, profile=args.profile, timezone=timezone
    )
    try:
        fake.start()
    except OSError as e:
        print(f"fake printer: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    hint = f"; switch mode by writing to {mode_file}" if mode_file else ""
    log.info("fake printer listening on %s, mode %s%s", fake.address, fake.mode, hint)
    try:
        while True:
            time.sleep(0.5)
            if mode_file and mode_file.exists():
                wanted = mode_file.read_text().strip()
                if wanted and wanted != fake.mode:
                    try:
                        fake.set_mode(wanted)
                    except ValueError:
                        log.warning("unknown mode %r in %s (one of %s)", wanted, mode_file, ", ".join(Mode))
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
