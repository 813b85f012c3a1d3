"""Joining from afar and leaving the line, in Chromium against a real server: a visitor takes a place on the
/antre page, the phone page shows the check-in code and says "come now", the kiosk's keypad checks the visitor
in, the clerk's panel marks who has not arrived and calls the visitor; another visitor leaves the line from the
phone page (a confirming dialog) and the one behind moves up."""

from __future__ import annotations

import re

import pytest
import requests

from ..helpers import PASSWORD, TEST_SITE, axe_violations, enrol_kiosk_browser, screenshot, sign_in, wait_js
from ..livesite import LiveServer

pytestmark = pytest.mark.slow

SITE = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.remote]
daily_quota = 20
arrive_ahead = 3
hold_minutes = 10
''', 1)
CODE_RE = re.compile(r"^[A-Z2-9]{8}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("remote"), config_text=SITE,
                      env={"MPP_QUEUE_RATELIMIT_TICKETS": "0"}).start()
    yield live
    live.stop()


def new_context(browser, **kw):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **kw)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


def phone_context(browser):
    return new_context(browser, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)


def walk_in(server, service: str = "PERIZINAN") -> dict:
    resp = requests.post(f"{server.url}/api/tickets", json={"service": service, "kiosk": "K1"},
                         headers=server.kiosk_headers("K1"), timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_join_from_afar_arrive_at_the_kiosk_and_be_called(browser, server):
    server.add_user("clerk-r", PASSWORD, "clerk", ("L01",))
    phone_ctx, phone = phone_context(browser)
    kiosk_ctx, kiosk = new_context(browser, viewport={"width": 1920, "height": 1080}, has_touch=True)
    enrol_kiosk_browser(kiosk_ctx, server, "K1")
    clerk_ctx, panel = new_context(browser, viewport={"width": 1366, "height": 768})
    try:
        # the phone: today's services that take places from afar, with the places left
        phone.goto(f"{server.url}/antre")
        card = phone.locator(".rm-service[data-service='PERIZINAN']")
        assert "sisa 20 tempat" in card.inner_text()
        assert phone.locator(".rm-service").count() == 1  # the others cannot be joined from afar
        assert phone.locator("[data-privacy-notice] a[href='/privacy']").count() == 1
        assert axe_violations(phone) == []
        card.tap()
        screenshot(phone, "remote-join.png", full_page=True)
        phone.fill("#rm-phone", "0812-3456-7890")
        phone.locator("#rm-submit").tap()
        phone.wait_for_url(re.compile(r".*/t/[^/?]+.*"))
        token = re.search(r"/t/([^/?]+)", phone.url).group(1)
        code = phone.locator("#tk-code").inner_text()
        assert CODE_RE.match(code)
        assert phone.locator(".tk-qr svg").count() == 1
        # nobody ahead and arrive_ahead = 3: come now
        phone.locator("#tk-come").wait_for(state="visible")
        assert "Datang sekarang" in phone.locator("#tk-come").inner_text()
        screenshot(phone, "remote-ticket.png", full_page=True)
        assert axe_violations(phone) == []

        # the clerk's panel marks the visitor who has not arrived, and call-next passes them over
        sign_in(panel, server, "clerk-r", "/counter/L01")
        row = panel.locator(f"#queue-list li[data-number='{phone.locator('#tk-number').inner_text()}']")
        row.wait_for()
        assert row.get_attribute("data-away") == "true" and row.locator(".badge-away").count() == 1
        number = phone.locator("#tk-number").inner_text()

        # the kiosk's keypad takes the code: the slip's screen, and the phone hears it
        kiosk.goto(f"{server.url}/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        kiosk.locator("#checkin-open").tap()
        for ch in code:
            kiosk.locator(f".k-key[data-key='{ch}']").tap()
        screenshot(kiosk, "kiosk-code-keypad.png")
        kiosk.locator("#checkin-go").tap()
        wait_js(kiosk, "!document.getElementById('confirm').hidden || !document.getElementById('message').hidden")
        assert kiosk.locator("#message").is_hidden(), kiosk.locator("#message-text").inner_text()
        assert kiosk.locator("#c-number").inner_text() == number
        assert code in kiosk.locator("#c-booking").inner_text()
        phone.locator("#tk-arrived").wait_for(state="visible")
        assert phone.locator("#tk-checkin").is_hidden() and phone.locator("#tk-come").is_hidden()
        wait_js(panel, f"document.querySelector(\"#queue-list li[data-number='{number}']\")?.dataset.away === 'false'")

        # the clerk calls: the visitor is the next one
        panel.locator("#actions .act[data-action='call-next']").click()
        wait_js(phone, "document.getElementById('ticket').dataset.status === 'called'")
        assert phone.locator("#tk-counter").inner_text() == "Loket 1"
        assert phone.locator("#tk-leave").is_hidden()
        view = requests.get(f"{server.url}/api/tickets/{token}", timeout=5).json()
        assert view["status"] == "called" and view["arrived"] is True
        assert phone.js_errors == [] and kiosk.js_errors == [] and panel.js_errors == []
    finally:
        for ctx in (phone_ctx, kiosk_ctx, clerk_ctx):
            ctx.close()


def test_leave_the_line_from_the_phone_page(browser, server):
    mine, behind = walk_in(server, "NONIZIN"), walk_in(server, "NONIZIN")
    ahead_before = requests.get(f"{server.url}/api/tickets/{behind['token']}", timeout=5).json()["ahead"]
    context, phone = phone_context(browser)
    try:
        phone.goto(f"{server.url}/t/{mine['token']}")
        leave = phone.locator("#tk-leave")
        assert leave.inner_text() == "Batalkan antrean"
        leave.tap()
        dialog = phone.locator("#tk-leave-dialog")
        wait_js(phone, "document.getElementById('tk-leave-dialog').open")
        screenshot(phone, "ticket-leave-dialog.png")
        assert phone.evaluate("document.activeElement.id") == "tk-leave-no"  # the safe answer has the focus
        assert axe_violations(phone) == []
        phone.keyboard.press("Escape")  # a real modal dialog: Esc closes it, the focus comes back
        wait_js(phone, "!document.getElementById('tk-leave-dialog').open")
        assert phone.evaluate("document.activeElement.id") == "tk-leave"
        assert requests.get(f"{server.url}/api/tickets/{mine['token']}", timeout=5).json()["status"] == "waiting"

        leave.tap()
        dialog.locator("#tk-leave-yes").tap()
        wait_js(phone, "document.getElementById('ticket').dataset.status === 'cancelled'")
        assert phone.locator("#tk-status").inner_text() == "Dibatalkan"
        assert "keluar dari antrean" in phone.locator("#tk-end").inner_text()
        assert leave.is_hidden() and not phone.evaluate("document.getElementById('tk-leave-dialog').open")
        after = requests.get(f"{server.url}/api/tickets/{behind['token']}", timeout=5).json()
        assert after["ahead"] == ahead_before - 1
        assert phone.js_errors == []
    finally:
        context.close()
