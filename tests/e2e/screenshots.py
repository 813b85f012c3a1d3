"""Refresh the overview screenshots the README shows: the demo site mid-morning, every screen.

    .venv/bin/python -m tests.e2e.screenshots          (or: make screenshots)

Starts the demo site (config.toml) on a free port with a fake printer, issues a morning's queue, has two
counters call, then photographs the kiosk, the hall display, a visitor's phone, a clerk's panel and the
dashboard into docs/screenshots/overview-*.png with Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from playwright.sync_api import sync_playwright

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    demo_config,
    enrol_kiosk_browser,
    new_page,
    sign_in,
    wait_js,
)
from ..livesite import ROOT, LiveServer

SHOTS = ROOT / "docs" / "screenshots"
MORNING = [("PERIZINAN", 7), ("NONIZIN", 4), ("PBG", 3), ("HALAL", 2), ("KONSULTASI", 3), ("BHKOP", 2)]


def main() -> int:
    SHOTS.mkdir(parents=True, exist_ok=True)
    printer = FakeNetworkPrinter(port=0).start()
    server = LiveServer(Path(tempfile.mkdtemp(prefix="mpp-shots-")) / "demo",
                        config_text=demo_config(printer.port)).start()
    written = []
    try:
        server.add_user("siti", PASSWORD, counters=("L01", "L02"))
        server.add_user("kepala", PASSWORD, role="manager")
        api = server.url + "/api"
        tickets = {}
        for service, n in MORNING:
            for _ in range(n):
                t = requests.post(api + "/tickets", json={"service": service, "kiosk": "K1"},
                                  headers=server.kiosk_headers("K1"), timeout=5).json()
                tickets.setdefault(service, []).append(t)
        admin = server.token()
        for counter in ("L02", "L03", "L01"):
            requests.post(f"{api}/counters/{counter}/call-next", json={}, headers=admin, timeout=5)
        requests.post(f"{api}/counters/L02/start", json={}, headers=admin, timeout=5)

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

            def shot(page, name: str, **kw) -> None:  # noqa: ANN001
                page.wait_for_timeout(600)
                path = SHOTS / f"overview-{name}.png"
                page.screenshot(path=str(path), **kw)
                written.append(path)
                assert page.js_errors == [], (name, page.js_errors)
                page.context.close()

            kiosk = new_page(browser, width=1920, height=1080, touch=True)
            enrol_kiosk_browser(kiosk.context, server, "K1")  # an enrolled kiosk PC, as on Admin → Kiosks
            kiosk.goto(server.url + "/kiosk/K1")
            kiosk.wait_for_selector("body[data-ready='1']")
            shot(kiosk, "kiosk")

            display = new_page(browser, width=1920, height=1080)
            display.goto(server.url + "/display?zone=lantai-1")
            display.wait_for_selector("#display[data-state=live]", timeout=15_000)
            requests.post(f"{api}/counters/L01/call-next", json={"finish_current": True}, headers=admin, timeout=5)
            wait_js(display, "document.getElementById('now-number').textContent !== ''")
            display.wait_for_timeout(4000)  # past the flash of a new call
            shot(display, "display")

            phone = new_page(browser, width=390, height=844, touch=True, mobile=True)
            mine = tickets["PERIZINAN"][-1]
            phone.goto(server.url + urlsplit(mine["track_url"]).path)
            phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)
            shot(phone, "phone", full_page=True)

            counter = new_page(browser)
            sign_in(counter, server, "siti", "/counter/L01")
            counter.wait_for_selector("#conn[data-state=live]", timeout=15_000)
            counter.wait_for_selector("#panel:not([data-state=loading])")
            shot(counter, "counter")

            dashboard = new_page(browser)
            sign_in(dashboard, server, "kepala", "/dashboard/")
            dashboard.wait_for_selector("#conn.on", timeout=15_000)
            dashboard.wait_for_timeout(1500)
            shot(dashboard, "dashboard", full_page=True)
            browser.close()
    finally:
        server.stop()
        printer.stop()
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
