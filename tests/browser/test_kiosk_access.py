"""The kiosk for visitors who need it otherwise, in Chromium on the demo site: large high-contrast text and
the wheelchair layout (visible toggles, remembered on the kiosk), the audio guide (the display's recorded
voice), and a closed service that says why when touched."""

from __future__ import annotations

import pytest
import requests

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import demo_config, enrol_kiosk_browser, new_page, screenshot, wait_js
from ..livesite import LiveServer

pytestmark = pytest.mark.slow

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)
#: the wheelchair layout keeps every control below this share of the screen's height (kiosk.css: 55vh of a
#: portrait screen, 62vh of a landscape one, which stands lower)
REACH = {PORTRAIT: 0.45, LANDSCAPE: 0.38}
CONTROLS = "button, [role=radio], select, input, a[href]"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    printer = FakeNetworkPrinter(port=0).start()
    server = LiveServer(tmp_path_factory.mktemp("kiosk-access"), config_text=demo_config(printer.port),
                        env={"MPP_QUEUE_RATELIMIT_TICKETS": "0"}).start()
    server.printer = printer
    yield server
    server.stop()
    printer.stop()


def kiosk(browser, hall, size=PORTRAIT):
    page = new_page(browser, width=size[0], height=size[1], touch=True)
    enrol_kiosk_browser(page.context, hall, "K1")
    page.goto(hall.url + "/kiosk/K1")
    page.wait_for_selector("body[data-ready='1']")
    return page


def waiting(hall, service: str) -> int:
    return next(s["waiting"] for s in requests.get(hall.url + "/api/services", timeout=5).json() if s["code"] == service)


def test_large_text_is_a_visible_toggle_remembered_on_this_kiosk(browser, hall):
    page = kiosk(browser, hall)
    try:
        toggle = page.locator("#big-toggle")
        assert toggle.is_visible() and toggle.inner_text() == "Teks besar"
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.k-step')).fontSize)")
        toggle.tap()
        assert toggle.get_attribute("aria-pressed") == "true"
        assert "big" in page.get_attribute("body", "class")
        bigger = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.k-step')).fontSize)")
        assert bigger >= 1.3 * size
        # high contrast: yellow and white on black
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        page.wait_for_function("() => document.getElementById('grid').dataset.fitted")
        screenshot(page, "kiosk-large-text.png")
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert "big" in page.get_attribute("body", "class")  # remembered on this kiosk
        assert page.get_attribute("#big-toggle", "aria-pressed") == "true"
        page.locator("#big-toggle").tap()
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert "big" not in (page.get_attribute("body", "class") or "")
        assert page.js_errors == []
    finally:
        page.context.close()


def controls_above(page, bound: float) -> list[str]:
    """The visible controls whose top edge is higher on the screen than ``bound`` (a share of its height)."""
    return page.evaluate("""([selector, bound]) => [...document.querySelectorAll(selector)]
        .filter((n) => n.checkVisibility() && n.getBoundingClientRect().top < innerHeight * bound)
        .map((n) => n.id || n.dataset.priority || n.dataset.service || n.dataset.key || n.textContent.trim())""",
                         [CONTROLS, bound])


@pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_the_wheelchair_mode_puts_every_control_in_reach(browser, hall, size):
    bound = REACH[size]
    page = kiosk(browser, hall, size)
    try:
        assert controls_above(page, bound) != []  # the ordinary layout uses the whole screen
        page.locator("#low-toggle").tap()
        assert page.get_attribute("#low-toggle", "aria-pressed") == "true"
        page.wait_for_function("() => document.getElementById('grid').dataset.fitted")
        assert controls_above(page, bound) == []
        assert page.locator(".tile").count() == 17
        # the dialogs too: the booking code keypad, a message, the ticket shown
        page.locator("#checkin-open").tap()
        page.locator("#checkin").wait_for(state="visible")
        assert controls_above(page, bound) == []
        page.locator("#checkin-cancel").tap()
        page.locator(".tile[data-service='KONSULTASI']").tap()
        page.locator("#confirm").wait_for(state="visible")
        assert controls_above(page, bound) == []
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert "low" in page.get_attribute("body", "class")  # remembered
        page.locator("#low-toggle").tap()
        assert "low" not in page.get_attribute("body", "class")
        assert page.js_errors == []
    finally:
        page.context.close()


