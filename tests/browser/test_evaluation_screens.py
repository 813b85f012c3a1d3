"""What an MPP is judged on, in Debian's Chromium against the demo site: a visitor reads a service's standard at the
kiosk without taking a ticket; a complaint sent from the phone page is answered by the agency's manager in the
inbox and the visitor sees the answer on the complaint's link; /ikm publishes the survey with a follow-up action.

Screenshots (docs/screenshots/, only under ``make screenshots``): kiosk-standard.png, complaint-inbox.png,
complaint-followed.png, ikm-public.png.
"""

from __future__ import annotations

import pytest
import requests

from printers.fakeserver import FakeNetworkPrinter

from ..helpers import demo_config, enrol_kiosk_browser, new_page, screenshot, sign_in, wait_js
from ..livesite import LiveServer

pytestmark = pytest.mark.slow

PASSWORD = "kata-sandi-manajer-1"
PUBLIC_NAMES = ["Persyaratan", "Sistem, Mekanisme, dan Prosedur", "Jangka Waktu Pelayanan", "Biaya/Tarif",
                "Produk Pelayanan", "Penanganan Pengaduan, Saran, dan Masukan"]


@pytest.fixture(scope="module")
def fake_printer():
    printer = FakeNetworkPrinter(port=0).start()
    yield printer
    printer.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, fake_printer):
    server = LiveServer(tmp_path_factory.mktemp("demo"), config_text=demo_config(fake_printer.port)).start()
    yield server
    server.stop()


def waiting(server, service: str) -> int:
    rows = requests.get(f"{server.url}/api/services", timeout=5).json()
    return next(s["waiting"] for s in rows if s["code"] == service)


def manager(server, username: str, agency: str) -> dict:
    body = {"username": username, "role": "manager", "password": PASSWORD, "full_name": "Hayati Nufus",
            "agency": agency}
    resp = requests.post(f"{server.url}/api/admin/users", json=body, headers=server.token(), timeout=5)
    assert resp.status_code in (201, 422), resp.text  # 422: made by an earlier test of this module
    return server.token(username, PASSWORD)


def test_a_standard_is_read_at_the_kiosk_without_taking_a_ticket(browser, demo, fake_printer):
    page = new_page(browser, width=1920, height=1080, touch=True)
    try:
        enrol_kiosk_browser(page.context, demo, "K1")
        page.goto(f"{demo.url}/kiosk/K1")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector(".tile-info[data-standard='PERIZINAN']")
        # every service of the demo publishes a standard: every tile has its info button
        assert page.locator(".tile-info").count() == page.locator(".tile").count() == 17
        before, slips = waiting(demo, "PERIZINAN"), len(fake_printer.jobs)
        page.tap(".tile-info[data-standard='PERIZINAN']")
        page.wait_for_selector("#k-standard:not([hidden])")
        assert page.inner_text("#k-standard-name") == "Perizinan Berusaha"
        assert page.locator("#k-standard-list dt").all_inner_texts() == PUBLIC_NAMES
        assert "KTP-el pemohon atau penanggung jawab usaha" in page.inner_text("#k-standard-list")
        assert "Dasar Hukum" not in page.inner_text("#k-standard")  # management components are for staff
        # large and readable: the component text is at least 2.5 % of the screen's short side
        size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('#k-standard-list dd')).fontSize)")
        assert size >= 27, size
        screenshot(page, "kiosk-standard.png")
        page.tap("#k-standard-close")
        page.wait_for_selector("#k-standard", state="hidden")
        assert page.is_hidden("#confirm")
        assert waiting(demo, "PERIZINAN") == before and len(fake_printer.jobs) == slips, "reading took a ticket"
        # in English too, and Escape closes it
        page.tap("#lang-toggle")
        page.tap(".tile-info[data-standard='HALAL']")
        page.wait_for_selector("#k-standard:not([hidden])")
        assert page.locator("#k-standard-list dt").first.inner_text() == "Requirements"
        assert page.inner_text("#k-standard-close") == "Close"
        page.keyboard.press("Escape")
        page.wait_for_selector("#k-standard", state="hidden")
        assert waiting(demo, "HALAL") == 0
        # the view's own button takes the ticket, as a tap on the tile does
        page.tap(".tile-info[data-standard='PERIZINAN']")
        page.tap("#k-standard-take")
        page.wait_for_selector("#confirm:not([hidden])")
        assert page.inner_text("#c-number").startswith("A-")
        assert waiting(demo, "PERIZINAN") == before + 1
        assert page.js_errors == []
    finally:
        page.context.close()


