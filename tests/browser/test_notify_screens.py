"""The notices' screens in Debian's Chromium against a real server whose WhatsApp messages go to the fake
gateway (fakegateway/, tests/notifysite.py): the kiosk's phone step (its keypad, skipping), the phone page's
number (given, refused, removed), and the dashboard's notice reaching an open phone page, a hall display and
the phones given (on the gateway's own page)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from ..helpers import enrol_kiosk_browser, new_page, screenshot, sign_in, wait_js
from ..notifysite import FakeGateway, messages, notify_server

pytestmark = pytest.mark.slow

KIOSK = {"width": 1080, "height": 1920, "touch": True}
PHONE = {"width": 390, "height": 844, "touch": True, "mobile": True}


@pytest.fixture(scope="module")
def gateway():
    gw = FakeGateway()
    yield gw
    gw.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory, gateway):
    server = notify_server(tmp_path_factory.mktemp("notify-screens") / "site", gateway).start()
    server.add_user("boss", "rahasia-123", role="manager")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(live):
    return live.token()


def take(live, service="PERIZINAN", phone=None) -> dict:
    body = {"service": service, "kiosk": "K1", **({"phone": phone} if phone else {})}
    r = requests.post(live.url + "/api/tickets", json=body, headers=live.kiosk_headers("K1"), timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def waiting(live, service: str) -> int:
    rows = requests.get(f"{live.url}/api/services", timeout=5).json()
    return next(s["waiting"] for s in rows if s["code"] == service)


def open_kiosk(browser, live):
    page = new_page(browser, **KIOSK)
    enrol_kiosk_browser(page.context, live, "K1")
    page.goto(live.url + "/kiosk/K1")
    page.wait_for_selector("body[data-ready='1']")
    return page


def test_a_kiosk_ticket_with_a_phone_reaches_the_gateway(browser, live, gateway, admin):
    page = open_kiosk(browser, live)
    try:
        page.locator(".tile[data-service='PERIZINAN']").tap()
        page.locator("#phone").wait_for(state="visible")
        # skipping is the default: it has the focus, sending waits for a number
        assert page.evaluate("document.activeElement.id") == "phone-skip"
        assert page.locator("#phone-send").is_disabled()
        assert "30 hari" in page.locator("#phone-consent").inner_text()
        assert page.locator("#phone-consent a[href='/privacy']").count() == 1
        for key in "081234567801":
            page.locator(f"#phone-keypad .k-key[data-key='{key}']").tap()
        page.locator("#phone-keypad .k-key[data-key='BACK']").tap()
        page.locator("#phone-keypad .k-key[data-key='1']").tap()
        assert page.locator("#phone-number").inner_text() == "081234567801"
        screenshot(page, "kiosk-phone-step.png")
        page.locator("#phone-send").tap()
        page.locator("#confirm").wait_for(state="visible")
        number = page.locator("#c-number").inner_text()
        assert page.locator("#c-phone").inner_text().endswith("0812******01")
        got = gateway.wait_for(lambda: gateway.messages(to="6281234567801", template="antrean_diambil"),
                               what="the kiosk ticket's issued message")
        assert got[0]["params"][0] == number
        # the fake gateway's own page lists it
        page.goto(f"http://127.0.0.1:{gateway.port}/")
        row = page.locator("tr", has_text="6281234567801").first
        assert "antrean_diambil" in row.inner_text() and number in row.inner_text()
        screenshot(page, "fake-gateway.png")
        assert [m["kind"] for m in messages(live, admin, ticket=number)] == ["issued"]
        assert page.js_errors == []
    finally:
        page.context.close()


def test_skipping_the_phone_step_takes_a_number_without_one(browser, live, admin):
    page = open_kiosk(browser, live)
    try:
        page.locator(".tile[data-service='NONIZIN']").tap()
        page.locator("#phone-skip").tap()
        page.locator("#confirm").wait_for(state="visible")
        assert page.locator("#c-phone").is_hidden()
        assert messages(live, admin, ticket=page.locator("#c-number").inner_text()) == []
        # a keyboard: Escape skips too, the digits typed go to the number, not to the booking code
        page.locator("#c-done").tap()
        page.locator("#confirm").wait_for(state="hidden")
        page.locator(".tile[data-service='NONIZIN']").tap()
        page.locator("#phone").wait_for(state="visible")
        page.keyboard.type("0812")
        assert page.locator("#phone-number").inner_text() == "0812"
        page.keyboard.press("Escape")
        page.locator("#confirm").wait_for(state="visible")
        assert page.locator("#c-phone").is_hidden()
        assert page.js_errors == []
    finally:
        page.context.close()


def test_after_a_network_failure_the_next_tap_resends_the_same_number_and_key(browser, live, gateway, admin):
    page = open_kiosk(browser, live)
    try:
        before = waiting(live, "PERIZINAN")
        sent: list[tuple[str, dict]] = []

        def down_then_up(route):
            sent.append((route.request.headers.get("idempotency-key"), route.request.post_data_json))
            if len(sent) == 1:
                route.fetch()  # the server issues the ticket...
            if len(sent) <= 5:  # ...but the kiosk never hears back, nor from its four retries
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/tickets", down_then_up)
        page.locator(".tile[data-service='PERIZINAN']").tap()
        for key in "081355550001":
            page.locator(f"#phone-keypad .k-key[data-key='{key}']").tap()
        page.locator("#phone-send").tap()
        page.locator("#message").wait_for(state="visible", timeout=30_000)
        page.locator("#message-ok").tap()
        # the same tile again: no second question, the same request
        page.locator(".tile[data-service='PERIZINAN']").tap()
        page.locator("#confirm").wait_for(state="visible", timeout=15_000)
        assert page.locator("#phone").is_hidden()
        assert len({k for k, _ in sent}) == 1 and {b["phone"] for _, b in sent} == {"081355550001"}
        number = page.locator("#c-number").inner_text()
        gateway.wait_for(lambda: gateway.messages(to="6281355550001", template="antrean_diambil"), what="issued")
        assert [m["kind"] for m in messages(live, admin, ticket=number)] == ["issued"]
        assert waiting(live, "PERIZINAN") == before + 1  # one ticket
        assert page.js_errors == []
    finally:
        page.context.close()


def test_the_phone_page_adds_and_removes_a_number(browser, live, admin):
    ticket = take(live)
    page = new_page(browser, **PHONE)
    try:
        page.goto(live.url + urlsplit(ticket["track_url"]).path)
        page.wait_for_selector("#ticket[data-state=live]")
        assert page.locator("#tk-phone-form").is_visible()
        assert page.locator("label[for=tk-phone-input]").inner_text()
        page.fill("#tk-phone-input", "12345")
        page.locator("#tk-phone-save").tap()
        page.wait_for_selector("#tk-phone-input[aria-invalid=true]")
        assert "tidak valid" in page.locator("#tk-phone-msg").inner_text()
        screenshot(page, "ticket-phone-invalid.png", full_page=True)
        page.fill("#tk-phone-input", "0812 3456 7802")
        page.locator("#tk-phone-save").tap()
        page.wait_for_selector("#tk-phone[data-state=set]")
        assert "6281*******02" in page.locator("#tk-phone-now").inner_text()
        assert page.locator("#tk-phone-form").is_hidden()
        page.reload()  # the server remembers it
        page.wait_for_selector("#tk-phone[data-state=set]")
        page.locator("#tk-phone-remove").tap()
        page.wait_for_selector("#tk-phone[data-state=none]")
        assert page.locator("#tk-phone-form").is_visible()
        assert "dihapus" in page.locator("#tk-phone-msg").inner_text()
        view = requests.get(f"{live.url}/api/tickets/{ticket['token']}", timeout=5).json()
        assert "6281234567802" not in str(view)
        page.reload()
        page.wait_for_selector("#tk-phone[data-state=none]")
        assert page.js_errors == []
    finally:
        page.context.close()


def test_the_dashboards_notice_reaches_phone_pages_displays_and_phones(browser, live, gateway):
    mine = take(live, "HALAL", phone="0813 2222 3301")  # a line no other test of the module joins
    other_line = take(live, "PERIZINAN")
    text = "Loket 2 sedang gangguan jaringan, mohon bersabar ± 15 menit."
    phone = new_page(browser, **PHONE)
    elsewhere = new_page(browser, **PHONE)
    display = new_page(browser, width=1920, height=1080)
    desk = new_page(browser)
    try:
        phone.goto(live.url + urlsplit(mine["track_url"]).path)
        elsewhere.goto(live.url + urlsplit(other_line["track_url"]).path)
        for p in (phone, elsewhere):
            p.wait_for_selector("#ticket[data-state=live]")
        display.goto(live.url + "/display?zone=lantai-2")  # where HALAL is served
        display.wait_for_selector("#display[data-state=live]")
        sign_in(desk, live, "boss", "/dashboard/", password="rahasia-123")
        desk.wait_for_selector("#health-card[data-loaded='1']")
        desk.select_option("#notice-service", "HALAL")
        desk.fill("#notice-text", text)
        desk.locator("#notice-send").click()
        desk.wait_for_selector("#notice-result[data-recipients]")
        assert desk.locator("#notice-result").get_attribute("data-recipients") == "1"
        assert "1 menunggu, 1 nomor" in desk.locator("#notice-result").inner_text()

        phone.wait_for_selector("#tk-notice:not([hidden])")
        assert phone.locator("#tk-notice-text").inner_text() == text
        screenshot(phone, "ticket-staff-notice.png")
        screenshot(desk, "dashboard-notice.png", full_page=True)
        wait_js(display, "document.querySelector('#media .dsp-staff-notice')")
        screenshot(display, "display-staff-notice.png")
        assert text in display.locator("#media .dsp-staff-notice").inner_text()
        assert "Sertifikasi Halal" in display.locator("#media .dsp-staff-notice h3").inner_text()
        got = gateway.wait_for(lambda: gateway.messages(to="6281322223301", template="pengumuman_layanan"),
                               what="the notice's message")
        assert got[0]["params"] == [text]
        # another line's phone is not told; a closed banner stays closed
        assert elsewhere.locator("#tk-notice").is_hidden()
        phone.locator("#tk-notice-close").tap()
        assert phone.locator("#tk-notice").is_hidden()
        # what connects later gets it (sent on connect): the closed page reloaded keeps it closed, a phone
        # that opens the ticket now sees it, a display reloaded within its minutes shows it again
        phone.reload()
        wait_js(phone, "window.__ticketLog.includes('notice-closed')")
        assert phone.locator("#tk-notice").is_hidden()
        later = new_page(browser, **PHONE)
        try:
            later.goto(live.url + urlsplit(mine["track_url"]).path)
            later.wait_for_selector("#tk-notice:not([hidden])")
            assert later.locator("#tk-notice-text").inner_text() == text
            screenshot(later, "ticket-staff-notice-later.png")
            assert later.js_errors == []
        finally:
            later.context.close()
        display.reload()
        wait_js(display, "document.querySelector('#media .dsp-staff-notice')")
        assert text in display.locator("#media .dsp-staff-notice").inner_text()
        screenshot(display, "display-staff-notice-reloaded.png")
        # a blank notice is refused on the form itself
        desk.fill("#notice-text", "   ")
        desk.locator("#notice-send").click()
        desk.wait_for_selector("#notice-result.bad")
        for p in (phone, elsewhere, display, desk):
            assert p.js_errors == []
    finally:
        for p in (phone, elsewhere, display, desk):
            p.context.close()