def test_the_audio_guide_says_a_tile_and_a_second_touch_takes_the_number(browser, hall):
    page = kiosk(browser, hall)
    try:
        page.locator("#guide-toggle").tap()
        assert page.get_attribute("#guide-toggle", "aria-pressed") == "true"
        assert "Panduan suara aktif" in page.text_content("#guide-hint")
        before = waiting(hall, "PENGADUAN")
        page.locator(".tile[data-service='PENGADUAN']").tap()
        # a name made of recorded words is said whole, with the display's segments (no chime)
        wait_js(page, "(window.__announcerLog || []).length >= 5")
        assert page.evaluate("window.__announcerLog") == ["layanan", "pengaduan", "informasi", "antrean", "d"]
        assert "Pengaduan & Informasi" in page.text_content("#guide-hint")
        assert waiting(hall, "PENGADUAN") == before  # the first touch only describes
        # a name with words the recordings lack is said whole by an Indonesian browser voice when the kiosk
        # has one, else by its queue letter, which the tile shows large
        page.locator(".tile[data-service='PERIZINAN']").tap()
        wait_js(page, "window.__announcerLog.length >= 8")
        assert page.evaluate("window.__announcerLog")[5:] == ["speech:Layanan Perizinan Berusaha, antrean A.",
                                                              "antrean", "a"]
        page.locator(".tile[data-service='PERIZINAN']").tap()  # the second touch on it takes the number
        page.locator("#confirm").wait_for(state="visible")
        number = page.text_content("#c-number")
        wait_js(page, "window.__announcerLog.includes('nomor_antrean')")
        said = page.evaluate("window.__announcerLog")
        digits = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
        assert said[said.index("nomor_antrean"):] == ["nomor_antrean", "a", *[digits[int(d)] for d in number[2:]]]
        # back at the start screen the guide is off again, for the next visitor
        page.wait_for_timeout(1600)  # "Selesai" ignores the first 1.5 s by the page's own clock
        page.locator("#c-done").tap()
        assert page.get_attribute("#guide-toggle", "aria-pressed") == "false"
        assert page.js_errors == []
    finally:
        page.context.close()


def test_a_closed_service_says_the_admins_reason(browser, hall):
    admin = hall.token()
    page = kiosk(browser, hall)
    try:
        requests.post(f"{hall.url}/api/admin/services/DAGIND/close", json={"reason": "Petugas sedang dinas luar"},
                      headers=admin, timeout=5).raise_for_status()
        # closed after the kiosk read its tiles: the tap meets the refusal and the kiosk explains it
        page.locator(".tile[data-service='DAGIND']").tap()
        page.locator("#message").wait_for(state="visible")
        assert page.text_content("#message-title") == "Rekomendasi Perdagangan & Industri"
        assert page.text_content("#message-text") == "Tutup hari ini"
        assert page.text_content("#message-detail") == "Petugas sedang dinas luar"
        assert page.evaluate("document.activeElement.id") == "message-ok"  # the dialog has the focus
        page.locator("#message-ok").tap()
        # the tile now shows it closed, and touching it says the same
        tile = page.locator(".tile[data-service='DAGIND']")
        assert tile.get_attribute("aria-disabled") == "true"
        assert "Petugas sedang dinas luar" in tile.inner_text()
        tile.tap(force=True)
        page.locator("#message").wait_for(state="visible")
        assert page.text_content("#message-detail") == "Petugas sedang dinas luar"
        assert page.js_errors == []
    finally:
        requests.post(f"{hall.url}/api/admin/services/DAGIND/open", headers=admin, timeout=5)
        page.context.close()
