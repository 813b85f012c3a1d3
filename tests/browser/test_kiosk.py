"""The touch kiosk in Debian's Chromium against real servers: tap → confirmation with number and QR,
double taps and network blips give one ticket, the demo site fits portrait and landscape without
scrolling, a printer fault shows the ticket on screen. Screenshots go to docs/screenshots/ under
``make screenshots``."""

from __future__ import annotations

import re

import pytest
import requests

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import demo_config, enrol_kiosk_browser, screenshot, sign_in, wait_js
from ..livesite import LiveServer, free_port

pytestmark = pytest.mark.slow

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def hall_printer():
    """The printer of the module's one demo site (module-scoped like it; tests/conftest.py has a per-test one)."""
    printer = FakeNetworkPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, hall_printer):
    server = LiveServer(tmp_path_factory.mktemp("demo"), config_text=demo_config(hall_printer.port)).start()
    yield server
    server.stop()


def kiosk_page(browser, viewport, lang="id-ID"):
    context = browser.new_context(viewport=viewport, locale=lang, timezone_id="Asia/Jakarta", has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


def open_kiosk(page, server, code="K1"):
    """Open kiosk ``code`` in a browser enrolled as that kiosk."""
    enrol_kiosk_browser(page.context, server, code)
    page.goto(f"{server.url}/kiosk/{code}")
    page.wait_for_selector("body[data-ready='1']")


def issued(server, service: str) -> int:
    rows = requests.get(f"{server.url}/api/services", timeout=5).json()
    return next(s["waiting"] for s in rows if s["code"] == service)


def test_demo_site_fits_portrait_and_landscape_without_scrolling(browser, demo):
    admin = demo.token()
    for service, n in (("PERIZINAN", 4), ("NONIZIN", 2), ("PBG", 3), ("HALAL", 1)):  # a morning's queue
        for _ in range(n):
            requests.post(f"{demo.url}/api/tickets", json={"service": service, "kiosk": "K1"},
                          headers=demo.kiosk_headers("K1"), timeout=5).raise_for_status()
    closed = requests.post(f"{demo.url}/api/admin/services/BERKASLH/close",
                           json={"reason": "Petugas sedang dinas luar"}, headers=admin, timeout=5)
    try:
        for name, viewport in (("portrait", PORTRAIT), ("landscape", LANDSCAPE)):
            context, page = kiosk_page(browser, viewport)
            try:
                open_kiosk(page, demo)
                assert page.locator(".tile").count() == 17
                assert page.locator(".k-group").count() == 9
                size = page.evaluate("""() => ({
                    sh: document.documentElement.scrollHeight, sw: document.documentElement.scrollWidth,
                    h: innerHeight, w: innerWidth})""")
                screenshot(page, f"kiosk-{name}.png")
                assert size["sh"] <= size["h"] and size["sw"] <= size["w"], f"{name} scrolls: {size}"
                # every tile is on screen, big enough to touch, and shows its whole name
                boxes = page.evaluate("""() => [...document.querySelectorAll('.tile')].map(t => {
                    const r = t.getBoundingClientRect(); const n = t.querySelector('.tile-name');
                    return {code: t.dataset.service, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                            w: r.width, h: r.height, clipped: n.scrollHeight > n.clientHeight + 1, nh: [n.scrollHeight, n.clientHeight]};
                })""")
                for b in boxes:
                    assert b["top"] >= 0 and b["bottom"] <= size["h"] and b["right"] <= size["w"], (name, b)
                    assert b["w"] >= 200 and b["h"] >= 120, (name, b)
                    assert not b["clipped"], (name, b["code"], b["nh"])
                if closed.status_code == 200:
                    tile = page.locator(".tile[data-service='BERKASLH']")
                    assert tile.is_disabled()
                    assert "Petugas sedang dinas luar" in tile.inner_text()
                assert page.js_errors == []
            finally:
                context.close()
    finally:
        if closed.status_code == 200:
            requests.post(f"{demo.url}/api/admin/services/BERKASLH/open", headers=admin, timeout=5)


def test_tap_shows_the_confirmation_with_number_and_qr(browser, demo, hall_printer):
    context, page = kiosk_page(browser, LANDSCAPE)
    try:
        open_kiosk(page, demo)
        before = len(hall_printer.jobs)
        page.locator(".tile[data-service='PERIZINAN']").tap()
        confirm = page.locator("#confirm")
        confirm.wait_for(state="visible")
        number = page.locator("#c-number").inner_text()
        assert re.fullmatch(r"A-\d{3}", number)
        assert confirm.get_attribute("data-print-status") == "printed"
        assert page.locator("#c-notice").inner_text() == "Silakan ambil tiket Anda"
        wait_js(page, "document.getElementById('c-qr').complete && document.getElementById('c-qr').naturalWidth > 0")
        assert page.locator("#c-service").inner_text() == "Perizinan Berusaha"
        jobs = hall_printer.wait_for_jobs(before + 1)
        assert jobs[-1].number == number, "the fake printer got the same ticket"
        screenshot(page, "kiosk-confirm.png", settle_ms=300)
        # back to the start on "Selesai" (and by itself after a few seconds); "Selesai" is ignored for the first
        # 1.5 s by the page's own clock (Date.now), so 1.6 s of real time always passes it: no race
        page.wait_for_timeout(1600)
        page.locator("#c-done").tap()
        assert confirm.is_hidden()
        assert page.js_errors == []
    finally:
        context.close()


def test_confirmation_returns_to_start_by_itself(browser, tmp_path):
    config = demo_config(free_port()).replace("[printing]", "[kiosk]\nconfirm_seconds = 3\n\n[printing]")
    server = LiveServer(tmp_path / "site", config_text=config).start()
    context, page = kiosk_page(browser, LANDSCAPE)
    try:
        open_kiosk(page, server)
        page.locator(".prio[data-priority='pregnant']").tap()
        page.locator(".tile[data-service='HALAL']").tap()
        page.locator("#confirm").wait_for(state="visible")
        # the printer port is closed: the screen is the ticket now, and it stays up long enough
        assert page.locator("#confirm").get_attribute("data-print-status") == "failed"
        notice = page.locator("#c-notice").inner_text()
        assert notice.startswith("Printer bermasalah") and "pindai QR" in notice
        assert page.locator("#c-prio").is_visible()
        wait_js(page, "document.getElementById('c-qr').naturalWidth > 0")
        screenshot(page, "kiosk-printer-problem.png")
        page.locator("#confirm").wait_for(state="hidden", timeout=40_000)
        assert page.locator(".prio[data-priority='none']").get_attribute("aria-checked") == "true"
        assert page.js_errors == []
    finally:
        context.close()
        server.stop()


def test_double_tap_gives_one_ticket(browser, demo):
    context, page = kiosk_page(browser, PORTRAIT)
    try:
        open_kiosk(page, demo)
        before = issued(demo, "NONIZIN")
        tile = page.locator(".tile[data-service='NONIZIN']")
        tile.dblclick()
        page.locator("#confirm").wait_for(state="visible")
        # a slow second tap landing on "Selesai" does not hide the number at once
        page.locator("#c-done").tap()
        assert page.locator("#confirm").is_visible()
        page.wait_for_timeout(1600)  # past the 1.5 s the page measures with Date.now: no race
        page.locator("#c-done").tap()
        assert page.locator("#confirm").is_hidden()
        # and a burst of synthetic taps in the same frame
        page.evaluate("""() => { const t = document.querySelector(".tile[data-service='NONIZIN']");
                                 for (let i = 0; i < 5; i++) t.click(); }""")
        page.locator("#confirm").wait_for(state="visible")
        page.wait_for_timeout(500)  # an absence (no second ticket) has no event to wait for: give extras a chance
        assert issued(demo, "NONIZIN") == before + 2, "a double tap and a 5-tap burst must give one ticket each"
        assert page.js_errors == []
    finally:
        context.close()


def test_retry_after_a_network_blip_reuses_the_key(browser, demo):
    """The answer to the first POST is lost after the server issued the ticket: the retry gets the same one."""
    context, page = kiosk_page(browser, LANDSCAPE)
    try:
        open_kiosk(page, demo)
        before = issued(demo, "PENGADUAN")
        keys: list[str] = []

        def lose_first_answer(route):
            keys.append(route.request.headers.get("idempotency-key"))
            if len(keys) == 1:
                route.fetch()  # reaches the server, which issues the ticket...
                route.abort("connectionreset")  # ...but the kiosk never hears back
            else:
                route.continue_()

        page.route("**/api/tickets", lose_first_answer)
        page.locator(".tile[data-service='PENGADUAN']").tap()
        page.locator("#confirm").wait_for(state="visible", timeout=15_000)
        assert len(keys) >= 2 and len(set(keys)) == 1 and keys[0]
        assert issued(demo, "PENGADUAN") == before + 1
        assert page.js_errors == []
    finally:
        context.close()


def test_english_toggle_and_idle_reset(browser, tmp_path):
    config = demo_config(free_port()).replace("[printing]", "[kiosk]\nidle_reset_seconds = 10\n\n[printing]")
    server = LiveServer(tmp_path / "site", config_text=config).start()
    context, page = kiosk_page(browser, LANDSCAPE)
    try:
        open_kiosk(page, server)
        page.locator("#lang-toggle").tap()
        assert page.locator(".k-title").inner_text() == "Take a Queue Number"
        assert page.locator(".tile[data-service='PERIZINAN'] .tile-name").inner_text() == "Business licensing"
        page.locator(".prio[data-priority='elderly']").tap()
        # nobody touches the screen: back to Indonesian and no priority
        wait_js(page, "document.documentElement.lang === 'id'", timeout=20)
        assert page.locator(".k-title").inner_text() == "Ambil Nomor Antrean"
        assert page.locator(".prio[data-priority='elderly']").get_attribute("aria-checked") == "false"
        assert page.js_errors == []
    finally:
        context.close()
        server.stop()


def test_an_admin_enrols_the_kiosk_browser_and_only_then_it_issues(browser, tmp_path):
    """A kiosk PC's browser takes tickets only once an admin enrolled it (Admin → Kiosks); the admin is signed
    out there, and a new key (enrolling again elsewhere) ends the old browser's right at once."""
    server = LiveServer(tmp_path / "site").start()
    contexts = []
    try:
        def fresh():  # noqa: ANN202
            context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID",
                                          timezone_id="Asia/Jakarta", has_touch=True)
            contexts.append(context)
            return context.new_page()

        stranger = fresh()
        stranger.goto(f"{server.url}/kiosk/K1")
        stranger.wait_for_selector("body[data-ready='1']")
        assert stranger.locator("#not-enrolled").is_visible()
        stranger.locator(".tile[data-service='PERIZINAN']").tap()
        stranger.locator("#message").wait_for(state="visible")
        assert "belum didaftarkan" in stranger.locator("#message-text").inner_text()

        kiosk = fresh()
        sign_in(kiosk, server, "admin", "/admin/kiosks", password=server.admin_password)
        assert kiosk.locator("tr[data-kiosk='K1']").inner_text().count("Belum terdaftar") == 1
        kiosk.click("button[data-enrol='K1']")
        kiosk.wait_for_url(f"{server.url}/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        assert kiosk.locator("#not-enrolled").count() == 0
        cookie = next(c for c in kiosk.context.cookies() if c["name"] == "mpp_device")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"].startswith("kiosk:K1:")
        kiosk.goto(f"{server.url}/admin/kiosks")
        assert "/login" in kiosk.url  # the admin was signed out of the kiosk PC
        kiosk.goto(f"{server.url}/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        kiosk.locator(".tile[data-service='PERIZINAN']").tap()
        kiosk.locator("#confirm").wait_for(state="visible")
        assert kiosk.locator("#c-number").inner_text() == "A-001"

        server.kiosk_key("K1")  # a new key from the command line: the enrolled browser's key ends
        kiosk.goto(f"{server.url}/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        assert kiosk.locator("#not-enrolled").is_visible()
    finally:
        for context in contexts:
            context.close()
        server.stop()


def test_unknown_kiosk_is_a_friendly_page(page, demo):
    resp = page.goto(f"{demo.url}/kiosk/K99")
    assert resp.status == 404
    assert "Kios tidak dikenal" in page.content()


def test_a_holiday_greys_out_every_tile_with_its_name_and_the_next_opening(browser, tmp_path):
    """A [[holidays]] entry for today: every tile closed, "Libur: <name>" and when it opens (both languages)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    tomorrow = today + timedelta(days=1)
    days_id = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
    config = demo_config(free_port()) + f'\n[[holidays]]\ndate = "{today.isoformat()}"\nname = "Rapat Kerja Pemkot"\n'
    server = LiveServer(tmp_path / "site", config_text=config).start()
    context, page = kiosk_page(browser, LANDSCAPE)
    try:
        open_kiosk(page, server)
        tiles = page.locator(".tile")
        assert tiles.count() > 5
        assert page.locator(".tile:not([aria-disabled=true])").count() == 0
        reason = page.locator(".tile[data-service='PERIZINAN'] .tile-reason")
        assert reason.inner_text().startswith("Libur: Rapat Kerja Pemkot")
        # the demo without hours is open all day: the next opening is tomorrow at midnight (the screens'
        # time format, a colon, like the kiosk's clock)
        assert f"Buka {days_id[tomorrow.weekday()]}, {tomorrow.day} " in reason.inner_text()
        assert "pukul 00:00" in reason.inner_text()
        assert page.locator(".tile-reason", has_text="Libur: Rapat Kerja Pemkot").count() == tiles.count()
        page.locator("#lang-toggle").tap()
        assert page.locator(".tile[data-service='PERIZINAN'] .tile-reason").inner_text().startswith(
            "Holiday: Rapat Kerja Pemkot")
        def tiles_now() -> list[dict]:  # the estimate counts down the seconds to the reopening: left out
            return [{k: v for k, v in tile.items() if k != "estimated_wait_seconds"}
                    for tile in requests.get(f"{server.url}/api/services", timeout=5).json()]

        before = tiles_now()
        # a closed tile takes no ticket: touched, it says why and until when
        page.locator(".tile[data-service='PERIZINAN']").tap(force=True)
        page.locator("#message").wait_for(state="visible")
        assert page.text_content("#message-title") == "Business licensing"
        assert page.text_content("#message-text") == "Holiday: Rapat Kerja Pemkot"
        assert "00:00" in page.text_content("#message-detail")
        assert tiles_now() == before and all(tile["waiting"] == 0 for tile in before)
        screenshot(page, "kiosk-holiday")
        assert page.js_errors == []
    finally:
        context.close()
        server.stop()
