"""Honest screens (issue 34) in Debian's Chromium against a real ``mpp-queue serve``: with nobody on duty the kiosk
and the phone say so instead of "Langsung" / a wait of 0 minutes, and follow a clerk opening and closing the
counter; every recall reaches the phone again (screen reader, vibration, chime)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from ..helpers import enrol_kiosk_browser, wait_js
from ..livesite import ClerkPanel, call_next, issue

pytestmark = pytest.mark.slow

NOBODY_PHONE = "Belum ada petugas di loket layanan ini; Anda dipanggil setelah petugas hadir."


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="id-ID", timezone_id="Asia/Jakarta")
    page = ctx.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    ctx.close()


def open_ticket(phone, live, ticket) -> None:
    phone.goto(live.url + urlsplit(ticket["track_url"]).path)
    phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)


def eta_reads(phone, text: str) -> None:
    phone.wait_for_function(f"() => document.getElementById('tk-eta').textContent === {text!r}", timeout=8000)


def test_kiosk_and_phone_say_nobody_is_on_duty_and_follow_the_clerk(browser, live, phone):
    """The walk of issue 34 at 16:55: no clerk signed in, yet "1 orang di depan Anda · Langsung"."""
    issue(live)  # someone already waits
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID",
                                  timezone_id="Asia/Jakarta", has_touch=True)
    kiosk = context.new_page()
    kiosk.js_errors = []
    kiosk.on("pageerror", lambda exc: kiosk.js_errors.append(str(exc)))
    try:
        enrol_kiosk_browser(context, live, "K1")
        kiosk.goto(f"{live.url}/kiosk/K1")
        kiosk.wait_for_selector("body[data-ready='1']")
        tile = kiosk.locator(".tile[data-service='PERIZINAN']")
        assert tile.locator(".tile-eta").inner_text() == "Belum ada petugas"
        tile.tap()
        kiosk.locator("#confirm").wait_for(state="visible")
        assert kiosk.locator("#confirm").get_attribute("data-nobody-on-duty") == "true"
        assert kiosk.locator("#c-ahead").inner_text() == "1 orang di depan Anda · Belum ada petugas"
        token = kiosk.locator("#confirm").get_attribute("data-token")
        assert "Langsung" not in kiosk.locator("#confirm").inner_text()
        assert kiosk.js_errors == []
    finally:
        context.close()

    mine = requests.get(f"{live.url}/api/tickets/{token}", timeout=5).json()
    assert mine["nobody_on_duty"] is True and mine["estimated_wait_seconds"] is None
    open_ticket(phone, live, {"track_url": f"{live.url}/t/{token}"})
    assert phone.text_content("#tk-ahead") == "1 orang di depan Anda"
    assert phone.text_content("#tk-eta") == NOBODY_PHONE
    # a clerk signs in to Loket 1 (its panel connects): the phone hears an estimate at once, without reloading
    panel = ClerkPanel(live, live.token(), "L01")
    try:
        phone.wait_for_function(
            f"() => !['', {NOBODY_PHONE!r}].includes(document.getElementById('tk-eta').textContent)", timeout=8000)
        assert phone.get_attribute("#ticket", "data-nobody-on-duty") == "false"
        text = phone.text_content("#tk-eta")
        assert text == "Sebentar lagi" or "menit" in text
        tiles = {s["code"]: s for s in requests.get(f"{live.url}/api/services", timeout=5).json()}
        assert tiles["PERIZINAN"]["nobody_on_duty"] is False
    finally:
        panel.close()
    # the clerk closes the panel: nobody on duty again
    eta_reads(phone, NOBODY_PHONE)
    assert phone.js_errors == []


def test_the_phone_hears_every_recall(phone, live):
    headers = live.token()
    panel = ClerkPanel(live, headers, "L01")
    try:
        mine = issue(live)
        open_ticket(phone, live, mine)
        phone.locator("#tk-sound").tap()  # the visitor allowed sound
        call_next(live, headers)
        first = f"Nomor {mine['number']} dipanggil. Silakan menuju Loket 1."
        again = f"Nomor {mine['number']} dipanggil lagi. Silakan menuju Loket 1."
        phone.wait_for_function(f"() => document.getElementById('tk-announce').textContent === {first!r}",
                                timeout=5000)
        for n in (1, 2):  # each recall is announced again: screen reader, vibration, chime
            assert requests.post(f"{live.url}/api/counters/L01/recall", headers=headers, timeout=5).status_code == 200
            wait_js(phone, f"window.__ticketLog.filter((e) => e === {'announce:' + again!r}).length === {n}")
            phone.wait_for_function(f"() => document.getElementById('tk-announce').textContent === {again!r}",
                                    timeout=5000)
            assert phone.evaluate("window.__ticketLog.filter((e) => e === 'vibrate').length") == n + 1
        wait_js(phone, "window.__ticketLog.filter((e) => e === 'chime').length === 3")
        api = requests.get(f"{live.url}/api/tickets/{mine['token']}", timeout=5).json()
        assert api["recalls"] == 2 and api["last_called_at"] is not None
        assert phone.text_content("#tk-status") == "Anda dipanggil!"
        assert phone.js_errors == []
    finally:
        panel.close()