def test_a_complaint_from_the_phone_page_is_answered_in_the_inbox_and_seen_by_the_visitor(browser, demo):
    ticket = requests.post(f"{demo.url}/api/tickets", json={"service": "PBG", "kiosk": "K1"},
                           headers=demo.kiosk_headers("K1"), timeout=5).json()
    for text, service in (("Berkas saya dinyatakan kurang padahal sudah lengkap sesuai daftar.", "PBG"),
                          ("Mohon tambah kursi di ruang tunggu lantai 2.", None)):
        body = {"text": text, **({"service": service} if service else {})}
        assert requests.post(f"{demo.url}/api/complaints", json=body, timeout=5).status_code == 201
    phone = new_page(browser, width=390, height=844, touch=True, mobile=True)
    desk = new_page(browser, width=1366, height=900)
    try:
        phone.goto(f"{demo.url}/t/{ticket['token']}")
        phone.wait_for_selector("#tk-complaint[data-ready='1']")
        assert "Persyaratan" in phone.inner_text("#tk-standard")  # the service's standard, one tap away
        phone.tap("#tk-complaint-open")
        phone.fill("#tkc-text", "Antrean PBG lebih dari dua jam, petugas tidak memberi penjelasan.")
        phone.fill("#tkc-phone", "0812-3456-7890")
        phone.tap("#tkc-send")
        phone.wait_for_selector(".tk-complaint-sent")
        sent = phone.inner_text(".tk-complaint-sent")
        reference = sent.split()[1]
        assert reference.startswith("ADU-")
        link = phone.get_attribute(".tk-complaint-link", "href")
        assert link.startswith("/pengaduan/")

        # the agency's manager answers in the inbox (DPUPR runs PBG)
        manager(demo, "kabid-dpupr", "DPUPR")
        sign_in(desk, demo, "kabid-dpupr", "/dashboard/complaints", password=PASSWORD)
        desk.wait_for_selector("body[data-ready='1']")  # the answer forms are wired: a tap is not a plain GET
        card = desk.locator(f"details[data-reference='{reference}']")
        assert "Antrean PBG lebih dari dua jam" in card.inner_text()
        assert desk.locator("details.cmp").count() == 2  # the PBG complaints, not the general one
        card.locator("summary").click()
        assert "6281234567890" in card.locator(".cmp-contact").inner_text()
        card.locator("textarea[name=text]").fill(
            "Mohon maaf. Mulai besok loket 6 dibuka khusus PBG pada jam sibuk; berkas Anda sudah kami proses.")
        card.locator("select[name=status]").select_option("resolved")
        card.locator("input[name=lapor]").fill("LAP-5512345")
        card.locator("button[type=submit]").click()
        desk.wait_for_selector(f"details[data-reference='{reference}'][data-status='resolved'][open]")
        screenshot(desk, "complaint-inbox.png", full_page=True)

        # the visitor opens the link the phone page keeps, and reads the answer
        phone.reload()
        phone.wait_for_selector("#tk-complaint[data-ready='1']")
        phone.tap(".tk-complaint-link")
        phone.wait_for_selector("#complaint[data-status='resolved']")
        page_text = phone.inner_text("#complaint")
        assert "loket 6 dibuka khusus PBG" in page_text and "LAP-5512345" in page_text
        assert "Selesai" in phone.inner_text("#c-status")
        assert "6281234567890" not in phone.content()
        screenshot(phone, "complaint-followed.png", full_page=True)
        assert phone.js_errors == [] and desk.js_errors == []
    finally:
        phone.context.close()
        desk.context.close()


