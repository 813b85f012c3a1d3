"""End-to-end fixtures: the demo site (config.toml) served by a real process, printing to the fake network
printer, and Debian's Chromium from tests/browser."""

from __future__ import annotations

import re

import pytest

from printers.fakeserver import FakeNetworkPrinter

from ..livesite import ROOT, LiveServer

PASSWORD = "rahasia-123"


def demo_config(printer_port: int) -> str:
    """The repository's demo config.toml, open all day (tests run at any hour), kiosk K1 printing to a fake."""
    text = (ROOT / "config.toml").read_text()
    text = re.sub(r'^hours = "[^"]*"\n', "", text, flags=re.M)
    text = text.replace("port = 9100", f"port = {printer_port}")
    assert f"port = {printer_port}" in text, "the demo kiosk printer moved; update tests/e2e"
    # LiveServer rewrites `base_url = "..."`, a pattern that also matches inside `database_url = "..."`
    return text.replace('database_url = "', 'database_url="')


@pytest.fixture
def fake_printer():
    printer = FakeNetworkPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture
def demo(tmp_path, fake_printer):
    """The demo MPP with a clerk at Loket 1 (siti) and the mall's head (kepala)."""
    server = LiveServer(tmp_path / "demo", config_text=demo_config(fake_printer.port)).start()
    server.add_user("siti", PASSWORD, counters=("L01",))
    server.add_user("kepala", PASSWORD, role="manager")
    yield server
    server.stop()


def new_page(browser, *, width: int = 1366, height: int = 768, touch: bool = False, mobile: bool = False):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  timezone_id="Asia/Jakarta", has_touch=touch, is_mobile=mobile)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def sign_in(page, server: LiveServer, username: str, target: str) -> None:
    page.goto(server.url + target)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + target + "*")


def wait_js(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression with evaluate(): wait_for_function needs eval, which the pages' CSP forbids."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)
