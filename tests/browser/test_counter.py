"""The clerk panel in Debian's Chromium against a real ``mpp-queue serve``."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio

from ..helpers import screenshot

pytestmark = pytest.mark.slow

PASSWORD = "rahasia-123"


def issue(live, service: str, priority: bool = False) -> str:
    resp = requests.post(live.url + "/api/tickets", json={"service": service, "priority": priority, "kiosk": "K1"},
                         headers=live.kiosk_headers("K1"), timeout=5)
    resp.raise_for_status()
    return resp.json()["number"]


def sign_in(page, live, username: str, password: str = PASSWORD, target: str = "/counter/L01") -> None:
    page.goto(live.url + target)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**" + target)


def panel_ready(page) -> None:
    page.wait_for_selector("#conn[data-state=live]", timeout=15000)
    page.wait_for_selector("#panel:not([data-state=loading])")


class DisplayListener:
    """A python-socketio client on /display, like a hall display, recording ``called`` events."""

    def __init__(self, url: str, zone: str):
        self.calls: list[dict] = []
        self.event = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("called", self._called, namespace="/display")
        self.sio.connect(url, namespaces=["/display"], auth={"zone": zone}, transports=["polling"],
                         wait_timeout=10)

    def _called(self, data: dict) -> None:
        self.calls.append(data)
        self.event.set()

    def wait_for(self, number: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for c in self.calls:
                if c["number"] == number:
                    return c
            self.event.wait(0.2)
            self.event.clear()
        raise AssertionError(f"display never heard {number}: {self.calls}")

    def close(self) -> None:
        self.sio.disconnect()


def display_page_exists(live) -> bool:
    return requests.get(live.url + "/display?zone=lantai-1", timeout=5).status_code == 200


def test_clerk_calls_display_shows_finishes_and_list_updates(live, page, browser):
    live.add_user("siti", PASSWORD, counters=("L01", "L02"))
    live.add_user("budi", PASSWORD, counters=("L02",))
    first, second, third = issue(live, "PERIZINAN"), issue(live, "PERIZINAN"), issue(live, "NONIZIN")
    display = DisplayListener(live.url, "lantai-1")
    hall = None
    try:
        if display_page_exists(live):
            hall = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            hall.goto(live.url + "/display?zone=lantai-1")

        sign_in(page, live, "siti")
        panel_ready(page)
        page.wait_for_function("() => document.querySelectorAll('#queue-list .qi').length === 3")
        assert page.locator("[data-action=call-next]").is_enabled()
        assert page.locator("[data-action=finish]").is_disabled()

        page.keyboard.press("n")
        page.wait_for_selector("#panel[data-state=called]")
        assert page.inner_text("#now-number") == first
        assert page.inner_text("#now-service") == "Perizinan Berusaha"
        call = display.wait_for(first)
        assert call["counter"]["code"] == "L01" and call["recall"] is False
        board = requests.get(live.url + "/api/display?zone=lantai-1", timeout=5).json()
        assert board["latest"]["number"] == first
        if hall is not None:
            hall.wait_for_function("(n) => document.body.innerText.includes(n)", arg=first, timeout=10000)
        # only actions that fit "called" are enabled
        assert page.locator("[data-action=call-next]").is_disabled()
        assert page.locator("[data-action=recall]").is_enabled()
        assert page.locator("[data-action=no-show]").is_enabled()

        page.keyboard.press("s")
        page.wait_for_selector("#panel[data-state=serving]")
        assert page.locator("[data-action=recall]").is_disabled()
        page.keyboard.press("f")
        page.wait_for_selector("#panel[data-state=idle]")
        page.wait_for_function("() => document.querySelectorAll('#queue-list .qi').length === 2")
        page.wait_for_function("() => document.getElementById('tally-served').textContent === '1'")

        # another clerk calls one of this counter's waiting tickets: the list updates without a reload
        budi = live.token("budi", PASSWORD)
        taken = requests.post(live.url + "/api/counters/L02/call-next", headers=budi, timeout=5).json()["ticket"]
        assert taken["number"] == third
        page.wait_for_function("() => document.querySelectorAll('#queue-list .qi').length === 1", timeout=5000)
        assert page.inner_text("#queue-list .qi-number") == second
        assert page.js_errors == []
    finally:
        display.close()
        if hall is not None:
            hall.context.close()


def test_two_clerks_racing_get_different_tickets(live, browser):
    live.add_user("siti", PASSWORD, counters=("L01",))
    live.add_user("budi", PASSWORD, counters=("L02",))
    numbers = {issue(live, "PERIZINAN") for _ in range(3)}
    pages = []
    try:
        for user, code in (("siti", "L01"), ("budi", "L02")):
            ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
            p = ctx.new_page()
            errors: list[str] = []
            p.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            sign_in(p, live, user, target=f"/counter/{code}")
            panel_ready(p)
            pages.append((p, errors))
        (p1, e1), (p2, e2) = pages
        # both click at once; the first clerk even double-clicks
        p2.evaluate("document.querySelector('[data-action=call-next]').click()")
        p1.evaluate("""() => { const b = document.querySelector('[data-action=call-next]'); b.click(); b.click(); }""")
        for p in (p1, p2):
            p.wait_for_selector("#panel[data-state=called]", timeout=10000)
        n1, n2 = p1.inner_text("#now-number"), p2.inner_text("#now-number")
        assert n1 != n2 and {n1, n2} <= numbers
        # the double click called one ticket, so exactly one is still waiting
        admin = live.token()
        counters = {c["code"]: c for c in requests.get(live.url + "/api/counters", headers=admin, timeout=5).json()}
        assert counters["L01"]["current"]["number"] == n1 and counters["L02"]["current"]["number"] == n2
        services = {s["code"]: s for s in requests.get(live.url + "/api/services", timeout=5).json()}
        assert services["PERIZINAN"]["waiting"] == 1
        assert e1 == [] and e2 == []
    finally:
        for p, _ in pages:
            p.context.close()


def test_session_requests_without_csrf_token_are_refused(live, page):
    live.add_user("siti", PASSWORD, counters=("L01",))
    issue(live, "PERIZINAN")
    sign_in(page, live, "siti")
    panel_ready(page)
    status = page.evaluate("""async () => {
        const r = await fetch('/api/counters/L01/call-next', {method: 'POST', credentials: 'same-origin'});
        return r.status; }""")
    assert status == 400
    assert page.inner_text("#now-number") == "—"
    status = page.evaluate("""async () => {
        const boot = JSON.parse(document.getElementById('boot').textContent);
        const r = await fetch('/api/counters/L01/call-next',
            {method: 'POST', credentials: 'same-origin', headers: {'X-CSRFToken': boot.csrf}});
        return r.status; }""")
    assert status == 200
    # and the logout form carries its token too: a foreign page cannot sign the clerk out
    assert requests.post(live.url + "/logout", timeout=5, allow_redirects=False).status_code == 400


def test_race_409_is_explained_and_panel_refreshes(live, page):
    live.add_user("siti", PASSWORD, counters=("L01",))
    issue(live, "PERIZINAN")
    sign_in(page, live, "siti")
    panel_ready(page)
    page.keyboard.press("n")
    page.wait_for_selector("#panel[data-state=called]")
    # the live push is cut first, so only the 409 itself can refresh the panel
    page.evaluate("window.counterSocket.disconnect()")
    page.wait_for_selector("#conn[data-state=offline]")
    # an admin finishes the ticket behind the clerk's back while the clerk's click is on its way: the click
    # was made on a panel showing "called", whatever the socket or the panel's safety-net read would do
    admin = live.token()
    finished: list[int] = []

    def finish_first(route) -> None:
        resp = requests.post(live.url + "/api/counters/L01/finish", headers=admin, timeout=5)
        finished.append(resp.status_code)
        route.continue_()

    page.route("**/api/counters/L01/start", finish_first)
    assert page.is_enabled("[data-action=start]")
    page.click("[data-action=start]")
    page.wait_for_selector("#msg[data-kind=err]")
    assert finished == [200]
    assert "Panel diperbarui" in page.inner_text("#msg")
    page.wait_for_selector("#panel[data-state=idle]")
    assert page.get_attribute("#conn", "data-state") == "offline"


def test_recalls_suggest_no_show(live, page):
    live.add_user("siti", PASSWORD, counters=("L01",))
    issue(live, "PERIZINAN")
    sign_in(page, live, "siti")
    panel_ready(page)
    page.keyboard.press("n")
    page.wait_for_selector("#panel[data-state=called]")
    for n in range(1, 4):
        page.keyboard.press("r")
        page.wait_for_function("(n) => document.getElementById('now-recalls').textContent.includes(n + '×')", arg=n)
    page.wait_for_selector("#recall-warn:not([hidden])")
    assert "Tidak hadir" in page.inner_text("#recall-warn")
    assert "primary" in page.get_attribute("[data-action=no-show]", "class")
    page.keyboard.press("x")
    page.wait_for_selector("#panel[data-state=idle]")
    page.wait_for_function("() => document.getElementById('tally-noshow').textContent === '1'")


def test_screenshots(live, page):
    """docs/screenshots/counter-*.png (under ``make screenshots``): the panel mid-service and the admin pages."""
    live.add_user("siti", PASSWORD, counters=("L01", "L02"))
    for svc, prio in [("PERIZINAN", False), ("NONIZIN", False), ("PERIZINAN", False), ("NONIZIN", True),
                      ("PERIZINAN", False), ("NONIZIN", False), ("PERIZINAN", False)]:
        issue(live, svc, prio)
    sign_in(page, live, "siti")
    panel_ready(page)
    for key, state in (("n", "called"), ("s", "serving"), ("f", "idle"), ("n", "called"), ("s", "serving")):
        page.keyboard.press(key)  # the next key acts on the state this one produced
        page.wait_for_selector(f"#panel[data-state={state}]:not(.busy)")
    issue(live, "PERIZINAN", True)  # a priority visitor arrives while the clerk serves
    page.wait_for_selector("#queue-list .qi-priority")
    screenshot(page, "counter-panel.png", settle_ms=2200)  # past the new arrival's highlight
    page.keyboard.press("t")
    page.wait_for_selector("#transfer-dialog[open]")
    screenshot(page, "counter-transfer.png")
    page.keyboard.press("Escape")

    admin = page.context.browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID").new_page()
    try:
        sign_in(admin, live, "admin", live.admin_password, target="/admin/users")
        admin.fill("#create-user input[name=username]", "budi")
        admin.fill("#create-user input[name=full_name]", "Budi Santoso")
        admin.fill("#create-user input[name=password]", PASSWORD)
        admin.check("#create-user input[value=L03]")
        admin.click("#create-user button[type=submit]")
        admin.wait_for_selector(".flash-ok")
        screenshot(admin, "counter-admin-users.png", full_page=True)
        admin.goto(live.url + "/admin/services")
        admin.fill("tr[data-service=HALAL] input[name=reason]", "Sistem SIHALAL pusat sedang gangguan")
        admin.click("tr[data-service=HALAL] button")
        admin.wait_for_selector("tr[data-service=HALAL] .tag.closed")
        screenshot(admin, "counter-admin-services.png", full_page=True)
        tiles = {s["code"]: s for s in requests.get(live.url + "/api/services", timeout=5).json()}
        assert tiles["HALAL"]["open"] is False and "SIHALAL" in tiles["HALAL"]["closed_message"]
        admin.goto(live.url + "/admin/display")
        admin.fill("textarea[name=running_text]", "Selamat datang di MPP Kota Cilegon. Layanan buka 08.00-15.00 WIB.")
        admin.click("#running-text button[type=submit]")
        admin.wait_for_selector(".flash-ok")
        board = requests.get(live.url + "/api/display", timeout=5).json()
        assert board["running_text"].startswith("Selamat datang di MPP Kota Cilegon")
        admin.goto(live.url + "/admin/audit")
        assert admin.locator("#audit tbody tr").count() == 3
        screenshot(admin, "counter-admin-audit.png", full_page=True)
    finally:
        admin.context.close()
    assert page.js_errors == []


def test_clerk_reprints_the_current_ticket_by_its_number(live, page):
    """The panel never holds the visitor's token: reprint goes by number at this counter."""
    live.add_user("siti", PASSWORD, counters=("L01",))
    resp = requests.post(live.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K2"},
                         headers=live.kiosk_headers("K2"), timeout=5)  # K2 prints on p1
    resp.raise_for_status()
    number = resp.json()["number"]
    sign_in(page, live, "siti")
    panel_ready(page)
    page.click("button[data-action=call-next]")
    page.wait_for_selector("#panel[data-state=called]")
    page.click("button[data-action=reprint]")
    deadline = time.monotonic() + 10
    while "dicetak ulang" not in page.inner_text("#msg") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.inner_text("#msg") == f"Tiket {number} dicetak ulang."
    assert page.js_errors == []


def test_the_panel_closes_when_the_clerk_is_disabled(live, page):
    """Access ends everywhere at once: the open panel's socket is closed and the panel shows the sign-in page."""
    live.add_user("siti", PASSWORD, counters=("L01",))
    sign_in(page, live, "siti")
    panel_ready(page)
    admin = live.token()
    assert requests.post(live.url + "/api/admin/users/siti/disable", headers=admin, timeout=5).status_code == 200
    page.wait_for_url("**/login?next=*", timeout=10000)
    assert page.locator("input[name=username]").is_visible()
