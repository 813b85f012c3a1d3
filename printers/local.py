"""USB and serial printers attached to this machine: blocking libraries (pyusb, pyserial) behind a watchdog.

They share the stream printer's status questions and deadline (:mod:`printers.transports`); only how the
bytes travel differs. Each blocking call runs in a thread the deadline can abandon, so a stuck device
can never hold a ticket's answer past its budget.
"""

from __future__ import annotations

import contextlib
import threading

from .config import PrinterConfig
from .profiles import paper_for
from .status import PrintError, PrinterState
from .transports import Channel, StreamPrinter, _Deadline, _Dropped


def _with_watchdog(printer: StreamPrinter, fn, *args):  # type: ignore[no-untyped-def]
    """Run blocking driver I/O in a thread so a wedged USB/serial call cannot hold the caller past the deadline.

    A call still stuck from an earlier job makes the next one fail fast instead of queueing behind it.
    """
    lock: threading.Lock = printer._io_lock  # type: ignore[attr-defined]
    if not lock.acquire(blocking=False):
        raise printer._fail(PrinterState.offline, "an earlier job is still stuck in the driver")
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = fn(*args)
        except BaseException as e:  # handed to the caller below
            result["error"] = e
        finally:
            lock.release()

    t = threading.Thread(target=run, name=f"printer-{printer.code}", daemon=True)
    t.start()
    t.join(printer.conf.total_timeout + 0.1)
    if t.is_alive():
        raise printer._fail(
            PrinterState.offline, f"driver did not return within {printer.conf.total_timeout:g}s"
        )
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


class _WatchdogStreamPrinter(StreamPrinter):
    def __init__(self, conf: PrinterConfig) -> None:
        super().__init__(conf)
        self._io_lock = threading.Lock()

    def status(self) -> PrinterState:
        try:
            return _with_watchdog(self, super().status)  # type: ignore[no-any-return]
        except PrintError as e:
            return e.state

    def _deliver(self, data: bytes) -> None:
        _with_watchdog(self, super()._deliver, data)


class _UsbChannel:
    def __init__(self, dev, conf: PrinterConfig) -> None:  # type: ignore[no-untyped-def]
        self.dev = dev
        self.conf = conf

    def write(self, data: bytes, timeout: float) -> None:
        import usb.core

        try:
            self.dev.device.write(self.conf.usb_out_ep, data, max(1, int(timeout * 1000)))
        except usb.core.USBTimeoutError as e:
            raise TimeoutError(str(e)) from e
        except usb.core.USBError as e:
            raise _Dropped(str(e)) from e

    def read1(self, timeout: float) -> int | None:
        import usb.core

        try:
            got = self.dev.device.read(self.conf.usb_in_ep, 16, max(1, int(timeout * 1000)))
        except usb.core.USBTimeoutError:
            return None
        except usb.core.USBError as e:
            raise _Dropped(str(e)) from e
        return got[-1] if len(got) else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.dev.close()


class UsbPrinter(_WatchdogStreamPrinter):
    """A USB printer through python-escpos' Usb (pyusb/libusb; needs access to the device node)."""

    def describe(self) -> str:
        return f"usb {self.conf.usb_vendor:04x}:{self.conf.usb_product:04x}"  # type: ignore[str-format]

    def _open(self, dl: _Deadline) -> Channel:
        try:
            from escpos.printer import Usb

            dev = Usb(
                self.conf.usb_vendor,
                self.conf.usb_product,
                timeout=int(self.conf.timeout * 1000),
                in_ep=self.conf.usb_in_ep,
                out_ep=self.conf.usb_out_ep,
                profile=paper_for(self.conf.profile).profile,
            )
            dev.open(raise_not_found=True)
        except Exception as e:
            raise self._fail(PrinterState.offline, f"cannot open the USB printer: {e}".strip()) from e
        return _UsbChannel(dev, self.conf)


class _SerialChannel:
    def __init__(self, dev) -> None:  # type: ignore[no-untyped-def]
        self.dev = dev

    def write(self, data: bytes, timeout: float) -> None:
        import serial

        try:
            self.dev.device.write_timeout = timeout
            self.dev.device.write(data)
        except serial.SerialTimeoutException as e:
            raise TimeoutError(str(e)) from e
        except (serial.SerialException, OSError) as e:
            raise _Dropped(str(e)) from e

    def read1(self, timeout: float) -> int | None:
        import serial

        try:
            self.dev.device.timeout = timeout
            got = self.dev.device.read(1)
        except (serial.SerialException, OSError) as e:
            raise _Dropped(str(e)) from e
        return got[0] if got else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.dev.close()


class SerialPrinter(_WatchdogStreamPrinter):
    """A serial (RS-232 or USB-serial) printer through python-escpos' Serial (pyserial)."""

    def describe(self) -> str:
        return f"serial {self.conf.path} @{self.conf.baudrate}"

    def _open(self, dl: _Deadline) -> Channel:
        try:
            from escpos.printer import Serial

            dev = Serial(
                devfile=self.conf.path,
                baudrate=self.conf.baudrate,
                timeout=self.conf.timeout,
                dsrdtr=False,
                profile=paper_for(self.conf.profile).profile,
            )
            dev.open(raise_not_found=True)
        except Exception as e:
            raise self._fail(PrinterState.offline, f"cannot open {self.conf.path}: {e}") from e
        return _SerialChannel(dev)