def test_ikm_is_published_with_a_follow_up_action(browser, demo):
    clerk_password = "kata-sandi-loket-1"
    demo.add_user("loket-l07", clerk_password, role="clerk", counters=("L07",))
    clerk = demo.token("loket-l07", clerk_password)
    for scores in ([4, 3, 2, 4, 3, 4, 4, 3, 3], [3, 3, 2, 4, 3, 4, 4, 2, 3]):
        ticket = requests.post(f"{demo.url}/api/tickets", json={"service": "PROTEKSI", "kiosk": "K1"},
                               headers=demo.kiosk_headers("K1"), timeout=5).json()
        requests.post(f"{demo.url}/api/counters/L07/call-next", json={"finish_current": True}, headers=clerk,
                      timeout=5).raise_for_status()
        requests.post(f"{demo.url}/api/counters/L07/finish", json={}, headers=clerk, timeout=5).raise_for_status()
        answers = {f"U{i}": s for i, s in enumerate(scores, start=1)}
        requests.post(f"{demo.url}/api/tickets/{ticket['token']}/survey", timeout=5,
                      json={"answers": answers, "comment": "Petugas Andi kurang ramah"}).raise_for_status()
    month = requests.get(f"{demo.url}/api/public/ikm", timeout=5).json()["periods"][0]["period"]
    damkar = manager(demo, "kabid-damkar", "DAMKAR")
    action = requests.post(f"{demo.url}/api/stats/ikm/actions", headers=damkar, timeout=5, json={
        "period": month, "unsur": "U3", "action": "Jadwal pemeriksaan lapangan diumumkan saat berkas diterima",
        "owner": "Kasi Pencegahan Damkar", "due": "2027-01-29"}).json()
    requests.patch(f"{demo.url}/api/stats/ikm/actions/{action['id']}", headers=damkar, timeout=5,
                   json={"status": "in_progress"}).raise_for_status()
    page = new_page(browser, width=1280, height=900)
    try:
        page.goto(f"{demo.url}/ikm")
        current = page.locator(f"section[data-period='{month}']")
        assert current.locator("[data-ikm]").inner_text() != "—"
        row = current.locator("table.pub-actions tbody tr")
        assert row.count() == 1 and row.first.get_attribute("data-status") == "in_progress"
        assert "Jadwal pemeriksaan lapangan" in row.first.inner_text()
        assert "Dalam proses" in row.first.inner_text()
        assert "DAMKAR" in current.inner_text()
        content = page.content()
        assert "Andi" not in content and "Kasi Pencegahan" not in content  # never a comment, never who
        screenshot(page, "ikm-public.png", full_page=True)
        page.click("#pub-lang")
        page.wait_for_url("**/ikm?lang=en")
        assert "In progress" in page.locator(f"section[data-period='{month}'] table.pub-actions").inner_text()
        assert page.js_errors == []
    finally:
        page.context.close()


def test_the_dashboards_follow_up_form_plans_and_closes_an_action(browser, demo):
    manager(demo, "kabid-dlh", "DLH")
    page = new_page(browser, width=1366, height=900)
    try:
        sign_in(page, demo, "kabid-dlh", "/dashboard/ikm", password=PASSWORD)
        page.wait_for_selector("body[data-ready='1']")  # the forms are wired: a tap is not a plain GET
        form = page.locator("#ikm-action-form")
        if not form.is_visible():
            page.click(".act-add summary")
        form.locator("select[name=unsur]").select_option("U9")
        form.locator("input[name=action]").fill("Perbaiki pendingin ruang tunggu")
        form.locator("input[name=owner]").fill("Sekretaris DLH")
        form.locator("input[name=due]").fill("2027-02-15")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#ikm-action-list tr[data-status='planned']")
        page.wait_for_selector("body[data-ready='1']")  # the reloaded page's forms are wired too
        row = page.locator("#ikm-action-list tr[data-status='planned']")
        assert "Perbaiki pendingin ruang tunggu" in row.inner_text() and "DLH" in row.inner_text()
        row.locator("input[name=evidence]").fill("BAST perbaikan AC No. 3")
        row.locator("button[value=done]").click()
        page.wait_for_selector("#ikm-action-list tr[data-status='done']")
        assert "BAST perbaikan AC No. 3" in page.inner_text("#ikm-action-list")
        assert page.js_errors == []
    finally:
        page.context.close()


def test_the_maklumat_loops_on_the_hall_display_without_a_media_folder(browser, demo):
    page = new_page(browser, width=1920, height=1080)
    try:
        page.goto(f"{demo.url}/display")
        wait_js(page, "window.__display && window.__display.media.state.shown === 'notice:Maklumat Pelayanan'")
        slide = page.locator("#media .dsp-notice")
        assert slide.locator("h3").inner_text() == "Maklumat Pelayanan"
        assert slide.locator("p").inner_text().startswith("Dengan ini, kami menyatakan sanggup")
        assert page.is_visible("#media")
        assert page.js_errors == []
    finally:
        page.context.close()
