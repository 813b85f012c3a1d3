"""The visitor's ticket page on a phone-sized Chromium: live people-ahead, and the call with its counter."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import requests

from ..helpers import screenshot, screenshots_dir
from ..livesite import ClerkPanel, call_next, issue


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


def test_ticket_page_follows_the_queue_and_shows_the_call(phone, live):
    headers = live.token()
    ClerkPanel(live, headers, "L01")  # a clerk has Loket 1 open: there is an estimate
    issue(live)
    mine = issue(live)
    open_ticket(phone, live, mine)
    assert phone.text_content("#tk-number") == mine["number"] == "A-002"
    assert phone.text_content("#tk-status") == "Menunggu dipanggil"
    assert phone.text_content("#tk-ahead") == "1 orang di depan Anda"
    assert "menit" in phone.text_content("#tk-eta") or phone.text_content("#tk-eta") == "Sebentar lagi"

    call_next(live, headers)  # the one before me
    phone.wait_for_function("() => document.getElementById('tk-ahead').textContent === 'Anda berikutnya'",
                            timeout=5000)
    assert phone.is_hidden("#tk-call")

    start = time.monotonic()
    call_next(live, headers)  # me
    phone.wait_for_selector("#tk-call:not([hidden])", timeout=1000)
    assert time.monotonic() - start < 1.0
    assert phone.text_content("#tk-counter") == "Loket 1"
    assert phone.text_content("#tk-status") == "Anda dipanggil!"
    assert phone.text_content("#tk-call-go") == "Silakan menuju"
    phone.wait_for_function("() => window.__ticketLog.includes('chime')", timeout=2000)
    assert "vibrate" in phone.evaluate("window.__ticketLog")

    assert requests.post(f"{live.url}/api/counters/L01/start", headers=headers, timeout=5).status_code == 200
    phone.wait_for_function("() => document.getElementById('tk-status').textContent === 'Sedang dilayani'",
                            timeout=5000)
    assert phone.text_content("#tk-call-go") == "Dilayani di"
    assert phone.js_errors == []


def test_ticket_page_catches_up_after_the_socket_was_down(phone, live):
    headers = live.token()
    mine = issue(live)
    open_ticket(phone, live, mine)
    phone.context.set_offline(True)  # the phone slept; its socket is gone
    phone.wait_for_selector("#ticket[data-state=offline]", timeout=10_000)
    call_next(live, headers)
    phone.context.set_offline(False)
    phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    phone.wait_for_selector("#tk-call:not([hidden])", timeout=8000)
    assert phone.text_content("#tk-counter") == "Loket 1"


def test_unknown_token_gets_a_friendly_404(phone, live):
    resp = phone.goto(live.url + "/t/not-a-real-token-at-all")
    assert resp.status == 404
    assert phone.text_content("h1") == "Tiket tidak ditemukan"
    assert "kios" in phone.text_content("main")


def test_english(phone, live):
    mine = issue(live)
    phone.goto(live.url + urlsplit(mine["track_url"]).path + "?lang=en")
    phone.wait_for_selector("#ticket[data-state=live]")
    assert phone.text_content("#tk-status") == "Waiting to be called"
    assert phone.text_content("#tk-ahead") == "You are next"


@pytest.mark.skipif(screenshots_dir() is None, reason="only takes pictures: make screenshots runs it")
def test_screenshots(phone, live):
    headers = live.token()
    for _ in range(4):
        issue(live)
    mine = issue(live)
    open_ticket(phone, live, mine)
    screenshot(phone, "ticket-waiting.png")
    for _ in range(5):
        call_next(live, headers)
    phone.wait_for_selector("#tk-call:not([hidden])")
    screenshot(phone, "ticket-called.png", settle_ms=6500)  # after the pulse


def test_ticket_page_counts_its_place_through_priority_and_calls(phone, live):
    """The page counts its own place from the line's queue_moved messages (a priority ticket joins ahead,
    calls leave) and always agrees with the API."""
    headers = live.token()
    for _ in range(3):
        issue(live)
    mine = issue(live)
    open_ticket(phone, live, mine)
    assert phone.text_content("#tk-ahead") == "3 orang di depan Anda"

    def ahead_is(n: int) -> None:
        text = "Anda berikutnya" if n == 0 else f"{n} orang di depan Anda"
        phone.wait_for_function(f"() => document.getElementById('tk-ahead').textContent === {text!r}", timeout=5000)
        api = requests.get(f"{live.url}/api/tickets/{mine['token']}", timeout=5).json()
        assert api["ahead"] == n

    r = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1", "priority": True},
                      headers=live.kiosk_headers("K1"), timeout=5)
    assert r.status_code == 201
    ahead_is(4)  # a priority visitor goes before me
    call_next(live, headers)
    ahead_is(3)
    call_next(live, headers)
    ahead_is(2)
    # it counted: three moves of its line, not a view per move
    assert phone.evaluate("window.__ticketLog.filter((e) => e === 'counted').length") == 3
    assert phone.js_errors == []


def test_the_call_is_said_to_a_screen_reader_and_felt_by_vibration(phone, live):
    headers = live.token()
    mine = issue(live)
    open_ticket(phone, live, mine)
    announce = phone.locator("#tk-announce")
    assert announce.get_attribute("aria-live") == "assertive" and announce.get_attribute("role") == "alert"
    assert announce.text_content() == ""
    call_next(live, headers)
    phone.wait_for_function("() => document.getElementById('tk-announce').textContent !== ''", timeout=5000)
    assert announce.text_content() == f"Nomor {mine['number']} dipanggil. Silakan menuju Loket 1."
    assert "vibrate" in phone.evaluate("window.__ticketLog")
    # once the visit is over there is nothing left to be alerted of: no sound & vibration button
    assert phone.is_visible("#tk-sound")
    assert requests.post(f"{live.url}/api/counters/L01/finish", headers=headers, timeout=5).status_code == 200
    phone.wait_for_selector("#survey[data-step=intro]")
    assert phone.is_hidden("#tk-sound")
    phone.reload()
    phone.wait_for_selector("#ticket[data-state=live]")
    assert phone.is_hidden("#tk-sound")
    assert phone.js_errors == []


def test_large_text_is_a_visible_toggle_remembered_on_the_phone(phone, live):
    mine = issue(live)
    open_ticket(phone, live, mine)
    toggle = phone.locator("#tk-big")
    assert toggle.is_visible() and toggle.text_content() == "Teks besar"
    size = phone.evaluate("parseFloat(getComputedStyle(document.getElementById('tk-ahead')).fontSize)")
    toggle.tap()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert phone.evaluate("parseFloat(getComputedStyle(document.getElementById('tk-ahead')).fontSize)") >= 1.3 * size
    assert phone.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    phone.reload()
    phone.wait_for_selector("#ticket[data-state=live]")
    assert phone.get_attribute("#tk-big", "aria-pressed") == "true"  # remembered on this phone
    assert phone.js_errors == []
