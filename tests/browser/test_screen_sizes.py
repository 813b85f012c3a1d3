"""Every screen at the hall's real sizes: no text is cut, hidden or drawn over other text.

The hall display at 1366x768, 1920x1080 and 3840x2160, plain, with the media area showing an image and
showing a notice, during a busy morning (every line waiting, the recent calls full, twelve counters);
the kiosk at 1080x1920 and 1920x1080 with the demo's longest service names, in its normal, large-text
and low layouts, with its ticket shown. ``tests.helpers.clipped_text`` names whatever does not read whole.
"""

from __future__ import annotations

import tomllib

import pytest
import requests

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import (
    ROOT,
    clipped_text,
    demo_config,
    enrol_kiosk_browser,
    new_page,
    screenshot,
    tiny_png,
    wait_js,
)
from ..livesite import LiveServer

pytestmark = pytest.mark.slow

#: the display lists every service of the demo (the kiosk shows 17 of them)
SERVICES = (ROOT / "config.toml").read_text().count("\n[[services]]\n")
DISPLAY_SIZES = [(1366, 768), (1920, 1080), (3840, 2160)]
KIOSK_SIZES = [(1080, 1920), (1920, 1080)]
NOTICE = {"title": "Persyaratan Perizinan Berusaha berbasis risiko",
          "text": "Bawa KTP-el asli, NPWP, akta pendirian badan usaha dan surat kuasa bila diwakilkan. "
                  "Berkas yang belum lengkap tidak dapat diproses pada hari yang sama."}
#: the ticker scrolls past the screen's edge on purpose
DISPLAY_IGNORE = (".dsp-ticker",)


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """The demo site on a busy morning: someone waits at every service, seven counters have called."""
    printer = FakeNetworkPrinter(port=0).start()
    workdir = tmp_path_factory.mktemp("sizes")
    (workdir / "media").mkdir()
    config = demo_config(printer.port).replace("[display]\n", '[display]\nmedia_dir = "media"\nmedia_seconds = 1\n', 1)
    server = LiveServer(workdir, config_text=config, env={"MPP_QUEUE_RATELIMIT_TICKETS": "0"}).start()
    try:  # a setup that fails stops its server too (a process left running warns in some later test)
        admin = server.token()
        # the kiosk's own services (the desks of a visit's later steps are not on its tiles)
        services = tomllib.loads(config)["kiosks"][0]["services"]
        for code in services * 2:
            requests.post(server.url + "/api/tickets", json={"service": code, "kiosk": "K1"},
                          headers=server.kiosk_headers("K1"), timeout=5).raise_for_status()
        for counter in ("L01", "L02", "L03", "L05", "L07", "L10", "L12"):
            requests.post(f"{server.url}/api/counters/{counter}/call-next", headers=admin,
                          timeout=5).raise_for_status()
        server.admin = admin
        server.media = workdir / "media"
        yield server
    finally:
        server.stop()
        printer.stop()


def set_display_variant(hall, variant: str) -> None:
    image = hall.media / "01-selamat-datang.png"
    if variant == "plain":
        image.unlink(missing_ok=True)
    else:
        tiny_png(image, (30, 90, 160), size=64)
    notices = [NOTICE] if variant == "notice" else []
    requests.put(hall.url + "/api/admin/notices", json={"notices": notices}, headers=hall.admin,
                 timeout=5).raise_for_status()


@pytest.mark.parametrize("variant", ["plain", "media", "notice"])
@pytest.mark.parametrize(("width", "height"), DISPLAY_SIZES, ids=[f"{w}x{h}" for w, h in DISPLAY_SIZES])
def test_the_display_shows_every_text_whole(browser, hall, width, height, variant):
    set_display_variant(hall, variant)
    page = new_page(browser, width=width, height=height)
    try:
        page.goto(hall.url + "/display")
        page.wait_for_selector("#display[data-state=live]")
        page.wait_for_selector("#now[data-number]")
        if variant == "media":
            wait_js(page, "window.__display.media.state.shown === '01-selamat-datang.png'")
        elif variant == "notice":
            wait_js(page, "(window.__display.media.state.shown || '').startsWith('notice:')")
        else:  # no file and no staff notice: the Maklumat Pelayanan still loops where visitors wait
            wait_js(page, "(window.__display.media.state.shown || '').startsWith('notice:')")
            assert NOTICE["title"] not in page.evaluate("window.__display.media.state.shown")
        wait_js(page, "document.getElementById('now').dataset.fitted")
        assert len(page.locator("#recent li").all()) >= 5 and len(page.locator("#waiting li").all()) == SERVICES
        assert clipped_text(page, ignore=DISPLAY_IGNORE) == []
        assert page.js_errors == []
    finally:
        page.context.close()


def test_a_call_with_media_on_reads_whole_at_1366x768(browser, hall):
    """The issue's case: media on, 1366x768, a call shown big (the loop paused and faded behind it)."""
    set_display_variant(hall, "media")
    page = new_page(browser, width=1366, height=768)
    try:
        page.goto(hall.url + "/display")
        page.wait_for_selector("#display[data-state=live]")
        wait_js(page, "window.__display.media.state.shown === '01-selamat-datang.png'")
        called = requests.post(f"{hall.url}/api/counters/L04/call-next", headers=hall.admin, timeout=5).json()
        number = called["ticket"]["number"]
        page.wait_for_selector(f"#now[data-number='{number}']")
        assert page.evaluate("window.__display.media.state.paused") is True
        assert page.text_content("#now-number") == number and page.text_content("#now-counter") == "Loket 4"
        assert clipped_text(page, ignore=DISPLAY_IGNORE) == []
        screenshot(page, "display-media-call-1366.png", settle_ms=3800)  # after the flash, within the hold
        assert page.js_errors == []
    finally:
        page.context.close()


def open_kiosk(page, hall, mode: str) -> None:
    enrol_kiosk_browser(page.context, hall, "K1")
    if mode in ("big", "low"):
        page.add_init_script(f"localStorage.setItem('kiosk-{mode}', '1')")
    page.goto(hall.url + "/kiosk/K1" + ("?lang=en" if mode == "en" else ""))
    page.wait_for_selector("body[data-ready='1']")


@pytest.fixture(scope="module")
def one_closed(hall):
    """One tile closed with the admin's reason (its reason takes the room of the counts)."""
    requests.post(f"{hall.url}/api/admin/services/IZINSEKOLAH/close",
                  json={"reason": "Petugas sedang mengikuti bimbingan teknis di kantor dinas"}, headers=hall.admin,
                  timeout=5).raise_for_status()
    yield
    requests.post(f"{hall.url}/api/admin/services/IZINSEKOLAH/open", headers=hall.admin, timeout=5)


@pytest.mark.parametrize("mode", ["normal", "big", "low", "en"])
@pytest.mark.parametrize(("width", "height"), KIOSK_SIZES, ids=[f"{w}x{h}" for w, h in KIOSK_SIZES])
def test_the_kiosk_shows_every_service_name_whole(browser, hall, one_closed, width, height, mode):
    page = new_page(browser, width=width, height=height, touch=True)
    try:
        open_kiosk(page, hall, mode)
        wait_js(page, "document.getElementById('grid').dataset.fitted")
        assert page.locator(".tile").count() == 17
        assert clipped_text(page, "#kiosk") == []
        page.locator(".tile[data-service='REKTAN']").tap()  # among the kiosk's longest names
        page.locator("#confirm").wait_for(state="visible")
        wait_js(page, "document.getElementById('c-card').dataset.fitted")
        assert clipped_text(page, "#confirm") == []
        assert page.js_errors == []
    finally:
        page.context.close()
