"""Accessibility, measured: axe-core (WCAG 2.1 A and AA rules) on every screen a visitor sees, in each of
its states, on the demo site in Debian's Chromium. No serious or critical violation may remain.

Adding a screen is one function: decorate it with ``@screen("name", **SIZE)``; it gets a fresh page of that
size and the running ``Hall`` and brings the page into the state to check (waiting for it, never sleeping).
``MPP_QUEUE_AXE_REPORT=FILE`` appends each screen's violations by impact to FILE (one JSON line per screen),
the figures the issue asks for.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import axe_violations, enrol_kiosk_browser, new_page, sign_in, wait_js
from ..livesite import LiveServer
from ..notifydemo import demo_with_gateway

pytestmark = pytest.mark.slow

KIOSK = {"width": 1080, "height": 1920, "touch": True}
PHONE = {"width": 390, "height": 844, "touch": True, "mobile": True}
DISPLAY = {"width": 1920, "height": 1080}
TABLET = {"width": 1024, "height": 768, "touch": True}
DESKTOP = {"width": 1366, "height": 768}
#: what fails the test; "moderate" and "minor" are reported, not fatal
FATAL = ("serious", "critical")


class Hall:
    """The demo site running, with the few staff actions the screens' states need (over the API)."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.url = server.url
        self.admin = server.token()
        self.cleanups: list[Callable[[], object]] = []
        self.users: set[str] = set()
        self.bookings = 0

    def issue(self, service: str = "PERIZINAN", phone: str | None = None) -> dict:
        body = {"service": service, "kiosk": "K1", **({"phone": phone} if phone else {})}
        resp = requests.post(f"{self.url}/api/tickets", json=body, headers=self.server.kiosk_headers("K1"), timeout=5)
        resp.raise_for_status()
        return resp.json()

    def call(self, number: str, counter: str) -> None:
        """Call ``number`` to ``counter`` out of order (its current ticket, if any, finished first)."""
        requests.post(f"{self.url}/api/counters/{counter}/finish", headers=self.admin, timeout=5)
        resp = requests.post(f"{self.url}/api/counters/{counter}/call", json={"number": number},
                             headers=self.admin, timeout=5)
        resp.raise_for_status()

    def finish(self, counter: str) -> None:
        requests.post(f"{self.url}/api/counters/{counter}/finish", headers=self.admin,
                      timeout=5).raise_for_status()

    def book(self, service: str = "PERIZINAN") -> dict:
        """A booking for tomorrow's first slot with a place left."""
        day = (self.server_today() + timedelta(days=1)).isoformat()
        slots = requests.get(f"{self.url}/api/booking/slots?service={service}&date={day}", timeout=5).json()
        start = next(s["start"] for s in slots if s["available"] > 0)
        self.bookings += 1  # one booking per phone, service and day
        resp = requests.post(f"{self.url}/api/bookings", json={
            "service": service, "date": day, "start": start, "phone": f"0812 7000 {self.bookings:04d}"}, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def server_today(self):  # noqa: ANN201
        from datetime import date

        return date.fromisoformat(requests.get(f"{self.url}/api/stats/dashboard", headers=self.admin,
                                               timeout=5).json()["day"])

    def notice(self, service: str, text: str) -> None:
        """Staff's notice to everyone waiting for ``service``."""
        requests.post(f"{self.url}/api/services/{service}/notice", json={"text": text}, headers=self.admin,
                      timeout=5).raise_for_status()

    def close_service(self, code: str, reason: str) -> None:
        requests.post(f"{self.url}/api/admin/services/{code}/close", json={"reason": reason}, headers=self.admin,
                      timeout=5).raise_for_status()
        self.cleanups.append(lambda: requests.post(f"{self.url}/api/admin/services/{code}/open",
                                                   headers=self.admin, timeout=5))


@dataclass
class Screen:
    name: str
    open: Callable[..., None]
    size: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


SCREENS: list[Screen] = []


def screen(name: str, **size):
    """Register a visitor-facing screen state: ``open(page, hall)`` brings a fresh page into it."""
    def register(open_: Callable[..., None]) -> Callable[..., None]:
        SCREENS.append(Screen(name, open_, size or DESKTOP))
        return open_
    return register


# --- the screens ---------------------------------------------------------------------------------------

@screen("start page", **DESKTOP)
def start_page(page, hall):
    page.goto(hall.url + "/")


def open_kiosk(page, hall):
    enrol_kiosk_browser(page.context, hall.server, "K1")
    page.goto(hall.url + "/kiosk/K1")
    page.wait_for_selector("body[data-ready='1']")


@screen("kiosk: service tiles", **KIOSK)
def kiosk_tiles(page, hall):
    open_kiosk(page, hall)


@screen("kiosk: priority chosen", **KIOSK)
def kiosk_priority(page, hall):
    open_kiosk(page, hall)
    page.locator(".prio[data-priority='elderly']").tap()
    page.wait_for_selector(".prio[data-priority='elderly'][aria-checked='true']")


@screen("kiosk: booking code keypad", **KIOSK)
def kiosk_keypad(page, hall):
    open_kiosk(page, hall)
    page.locator("#checkin-open").tap()
    for key in "AB2":
        page.locator(f"#keypad .k-key[data-key='{key}']").tap()
    page.wait_for_selector("#checkin-code:text('AB2')")


def take_at_kiosk(page, service: str) -> None:
    """Touch a tile and skip the phone step (the demo sends WhatsApp notices): the ticket is shown."""
    page.locator(f".tile[data-service='{service}']").tap()
    page.locator("#phone-skip").tap()
    page.locator("#confirm").wait_for(state="visible")


@screen("kiosk: phone number step", **KIOSK)
def kiosk_phone(page, hall):
    open_kiosk(page, hall)
    page.locator(".tile[data-service='NONIZIN']").tap()
    for key in "0812":
        page.locator(f"#phone-keypad .k-key[data-key='{key}']").tap()
    page.wait_for_selector("#phone-number:text('0812')")


@screen("kiosk: phone number step, large text", **KIOSK)
def kiosk_phone_big(page, hall):
    open_kiosk(page, hall)
    page.locator("#big-toggle").tap()
    page.wait_for_selector("body.big")
    page.locator(".tile[data-service='NONIZIN']").tap()
    page.locator("#phone").wait_for(state="visible")


@screen("kiosk: ticket shown", **KIOSK)
def kiosk_ticket(page, hall):
    open_kiosk(page, hall)
    take_at_kiosk(page, "NONIZIN")
    wait_js(page, "document.getElementById('c-qr').complete && document.getElementById('c-qr').naturalWidth > 0")


@screen("kiosk: closed-service dialog", **KIOSK)
def kiosk_closed(page, hall):
    open_kiosk(page, hall)
    # closed after the kiosk read its tiles: the tap meets the refusal, which the kiosk explains (BERKASLH: K1
    # no longer offers LINGKUNGAN, a step of BERKASLH's visits)
    hall.close_service("BERKASLH", "Petugas sedang dinas luar")
    page.locator(".tile[data-service='BERKASLH']").tap()
    page.locator("#phone-skip").tap()  # the phone step comes first: the kiosk did not know it closed
    page.locator("#message").wait_for(state="visible")


@screen("kiosk: large text", **KIOSK)
def kiosk_large_text(page, hall):
    open_kiosk(page, hall)
    page.locator("#big-toggle").tap()
    page.wait_for_selector("body.big")


@screen("kiosk: wheelchair layout, ticket shown", **KIOSK)
def kiosk_low(page, hall):
    open_kiosk(page, hall)
    page.locator("#low-toggle").tap()
    page.wait_for_selector("body.low")
    take_at_kiosk(page, "NONIZIN")


@screen("kiosk: closed tile touched", **KIOSK)
def kiosk_closed_tile(page, hall):
    hall.close_service("IZINSEKOLAH", "Petugas sedang bimbingan teknis")
    open_kiosk(page, hall)
    page.locator(".tile[data-service='IZINSEKOLAH']").tap(force=True)  # aria-disabled: it explains, takes nothing
    page.locator("#message").wait_for(state="visible")


def open_phone(page, hall, ticket):
    page.goto(hall.url + urlsplit(ticket["track_url"]).path)
    page.wait_for_selector("#ticket[data-state=live]")


@screen("phone: waiting", **PHONE)
def phone_waiting(page, hall):
    open_phone(page, hall, hall.issue("KONSULTASI"))


@screen("phone: number given, staff notice shown", **PHONE)
def phone_notice(page, hall):
    open_phone(page, hall, hall.issue("KONSULTASI", phone="0812 7100 0001"))
    page.wait_for_selector("#tk-phone[data-state=set]")
    hall.notice("KONSULTASI", "Konsultasi ditunda 15 menit: petugas sedang rapat singkat.")
    page.wait_for_selector("#tk-notice:not([hidden])")


@screen("phone: large text, staff notice shown", **PHONE)
def phone_big_notice(page, hall):
    open_phone(page, hall, hall.issue("KONSULTASI"))
    page.locator("#tk-big").tap()
    page.wait_for_selector("body.big")
    hall.notice("KONSULTASI", "Konsultasi ditunda 15 menit: petugas sedang rapat singkat.")
    page.wait_for_selector("#tk-notice:not([hidden])")


@screen("phone: called", **PHONE)
def phone_called(page, hall):
    ticket = hall.issue("KONSULTASI")
    open_phone(page, hall, ticket)
    hall.call(ticket["number"], "L04")
    page.wait_for_selector("#tk-call:not([hidden])")


@screen("phone: large text, called", **PHONE)
def phone_big_called(page, hall):
    ticket = hall.issue("KONSULTASI")
    open_phone(page, hall, ticket)
    page.locator("#tk-big").tap()
    page.wait_for_selector("body.big")
    hall.call(ticket["number"], "L04")
    page.wait_for_selector("#tk-call:not([hidden])")


def phone_done(page, hall):
    ticket = hall.issue("PENGADUAN")
    open_phone(page, hall, ticket)
    hall.call(ticket["number"], "L03")
    hall.finish("L03")
    page.wait_for_selector("#survey[data-step=intro]")


@screen("phone: survey offered", **PHONE)
def phone_survey_intro(page, hall):
    phone_done(page, hall)


@screen("phone: survey question", **PHONE)
def phone_survey_question(page, hall):
    phone_done(page, hall)
    page.locator("#sv-start").tap()
    page.wait_for_selector("#survey[data-step=U1]")


@screen("booking page: choosing a slot", **PHONE)
def booking_form(page, hall):
    page.goto(hall.url + "/booking")
    page.select_option("#bk-service", "PERIZINAN")
    page.locator("#bk-days .bk-chip").nth(1).tap()
    page.locator("#bk-slots .bk-slot").first.wait_for()


@screen("booking page: code shown", **PHONE)
def booking_done(page, hall):
    booking_form(page, hall)
    page.locator("#bk-slots .bk-slot:not([disabled])").first.tap()
    page.fill("#bk-phone", "0812 3456 7890")
    page.locator("#bk-submit").tap()
    page.locator("#bk-done").wait_for(state="visible")


@screen("booking manage page", **PHONE)
def booking_manage(page, hall):
    page.goto(hall.url + urlsplit(hall.book()["manage_url"]).path)
    page.wait_for_selector("#bk-cancel")


@screen("display: idle", **DISPLAY)
def display_idle(page, hall):
    page.goto(hall.url + "/display?zone=lantai-2")  # no screen here calls anyone on the second floor
    page.wait_for_selector("#display[data-state=live]")


@screen("display: calling", **DISPLAY)
def display_calling(page, hall):
    page.goto(hall.url + "/display?zone=lantai-1")
    page.wait_for_selector("#display[data-state=live]")
    ticket = hall.issue("PBG")
    hall.call(ticket["number"], "L05")
    page.wait_for_selector(f"#now[data-number='{ticket['number']}']")


@screen("display: staff notice", **DISPLAY)
def display_notice(page, hall):
    page.goto(hall.url + "/display?zone=lantai-2")  # no screen here calls anyone: the media area is not dimmed
    page.wait_for_selector("#display[data-state=live]")
    hall.notice("HALAL", "Pemeriksaan berkas halal dipindah ke Loket 10 mulai pukul 13.00.")
    page.wait_for_selector("#media .dsp-staff-notice")
    wait_js(page, "!window.__display.media.state.paused")


def open_tablet(page, hall):
    """An admin enrols the tablet for L06 (Admin → Tablets): the tablet faces visitors with a device key, no
    staff session."""
    sign_in(page, hall.server, "admin", "/admin/tablets", password=hall.server.admin_password)
    page.click("button[data-enrol='L06']")
    page.wait_for_url(f"{hall.server.url}/survey/L06")
    page.wait_for_selector("#tablet[data-state=idle][data-live=live]")


@screen("counter survey tablet: idle", **TABLET)
def tablet_idle(page, hall):
    open_tablet(page, hall)


@screen("counter survey tablet: question", **TABLET)
def tablet_question(page, hall):
    open_tablet(page, hall)
    ticket = hall.issue("KKPR")
    hall.call(ticket["number"], "L06")
    hall.finish("L06")
    page.wait_for_selector("#survey[data-step=U1]")


# --- the check -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    printer = FakeNetworkPrinter(port=0).start()
    server, gateway = demo_with_gateway(tmp_path_factory.mktemp("a11y"), printer.port,
                                        {"MPP_QUEUE_RATELIMIT_TICKETS": "0", "MPP_QUEUE_RATELIMIT_BOOKINGS": "0"})
    server.start()
    yield Hall(server)
    server.stop()
    gateway.close()
    printer.stop()


def record(name: str, page, violations: list[dict]) -> None:
    """Append the screen's figures to MPP_QUEUE_AXE_REPORT, with axe's best-practice rules (not WCAG, so
    not fatal here) counted apart."""
    path = os.environ.get("MPP_QUEUE_AXE_REPORT")
    if not path:
        return
    advice = axe_violations(page, tags=("best-practice",))

    def figures(found: list[dict]) -> dict:
        return {"impact": dict(Counter(v["impact"] for v in found)),
                "rules": sorted(f"{v['id']} ({v['impact']}, {len(v['nodes'])})" for v in found)}

    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"screen": name, "wcag21aa": figures(violations), "best_practice": figures(advice)},
                             ensure_ascii=False) + "\n")


@pytest.mark.parametrize("state", SCREENS, ids=str)
def test_no_serious_or_critical_accessibility_violation(browser, hall, state):
    size = dict(state.size)
    page = new_page(browser, width=size.pop("width"), height=size.pop("height"), **size)
    try:
        state.open(page, hall)
        violations = axe_violations(page)
        record(state.name, page, violations)
        fatal = [v for v in violations if v["impact"] in FATAL]
        assert not fatal, "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  "
                                    + "\n  ".join(f"{n['target']}: {n['summary']}" for n in v["nodes"][:5])
                                    for v in fatal)
        assert page.js_errors == []
    finally:
        page.context.close()
        while hall.cleanups:
            hall.cleanups.pop()()
