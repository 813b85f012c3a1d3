"""Printer drivers: network (raw TCP 9100), usb, serial, file and dummy, behind one small protocol.

Every driver renders the slip itself (so a slip, not bytes, crosses the app boundary) and turns
every failure into a `PrintError` carrying a `PrinterState`. Stream drivers (network, usb,
serial) ask DLE EOT 1, 2 and 4 before sending, send, then ask again: a printer that dropped the
connection mid-job or ran out of paper during it is caught by that second question. One job
never takes longer than `PrinterConfig.total_timeout` (2.8 s by default).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from .config import PrinterConfig
from .profiles import paper_for
from .render import render_escpos, render_test_escpos
from .slip import TicketSlip
from .status import PRINTABLE_STATES, STATUS_QUERIES, PrintError, PrinterState, decode_status, explain, query

log = logging.getLogger(__name__)


@runtime_checkable
class Printer(Protocol):
    """What the server and the print agent use; `last_state` is the state seen by the latest call."""

    code: str
    last_state: PrinterState

    def status(self) -> PrinterState: ...

    def print_slip(self, slip: TicketSlip) -> None: ...

    def print_test(self, site_name: str) -> None: ...


class _Deadline:
    """A hard cap for a whole job; each I/O step gets at most `step` seconds of what is left."""

    def __init__(self, total: float, step: float) -> None:
        self.end = time.monotonic() + total
        self.step = step

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0.005:
            raise TimeoutError("deadline passed")
        return min(self.step, remaining)


class _Dropped(Exception):
    """The printer closed or reset the connection."""


class BytesPrinter:
    """Shared part of every driver: render, then hand bytes to `_deliver`."""

    def __init__(self, conf: PrinterConfig) -> None:
        paper_for(conf.profile)  # unknown profile → ValueError now, not at the first ticket
        self.conf = conf
        self.code = conf.code
        self.last_state = PrinterState.unknown

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} {self.describe()}>"

    def describe(self) -> str:
        return self.conf.kind

    def print_slip(self, slip: TicketSlip) -> None:
        """Print one ticket; raises PrintError (with .state) on any failure."""
        try:
            data = render_escpos(slip, self.conf.profile, cut=self.conf.cut)
        except Exception as e:  # a layout bug must not look like a printer fault
            raise PrintError(PrinterState.unknown, f"could not render ticket {slip.number}: {e}") from e
        self._deliver(data)

    def print_test(self, site_name: str) -> None:
        """Print a short test slip."""
        self._deliver(render_test_escpos(site_name, self.conf.profile, cut=self.conf.cut))

    def print_bytes(self, data: bytes) -> None:
        """Send ready-made ESC/POS bytes (reprints of a stored job)."""
        self._deliver(data)

    def status(self) -> PrinterState:
        raise NotImplementedError

    def _deliver(self, data: bytes) -> None:
        raise NotImplementedError


class DummyPrinter(BytesPrinter):
    """Keeps every job in memory and is always ready (demo sites, development)."""

    def __init__(self, conf: PrinterConfig) -> None:
        super().__init__(conf)
        self.jobs: list[bytes] = []
        self.last_state = PrinterState.ok

    def status(self) -> PrinterState:
        return PrinterState.ok

    def _deliver(self, data: bytes) -> None:
        self.jobs.append(data)


class FilePrinter(BytesPrinter):
    """Appends each job to a file, or writes one .bin per job when `path` is a directory (debugging)."""

    def __init__(self, conf: PrinterConfig) -> None:
        super().__init__(conf)
        assert conf.path
        self.path = Path(conf.path)
        self.per_job = self.path.is_dir() or conf.path.endswith(("/", os.sep))

    def describe(self) -> str:
        return f"file {self.path}"

    def _directory(self) -> Path:
        return self.path if self.per_job else self.path.parent

    def status(self) -> PrinterState:
        d = self._directory()
        ok = d.is_dir() and os.access(d, os.W_OK)
        self.last_state = PrinterState.ok if ok else PrinterState.offline
        return self.last_state

    def _deliver(self, data: bytes) -> None:
        try:
            if self.per_job:
                self.path.mkdir(parents=True, exist_ok=True)
                tz = ZoneInfo(self.conf.timezone) if self.conf.timezone else None  # the site's, not the server's
                stamp = datetime.now(tz).strftime("%Y%m%d-%H%M%S-%f")
                (self.path / f"{self.code}-{stamp}.bin").write_bytes(data)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("ab") as f:
                    f.write(data)
        except OSError as e:
            self.last_state = PrinterState.offline
            raise PrintError(
                PrinterState.offline, f"printer {self.code}: cannot write {self.path}: {e}"
            ) from e
        self.last_state = PrinterState.ok


# ---------------------------------------------------------------- stream printers


class Channel(Protocol):
    """A byte pipe to a printer with per-call timeouts."""

    def write(self, data: bytes, timeout: float) -> None: ...

    def read1(self, timeout: float) -> int | None:
        """One answer byte, None when none came in time; raises _Dropped when the link is gone."""
        ...

    def close(self) -> None: ...


class StreamPrinter(BytesPrinter):
    """Status query, send, confirm: the flow shared by network, usb and serial printers."""

    def _open(self, dl: _Deadline) -> Channel:
        raise NotImplementedError

    def _where(self) -> str:
        return self.describe()

    def _fail(self, state: PrinterState, why: str) -> PrintError:
        self.last_state = state
        return PrintError(state, f"printer {self.code} ({self._where()}): {why}")

    def _query(self, ch: Channel, dl: _Deadline) -> PrinterState:
        answers: list[int | None] = []
        for n in STATUS_QUERIES:
            ch.write(query(n), dl.left())
            answers.append(ch.read1(dl.left()))
            if answers[0] is None:
                raise TimeoutError("no answer to DLE EOT 1")
            if answers[-1] is None:
                break
        while len(answers) < 3:
            answers.append(None)
        return decode_status(answers[0], answers[1], answers[2])

    def status(self) -> PrinterState:
        """DLE EOT status within the deadline; never raises."""
        dl = _Deadline(self.conf.total_timeout, self.conf.timeout)
        try:
            ch = self._open(dl)
        except PrintError as e:
            self.last_state = e.state
            return e.state
        try:
            state = self._query(ch, dl) if self.conf.status_query else PrinterState.unknown
        except (TimeoutError, _Dropped, OSError):
            state = PrinterState.offline
        finally:
            ch.close()
        self.last_state = state
        return state

    def _deliver(self, data: bytes) -> None:
        dl = _Deadline(self.conf.total_timeout, self.conf.timeout)
        started = time.monotonic()
        ch = self._open(dl)
        phase = "status query"
        try:
            state = PrinterState.unknown
            if self.conf.status_query:
                state = self._query(ch, dl)
                self.last_state = state
                if state not in PRINTABLE_STATES:
                    raise self._fail(state, f"{explain(state)}; nothing was sent")
            phase = "job"
            ch.write(data, dl.left())
            if self.conf.status_query:
                phase = "confirmation"
                after = self._query(ch, dl)
                if after is PrinterState.paper_out:
                    raise self._fail(after, "ran out of paper during the job")
                if after is PrinterState.offline:
                    raise self._fail(after, "went offline during the job (or dropped the connection)")
                state = after
            self.last_state = state
            log.info(
                "printer %s: printed %d bytes in %.2fs (%s)",
                self.code,
                len(data),
                time.monotonic() - started,
                state,
            )
        except TimeoutError as e:
            what = {
                "status query": "did not answer the status query",
                "job": "timed out while receiving the job",
                "confirmation": "did not confirm the job",
            }[phase]
            raise self._fail(PrinterState.offline, f"{what} within {self.conf.timeout:g}s") from e
        except (_Dropped, ConnectionError) as e:
            what = (
                "closed the connection before printing"
                if phase == "status query"
                else "dropped the connection mid-job"
            )
            raise self._fail(PrinterState.offline, what) from e
        except OSError as e:
            raise self._fail(PrinterState.offline, f"I/O error during {phase}: {e}") from e
        finally:
            ch.close()


class _SocketChannel:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: bytes, timeout: float) -> None:
        self.sock.settimeout(timeout)
        self.sock.sendall(data)

    def read1(self, timeout: float) -> int | None:
        self.sock.settimeout(timeout)
        try:
            got = self.sock.recv(1)
        except TimeoutError:
            return None
        except ConnectionError as e:
            raise _Dropped(str(e)) from e
        if not got:
            raise _Dropped("connection closed")
        return got[0]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class NetworkPrinter(StreamPrinter):
    """A printer on raw TCP port 9100 (Epson TM-T82II with an Ethernet interface, most LAN printers)."""

    def describe(self) -> str:
        return f"{self.conf.host}:{self.conf.port}"

    def _open(self, dl: _Deadline) -> Channel:
        try:
            sock = socket.create_connection((self.conf.host, self.conf.port), timeout=dl.left())
        except ConnectionRefusedError as e:
            raise self._fail(PrinterState.offline, "connection refused") from e
        except TimeoutError as e:
            raise self._fail(PrinterState.offline, f"no connection within {self.conf.timeout:g}s") from e
        except OSError as e:
            raise self._fail(PrinterState.offline, f"cannot connect: {e.strerror or e}") from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _SocketChannel(sock)


def make_printer(conf: PrinterConfig) -> Printer:
    """The driver for one config entry; 'agent' printers are driven by the server's /agent namespace."""
    if conf.kind == "agent":
        raise ValueError(
            f"printer {conf.code}: agent printers are reached through the print agent, not directly"
        )
    from .local import SerialPrinter, UsbPrinter  # they build on the stream printer above

    cls = {
        "network": NetworkPrinter,
        "usb": UsbPrinter,
        "serial": SerialPrinter,
        "file": FilePrinter,
        "dummy": DummyPrinter,
    }[conf.kind]
    return cls(conf)
