"""The booking page on a phone and the kiosk's check-in (keypad and a USB scanner's keystrokes), in Chromium
against a real server."""

from __future__ import annotations

import re

import pytest
import requests

from ..helpers import TEST_SITE, enrol_kiosk_browser, wait_js
from ..livesite import LiveServer

pytestmark = pytest.mark.slow

SITE = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 2
days_ahead = 7
requirements = "KTP dan NIB"
''', 1).replace('''target_wait_minutes = 10
''', '''target_wait_minutes = 10

[services.booking]
slot_minutes = 30
per_slot = 2
days_ahead = 7
''', 1)
CODE_RE = re.compile(r"^[A-Z2-9]{6,}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("booking"), config_text=SITE,
                      env={"MPP_QUEUE_RATELIMIT_BOOKINGS": "0"}).start()
    yield live
    live.stop()


def new_context(browser, **kw):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **kw)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


def api_book(server, day: str, start: str, service: str = "PERIZINAN") -> dict:
    resp = requests.post(f"{server.url}/api/bookings", json={"service": service, "date": day, "start": start},
                         timeout=5)
    assert resp.status_code == 201, resp.text
    return resp.json()


def slots(server, day: str, service: str = "PERIZINAN") -> list[dict]:
    return requests.get(f"{server.url}/api/booking/slots?service={service}&date={day}", timeout=5).json()


def test_booking_page_books_shows_the_code_and_cancels(browser, server):
    context, page = new_context(browser, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page.goto(f"{server.url}/booking")
        page.select_option("#bk-service", "PERIZINAN")
        assert "KTP dan NIB" in page.locator("#bk-req").inner_text()
        day_chip = page.locator("#bk-days .bk-chip").nth(1)  # tomorrow: every slot of the day is ahead
        day = day_chip.get_attribute("data-day")
        day_chip.tap()
        page.locator("#bk-slots .bk-slot").first.wait_for()
        first = page.locator("#bk-slots .bk-slot").first
        assert first.get_attribute("data-start") == "00:00" and "2 tempat" in first.inner_text()

        # someone else takes the slot's last places while this visitor is still choosing
        first.tap()
        api_book(server, day, "00:00")
        api_book(server, day, "00:00")
        page.locator("#bk-submit").tap()
        note = page.locator("#bk-slot-note")
        note.wait_for(state="visible")
        assert "baru saja penuh" in note.inner_text() and "00:30" in note.inner_text()
        # the slots are drawn again once the page has read them anew: wait for that, not for the note alone
        page.locator("#bk-slots .bk-slot[data-start='00:00']:disabled").wait_for()
        assert page.locator("#bk-error").is_hidden()  # a friendly note, not an error

        page.locator("#bk-slots .bk-slot[data-start='00:30']").tap()
        page.locator("#bk-submit").tap()
        page.locator("#bk-done").wait_for(state="visible")
        code = page.locator("#bk-code").inner_text()
        assert CODE_RE.match(code)
        wait_js(page, "document.getElementById('bk-qr').naturalWidth > 0")
        assert page.locator("#bk-save").get_attribute("download") == f"reservasi-{code}.svg"
        assert next(s for s in slots(server, day) if s["start"] == "00:30")["available"] == 1

        page.goto(page.locator("#bk-manage").get_attribute("href"))
        assert page.locator("#bk-code").inner_text() == code
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#bk-cancel").tap()
        wait_js(page, "document.getElementById('manage').dataset.status === 'cancelled'")
        assert page.locator("#bk-status").inner_text() == "Dibatalkan"
        assert next(s for s in slots(server, day) if s["start"] == "00:30")["available"] == 2
        assert page.js_errors == []
    finally:
        context.close()


def test_kiosk_checks_in_by_keypad_and_by_scanner(browser, server):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    # the slot going on now (its check-in window is open), of NONIZIN: the panel and dashboard tests book
    # PERIZINAN's, and in the day's last half hour there is no later slot to fall back on
    now_slot = slots(server, today, "NONIZIN")[0]["start"]
    typed, scanned = (api_book(server, today, now_slot, "NONIZIN"), api_book(server, today, now_slot, "NONIZIN"))
    context, page = new_context(browser, viewport={"width": 1920, "height": 1080}, has_touch=True)
    enrol_kiosk_browser(context, server, "K1")  # as Admin → Kiosks does on the kiosk PC
    try:
        page.goto(f"{server.url}/kiosk/K1")
        page.wait_for_selector("body[data-ready='1']")
        page.locator("#checkin-open").tap()
        for ch in "ZZZZZZ":
            page.locator(f".k-key[data-key='{ch}']").tap()
        page.locator("#checkin-go").tap()
        page.locator("#message").wait_for(state="visible")
        assert "tidak ditemukan" in page.locator("#message-text").inner_text()
        page.locator("#message-ok").tap()

        page.locator("#checkin-open").tap()
        for ch in typed["code"]:
            page.locator(f".k-key[data-key='{ch}']").tap()
        assert page.locator("#checkin-code").inner_text() == typed["code"]
        page.locator("#checkin-go").tap()
        page.locator("#confirm").wait_for(state="visible")
        first_number = page.locator("#c-number").inner_text()
        assert re.match(r"^B-\d{3}$", first_number)
        assert typed["code"] in page.locator("#c-booking").inner_text()
        page.wait_for_timeout(1600)
        page.locator("#c-done").tap()
        page.locator("#confirm").wait_for(state="hidden")

        # a USB scanner is a keyboard: the QR's code and Enter on the start screen, no tap at all
        page.keyboard.type(scanned["code"], delay=5)
        page.keyboard.press("Enter")
        page.locator("#confirm").wait_for(state="visible")
        assert scanned["code"] in page.locator("#c-booking").inner_text()
        assert page.locator("#c-number").inner_text() != first_number
        booking = requests.get(f"{server.url}/api/bookings/{scanned['token']}", timeout=5).json()
        assert booking["status"] == "checked_in"
        assert booking["ticket"]["number"] == page.locator("#c-number").inner_text()
        assert page.js_errors == []
    finally:
        context.close()


def test_clerk_checks_a_booking_in_from_the_panel(browser, server):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ..helpers import PASSWORD, sign_in

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    # the slot going on now (its check-in window is open): it has room, as nothing before books it full
    booking = api_book(server, today, slots(server, today)[0]["start"])
    server.add_user("desk", PASSWORD, "clerk", ("L01",))
    context, page = new_context(browser, viewport={"width": 1366, "height": 768})
    try:
        sign_in(page, server, "desk", "/counter/L01")
        page.locator("#actions .act[data-action='checkin']").click()
        page.fill("#checkin-input", booking["code"].lower())
        page.keyboard.press("Enter")
        msg = page.locator("#msg")
        wait_js(page, f"document.getElementById('msg').textContent.includes('{booking['code']}')")
        number = re.search(r"A-\d{3}", msg.inner_text()).group(0)
        row = page.locator(f"#queue-list li[data-number='{number}']")
        row.wait_for()
        assert row.locator(".badge-booked").inner_text().lower().startswith("reservasi ")  # CSS upper-cases badges
        status = requests.get(f"{server.url}/api/bookings/{booking['token']}", timeout=5).json()
        assert status["status"] == "checked_in" and status["ticket"]["number"] == number
        assert page.js_errors == []
    finally:
        context.close()


def test_dashboard_shows_todays_bookings(browser, server):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ..helpers import PASSWORD, sign_in

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    api_book(server, today, next(s for s in slots(server, today) if s["available"] > 0)["start"])
    days = requests.get(f"{server.url}/api/stats/bookings?from={today}&to={today}", headers=server.token(),
                        timeout=5).json()["days"]
    # the row of this service (another test of the module may have booked another service today)
    made = next(d for d in days if d["service"] == "PERIZINAN")["made"]
    server.add_user("boss", PASSWORD, "manager")
    context, page = new_context(browser, viewport={"width": 1366, "height": 900})
    try:
        sign_in(page, server, "boss", "/dashboard/")
        row = page.locator("#bookings tr[data-service='PERIZINAN']")
        row.wait_for()
        assert page.locator("#bookings-card").is_visible()
        assert row.locator("td").nth(1).inner_text() == str(made)
        assert page.js_errors == []
    finally:
        context.close()


def test_checking_a_booking_in_twice_says_so_and_shows_the_ticket_again(browser, server):
    """The second check-in answers the same ticket (200): the kiosk says it was checked in before, with the
    number and QR, instead of "take your ticket" for a slip that does not print again."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    booking = api_book(server, today, next(s for s in slots(server, today) if s["available"] > 0)["start"])
    context, page = new_context(browser, viewport={"width": 1080, "height": 1920}, has_touch=True)
    enrol_kiosk_browser(context, server, "K2")  # the kiosk with a printer
    try:
        page.goto(f"{server.url}/kiosk/K2")
        page.wait_for_selector("body[data-ready='1']")
        numbers = []
        for attempt in range(2):
            page.keyboard.type(booking["code"], delay=5)  # the QR through a USB scanner
            page.keyboard.press("Enter")
            page.locator("#confirm").wait_for(state="visible")
            numbers.append(page.text_content("#c-number"))
            if attempt == 0:
                assert page.get_attribute("#confirm", "data-print-status") == "printed"
                assert page.text_content("#c-notice") == "Silakan ambil tiket Anda"
                page.wait_for_timeout(1600)  # "Selesai" ignores the first 1.5 s by the page's own clock
                page.locator("#c-done").tap()
                page.locator("#confirm").wait_for(state="hidden")
        assert numbers[0] == numbers[1]
        assert page.get_attribute("#confirm", "data-print-status") == "again"
        notice = page.text_content("#c-notice")
        assert notice.startswith("Reservasi ini sudah check-in pukul ") and f"tetap {numbers[0]}" in notice
        assert "Silakan ambil tiket Anda" not in notice and "tidak dicetak lagi" in notice
        wait_js(page, "document.getElementById('c-qr').complete && document.getElementById('c-qr').naturalWidth > 0")
        assert page.js_errors == []
    finally:
        context.close()
