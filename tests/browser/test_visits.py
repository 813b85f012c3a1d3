"""A visit that crosses agencies in Chromium, against a real ``mpp-queue serve``: the kiosk gives one number, the
clerk at the first desk finishes, the hall display calls the same number to the cashier, the visitor's phone
shows the route, and after the last step the phone offers the survey, counted under the last step's service."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
import requests

from ..helpers import VISIT_SITE, enrol_kiosk_browser, new_page, screenshot, sign_in
from ..livesite import LiveServer

PASSWORD = "rahasia-123"


@pytest.fixture
def live(tmp_path):
    server = LiveServer(tmp_path / "site", config_text=VISIT_SITE).start()
    yield server
    server.stop()


def route_states(phone) -> list[tuple[str, str]]:
    return [tuple(x) for x in phone.evaluate("""() => [...document.querySelectorAll('#tk-route-steps li')]
        .map(li => [li.dataset.service, li.dataset.state])""")]


def wait_route(phone, expected: list[tuple[str, str]]) -> None:
    phone.wait_for_function("""(want) => JSON.stringify([...document.querySelectorAll('#tk-route-steps li')]
        .map(li => [li.dataset.service, li.dataset.state])) === JSON.stringify(want)""",
                            arg=[list(x) for x in expected], timeout=5000)


def serve_at(panel, live, counter: str) -> str:
    """Open ``counter``'s panel, call the next visitor and wait until the panel shows them; return what the
    waiting list said of them before the call."""
    panel.goto(f"{live.url}/counter/{counter}")
    panel.wait_for_selector("#conn[data-state=live]", timeout=15_000)
    panel.wait_for_selector("#panel:not([data-state=loading])")
    panel.wait_for_function("() => document.querySelectorAll('#queue-list .qi').length === 1", timeout=5000)
    listed = panel.inner_text("#queue-list .qi .qi-service")
    panel.keyboard.press("n")
    panel.wait_for_selector("#panel[data-state=called]")
    return listed


def test_one_number_from_the_kiosk_through_three_desks_to_the_survey(browser, live):
    live.add_user("siti", PASSWORD, counters=("L01", "L02", "L03"))

    # the kiosk: one tap, one number
    kiosk = new_page(browser, width=1280, height=800, touch=True)
    enrol_kiosk_browser(kiosk.context, live, "K1")
    kiosk.goto(f"{live.url}/kiosk/K1")
    kiosk.wait_for_selector("body[data-ready='1']")
    kiosk.locator(".tile[data-service='PBG']").tap()
    kiosk.locator("#confirm").wait_for(state="visible")
    number = kiosk.inner_text("#c-number")
    assert number == "H-001"
    token = unquote(kiosk.get_attribute("#c-qr", "src").rsplit("/", 1)[1].removesuffix(".svg"))

    # the hall display of the ground floor, and the visitor's phone
    hall = new_page(browser, width=1280, height=720)
    hall.goto(f"{live.url}/display?zone=lantai-1")
    hall.wait_for_selector("#display[data-state=live]", timeout=10_000)
    phone = new_page(browser, width=360, height=740, touch=True, mobile=True)
    phone.goto(f"{live.url}/t/{token}")
    phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)
    assert phone.is_visible("#tk-route")
    assert route_states(phone) == [("PBG", "current"), ("RETRIBUSI", "next"), ("SERAH", "next")]
    assert "Pembayaran Retribusi PBG" in phone.inner_text("#tk-route-note")

    # the first desk: the panel shows the route and where the visit goes when it is finished
    panel = new_page(browser)
    sign_in(panel, live, "siti", "/counter/L01")
    serve_at(panel, live, "L01")
    hall.wait_for_function("n => document.getElementById('now-number').textContent === n", arg=number, timeout=10_000)
    assert hall.text_content("#now-counter") == "Loket 1"
    panel.wait_for_selector("#visit:not([hidden])")
    assert panel.inner_text("#visit-next") == "Setelah Selesai: lanjut ke Pembayaran Retribusi PBG"
    assert panel.is_visible("#actions .act[data-action=end-visit]")
    size = panel.evaluate("() => [document.documentElement.scrollHeight, innerHeight]")
    assert size[0] <= size[1], f"the panel scrolls with a visit shown: {size}"
    screenshot(panel, "visit-panel.png")
    panel.keyboard.press("f")
    panel.wait_for_selector("#panel[data-state=idle]")
    assert panel.inner_text("#msg") == "H-001 lanjut ke Pembayaran Retribusi PBG dengan nomor yang sama."

    # the phone follows the number to the cashier's line
    wait_route(phone, [("PBG", "done"), ("RETRIBUSI", "current"), ("SERAH", "next")])
    assert phone.get_attribute("#ticket", "data-status") == "waiting"
    assert phone.inner_text("#tk-service") == "Pembayaran Retribusi PBG"
    screenshot(phone, "visit-phone-route.png")

    # the cashier sees where the visitor comes from; the display calls the same number to the cashier
    assert serve_at(panel, live, "L02") == "Pembayaran Retribusi PBG · dari Persetujuan Bangunan Gedung"
    hall.wait_for_function("() => document.getElementById('now-counter').textContent === 'Kasir 1'", timeout=10_000)
    assert hall.text_content("#now-number") == number
    # heard too: the same number, to the cashier
    hall.wait_for_function("() => window.__announcerLog.slice(-3).join(' ') === 'silakan_menuju kasir satu'",
                           timeout=10_000)
    log = hall.evaluate("window.__announcerLog")
    assert log[-9:] == ["chime", "nomor_antrean", "h", "nol", "nol", "satu", "silakan_menuju", "kasir", "satu"]
    panel.wait_for_selector("#visit:not([hidden])")
    assert panel.inner_text("#visit-from") == "Dari Persetujuan Bangunan Gedung (Loket 1)"
    phone.wait_for_selector("#tk-call:not([hidden])", timeout=5000)
    assert phone.inner_text("#tk-counter") == "Kasir 1"
    assert phone.is_hidden("#survey")  # a step's end is not the visit's end
    panel.keyboard.press("f")
    panel.wait_for_selector("#panel[data-state=idle]")

    # the last desk (another floor): finishing there ends the visit, and only now the survey opens
    serve_at(panel, live, "L03")
    panel.wait_for_selector("#visit:not([hidden])")
    assert panel.inner_text("#visit-next") == "Langkah terakhir: Selesai mengakhiri kunjungan"
    assert panel.is_hidden("#actions .act[data-action=end-visit]")
    panel.keyboard.press("f")
    panel.wait_for_selector("#panel[data-state=idle]")
    phone.wait_for_selector("#survey[data-step=intro] #sv-start", timeout=5000)
    wait_route(phone, [("PBG", "done"), ("RETRIBUSI", "done"), ("SERAH", "done")])
    phone.tap("#sv-start")
    for i in range(1, 10):
        phone.wait_for_selector(f"#survey[data-step=U{i}]")
        phone.locator("#survey .sv-option[data-value='4']").tap()
    phone.wait_for_selector("#survey[data-step=profile]")
    phone.tap("#sv-send")
    phone.wait_for_selector("#survey[data-step=thanks][data-outcome=sent]", timeout=5000)

    headers = live.token()
    for service, respondents in (("SERAH", 1), ("PBG", 0), ("RETRIBUSI", 0)):
        r = requests.get(f"{live.url}/api/stats/ikm?service={service}", headers=headers, timeout=5)
        assert r.json()["respondents"] == respondents, service
    visits = requests.get(f"{live.url}/api/stats/summary", headers=headers, timeout=5).json()["visits"]
    assert visits["done"] == 1 and visits["routes"][0]["route"] == ["PBG", "RETRIBUSI", "SERAH"]
    for page in (kiosk, hall, phone, panel):
        assert page.js_errors == [], page.js_errors
    assert urlsplit(phone.url).path == f"/t/{token}"


def test_the_panel_ends_a_visit_or_skips_a_step_and_the_phone_says_a_closed_step_waits(browser, live):
    live.add_user("siti", PASSWORD, counters=("L01", "L02", "L03"))
    admin = live.token()
    kiosk = {"X-Kiosk-Key": live.kiosk_key("K1")}
    first = requests.post(f"{live.url}/api/tickets", json={"service": "PBG", "kiosk": "K1"}, headers=kiosk,
                          timeout=5).json()
    second = requests.post(f"{live.url}/api/tickets", json={"service": "PBG", "kiosk": "K1"}, headers=kiosk,
                           timeout=5).json()
    requests.post(f"{live.url}/api/admin/services/RETRIBUSI/close", json={"reason": "Kasir sedang istirahat"},
                  headers=admin, timeout=5).raise_for_status()

    phone = new_page(browser, width=360, height=740, touch=True, mobile=True)
    phone.goto(f"{live.url}/t/{first['token']}")
    phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)
    panel = new_page(browser)
    sign_in(panel, live, "siti", "/counter/L01")
    panel.wait_for_selector("#conn[data-state=live]", timeout=15_000)
    panel.keyboard.press("n")
    panel.wait_for_selector("#visit:not([hidden])")
    # the clerk is told before finishing that the next step is closed
    assert panel.get_attribute("#visit-next", "data-closed") == "1"
    assert "sedang tutup" in panel.inner_text("#visit-next")
    panel.keyboard.press("f")
    panel.wait_for_selector("#panel[data-state=idle]")
    assert panel.get_attribute("#msg", "data-kind") == "err" and "sedang tutup" in panel.inner_text("#msg")
    # the phone: the number waits at the closed step, and says so
    wait_route(phone, [("PBG", "done"), ("RETRIBUSI", "current"), ("SERAH", "next")])
    phone.wait_for_selector("#tk-route-note[data-closed='1']")
    note = phone.inner_text("#tk-route-note")
    assert note.startswith("Layanan Pembayaran Retribusi PBG sedang tutup.") and "Nomor Anda tetap berlaku" in note
    assert phone.inner_text("#tk-eta") == "Layanan ini sedang tutup"  # not "any moment now"
    screenshot(phone, "visit-phone-closed.png")

    # the second visitor: sent past the closed cashier straight to the pickup desk
    panel.keyboard.press("n")
    panel.wait_for_selector("#visit:not([hidden])")
    panel.keyboard.press("g")
    panel.wait_for_selector("#visit-dialog[open]")
    assert panel.inner_text("#visit-dialog-title") == f"Kirim {second['number']} ke langkah"
    panel.keyboard.press("2")
    panel.wait_for_selector("#panel[data-state=idle]")
    assert panel.inner_text("#msg") == f"{second['number']} lanjut ke Pengambilan Dokumen Izin dengan nomor yang sama."
    mine = requests.get(f"{live.url}/api/tickets/{second['token']}", timeout=5).json()
    assert [(s["service"], s["state"]) for s in mine["route"]] == [("PBG", "done"), ("SERAH", "current")]

    # the cashier opens again; the first visitor's visit ends there (the clerk ends it: nothing to pick up)
    requests.post(f"{live.url}/api/admin/services/RETRIBUSI/open", headers=admin, timeout=5).raise_for_status()
    phone.wait_for_selector("#tk-route-note[data-closed='0']", timeout=10_000)
    panel.goto(f"{live.url}/counter/L02")
    panel.wait_for_selector("#conn[data-state=live]", timeout=15_000)
    panel.keyboard.press("n")
    panel.wait_for_selector("#visit:not([hidden])")
    panel.keyboard.press("e")
    panel.wait_for_selector("#panel[data-state=idle]")
    phone.wait_for_selector("#survey[data-step=intro]", timeout=5000)
    wait_route(phone, [("PBG", "done"), ("RETRIBUSI", "done")])
    assert panel.js_errors == [] and phone.js_errors == []
