"""The print agent: runs on a kiosk PC beside a USB/serial printer and takes print jobs from the server.

    python -m printers.agent --server http://10.0.0.5:8000 --printer kiosk-1 --key-file /etc/mpp-agent.key \\
        --kind usb --usb-vendor 0x04b8 --usb-product 0x0202 [--profile TM-T82II]

The device key comes from ``--key-file`` (a file readable by the agent's user only), ``MPP_AGENT_KEY`` or
``--key``; the last shows in every user's process list (``ps``), so it is for trying things out only.

Protocol (Socket.IO namespace /agent, documented in docs/printers.md):
  connect      auth = {"printer": CODE, "key": DEVICE_KEY}; the server refuses a bad key
  print_job    server -> agent {"id": int, "slip": TicketSlip.to_dict()}
               ack (return value) and a `job_result` event, both
               {"id": int, "ok": bool, "state": PrinterState, "error": str | None}
  printer_status  agent -> server {"printer": CODE, "state": PrinterState}, on connect, every 15 s
               and whenever a job changes the state

A job id seen again (the server retrying after a lost ack) is answered from memory, not printed twice.
The agent uses only this package, python-socketio and the local driver: no Flask, no database.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import socketio

from .config import PrinterConfig
from .slip import TicketSlip
from .status import PrintError, PrinterState
from .transports import Printer, make_printer

log = logging.getLogger("printers.agent")

NAMESPACE = "/agent"
STATUS_INTERVAL = 15.0
REMEMBERED_JOBS = 512
CONNECT_WAIT = 5.0  # seconds, the agent's ``wait_timeout`` for a namespace to connect


class _Client(socketio.Client):
    """python-socketio's client, minus one race.

    Its ``connected`` flag turns true only when ``connect()`` returns, on the connecting thread, after
    the namespace's CONNECT was handled on a message thread (where :meth:`PrintAgent._on_connect` ran).
    A server's DISCONNECT handled in between is dropped (``if not self.connected: return``), and the
    agent would believe itself connected for good, with no jobs ever coming (4 in 30 tries on a busy
    machine). Such a DISCONNECT waits here, on its own message thread, for ``connect()`` to finish.
    """

    def _handle_disconnect(self, namespace: str | None) -> None:
        deadline = time.monotonic() + CONNECT_WAIT
        while not self.connected and (namespace or "/") in self.namespaces and time.monotonic() < deadline:
            time.sleep(0.01)
        super()._handle_disconnect(namespace)


class PrintAgent:
    """One Socket.IO connection driving one local printer."""

    def __init__(
        self,
        server: str,
        printer_code: str,
        key: str,
        printer: Printer,
        *,
        status_interval: float = STATUS_INTERVAL,
        transports: list[str] | None = None,
        max_backoff: float = 30.0,
    ) -> None:
        self.server = server.rstrip("/")
        self.printer_code = printer_code
        self.key = key
        self.printer = printer
        self.status_interval = status_interval
        self.transports = transports
        self.max_backoff = max_backoff
        self.results: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.printed = 0
        self.last_state: PrinterState = PrinterState.unknown
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._status_now = threading.Event()
        self._print_lock = threading.Lock()  # one job (or status check) at a time on the device
        self._emit_lock = threading.Lock()
        self.sio = _Client(
            reconnection=True,
            reconnection_attempts=0,  # forever
            reconnection_delay=1,
            reconnection_delay_max=max_backoff,
            randomization_factor=0.5,
            handle_sigint=False,
        )
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("connect_error", self._on_connect_error, namespace=NAMESPACE)
        self.sio.on("print_job", self.handle_job, namespace=NAMESPACE)

    # ------------------------------------------------------------ Socket.IO events

    def _on_connect(self) -> None:
        log.info("connected to %s as printer %s", self.server, self.printer_code)
        self.connected.set()
        self._status_now.set()

    def _on_disconnect(self, reason: object = None) -> None:
        self.connected.clear()
        if self._stop.is_set():
            return
        if reason == self.sio.reason.SERVER_DISCONNECT:  # python-socketio does not reconnect after this
            log.error(
                "the server %s ended the connection (a new key for printer %s?); not reconnecting: "
                "restart the agent with the printer's current key",
                self.server,
                self.printer_code,
            )
        else:
            log.warning("disconnected from %s (%s); reconnecting", self.server, reason or "connection lost")

    def _on_connect_error(self, data: object = None) -> None:
        message = data.get("message") if isinstance(data, dict) else data
        log.warning("server refused the connection: %s", message or "no reason given")

    def handle_job(self, data: Any) -> dict[str, Any]:
        """Print one job; the return value is the Socket.IO ack, and the same body goes out as `job_result`."""
        job_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            result = self._result(job_id, PrinterState.unknown, "job has no integer id")
            self._emit("job_result", result)
            return result
        with self._print_lock:
            if job_id in self.results:  # a retry after a lost ack: never print a ticket twice
                log.info("job %s already handled; answering again", job_id)
                result = self.results[job_id]
            else:
                result = self._print(job_id, data.get("slip"))
                self._remember(job_id, result)
        self._emit("job_result", result)
        if result["state"] != self.last_state:
            self.last_state = PrinterState(result["state"])
            self._emit("printer_status", {"printer": self.printer_code, "state": self.last_state})
        return result

    # ------------------------------------------------------------ work

    def _print(self, job_id: int, raw_slip: Any) -> dict[str, Any]:
        try:
            slip = TicketSlip.from_dict(raw_slip)
        except (ValueError, TypeError) as e:
            log.error("job %s: bad slip: %s", job_id, e)
            return self._result(job_id, PrinterState.unknown, f"bad slip: {e}")
        started = time.monotonic()
        try:
            self.printer.print_slip(slip)
        except PrintError as e:
            log.error("job %s %s failed: %s", job_id, slip.number, e)
            return self._result(job_id, e.state, e.message)
        except Exception as e:  # a driver bug must still produce an answer for the server
            log.exception("job %s %s: unexpected error", job_id, slip.number)
            return self._result(job_id, PrinterState.unknown, f"agent error: {e}")
        self.printed += 1
        state = getattr(self.printer, "last_state", PrinterState.ok)
        if state is PrinterState.unknown:
            state = PrinterState.ok
        log.info("job %s %s printed in %.2fs (%s)", job_id, slip.number, time.monotonic() - started, state)
        return {"id": job_id, "ok": True, "state": PrinterState(state), "error": None}

    @staticmethod
    def _result(job_id: Any, state: PrinterState, error: str) -> dict[str, Any]:
        return {"id": job_id, "ok": False, "state": PrinterState(state), "error": error}

    def _remember(self, job_id: int, result: dict[str, Any]) -> None:
        self.results[job_id] = result
        while len(self.results) > REMEMBERED_JOBS:
            self.results.popitem(last=False)

    def _emit(self, event: str, body: dict[str, Any]) -> None:
        if NAMESPACE not in self.sio.namespaces:  # `connected` turns true only after the connect handler ran
            return
        try:
            with self._emit_lock:  # python-socketio's emit is not thread safe
                self.sio.emit(
                    event,
                    {k: (str(v) if isinstance(v, PrinterState) else v) for k, v in body.items()},
                    namespace=NAMESPACE,
                )
        except socketio.exceptions.SocketIOError as e:
            log.warning("could not send %s: %s", event, e)

    def check_status(self) -> PrinterState:
        with self._print_lock:
            state = self.printer.status()
        self.last_state = state
        self._emit("printer_status", {"printer": self.printer_code, "state": state})
        return state

    def _status_loop(self) -> None:
        while not self._stop.is_set():
            self._status_now.wait(self.status_interval)
            self._status_now.clear()
            if self._stop.is_set():
                break
            if self.connected.is_set():
                try:
                    self.check_status()
                except Exception:
                    log.exception("status check failed")

    # ------------------------------------------------------------ lifecycle

    def _connect_once(self) -> None:
        self.sio.connect(
            self.server,
            auth={"printer": self.printer_code, "key": self.key},
            namespaces=[NAMESPACE],
            transports=self.transports,
            wait_timeout=CONNECT_WAIT,
        )

    def run(self) -> None:
        """Connect (retrying with backoff until it works) and serve jobs until `stop()`."""
        threading.Thread(target=self._status_loop, name="agent-status", daemon=True).start()
        delay = 1.0
        while not self._stop.is_set():
            try:
                self._connect_once()
                break
            except socketio.exceptions.ConnectionError as e:
                if self._stop.is_set():  # stopped while this attempt was under way: nothing to retry
                    break
                wait = min(self.max_backoff, delay) * (0.5 + random.random() / 2)
                log.warning("cannot connect to %s (%s); retrying in %.0fs", self.server, e, wait)
                self._stop.wait(wait)
                delay *= 2
        # python-socketio reconnects by itself from here on (reconnection_attempts=0: forever)
        while not self._stop.is_set():
            self._stop.wait(1.0)

    def start(self) -> threading.Thread:
        """Run in a background thread (tests, embedding)."""
        t = threading.Thread(target=self.run, name="print-agent", daemon=True)
        t.start()
        return t

    def stop(self) -> None:
        self._stop.set()
        self._status_now.set()
        with contextlib.suppress(Exception):
            self.sio.disconnect()


def _int(value: str) -> int:
    return int(value, 0)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m printers.agent", description="mpp-queue print agent")
    ap.add_argument(
        "--server", required=True, help="base URL of the mpp-queue server, e.g. http://10.0.0.5:8000"
    )
    ap.add_argument("--printer", required=True, help='printer code from config.toml (kind = "agent")')
    ap.add_argument(
        "--key-file",
        help="file holding the device key (mode 0600): the key stays out of the process list",
    )
    ap.add_argument(
        "--key",
        default=os.environ.get("MPP_AGENT_KEY"),
        help="device key (or set MPP_AGENT_KEY, or better --key-file, so it does not show in the process list)",
    )
    ap.add_argument("--kind", required=True, choices=["usb", "serial", "network", "file", "dummy"])
    ap.add_argument("--profile", default="TM-T82II", help="python-escpos profile (paper width follows)")
    ap.add_argument("--usb-vendor", type=_int, help="e.g. 0x04b8 (Epson)")
    ap.add_argument("--usb-product", type=_int, help="e.g. 0x0202")
    ap.add_argument("--device", help="serial device, e.g. /dev/ttyUSB0")
    ap.add_argument("--baudrate", type=int, default=9600)
    ap.add_argument("--host", help="network printer address")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--path", help="file kind: output file or directory")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--status-interval", type=float, default=STATUS_INTERVAL)
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def config_from_args(args: argparse.Namespace) -> PrinterConfig:
    return PrinterConfig(
        code=args.printer,
        kind=args.kind,
        host=args.host,
        port=args.port,
        profile=args.profile,
        path=args.device if args.kind == "serial" else args.path,
        baudrate=args.baudrate,
        usb_vendor=args.usb_vendor,
        usb_product=args.usb_product,
        timeout=args.timeout,
    )


def device_key(args: argparse.Namespace) -> str:
    """The device key from ``--key-file`` (first line, whitespace trimmed), else ``--key``/``MPP_AGENT_KEY``.

    :raise ValueError: no key, an unreadable or empty file.
    """
    if args.key_file:
        path = Path(args.key_file)
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ValueError(f"cannot read --key-file {path}: {e.strerror or e}") from None
        if not key:
            raise ValueError(f"--key-file {path} is empty")
        if path.stat().st_mode & 0o077:
            log.warning("%s is readable by other users; chmod 600 it", path)
        return key
    if not args.key:
        raise ValueError("--key-file, MPP_AGENT_KEY or --key is required")
    return args.key


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    try:
        key = device_key(args)
    except ValueError as e:
        ap.error(str(e))
    try:
        printer = make_printer(config_from_args(args))
    except ValueError as e:
        ap.error(str(e))
    log.info("printer %s: %s, profile %s", args.printer, printer, args.profile)
    agent = PrintAgent(args.server, args.printer, key, printer, status_interval=args.status_interval)
    try:
        agent.run()
    except KeyboardInterrupt:
        pass
    finally:
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
