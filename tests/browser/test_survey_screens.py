"""The survey screens in Chromium: the phone page turns into the survey once the visit is finished, and the
counter tablet offers it right after the clerk finishes."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import requests

from ..helpers import screenshot
from ..livesite import call_next, issue


@pytest.fixture
def small_phone(browser):
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="id-ID", timezone_id="Asia/Jakarta")
    page = ctx.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    ctx.close()


def ikm_today(live, headers) -> dict:
    r = requests.get(live.url + "/api/stats/ikm", headers=headers, timeout=5)
    r.raise_for_status()
    return r.json()


def test_the_phone_turns_into_the_survey_when_the_visit_is_done(small_phone, live):
    phone = small_phone
    headers = live.token()
    mine = issue(live)
    phone.goto(live.url + urlsplit(mine["track_url"]).path)
    phone.wait_for_selector("#ticket[data-state=live]", timeout=10_000)
    call_next(live, headers)
    phone.wait_for_selector("#tk-call:not([hidden])", timeout=5000)
    assert phone.is_hidden("#survey")

    start = time.monotonic()
    assert requests.post(f"{live.url}/api/counters/L01/finish", headers=headers, timeout=5).status_code == 200
    phone.wait_for_selector("#survey[data-step=intro] #sv-start", timeout=1000)
    assert time.monotonic() - start < 1.0
    screenshot(phone, "survey-phone-intro.png")
    phone.tap("#sv-start")
    for i, value in enumerate([4, 3, 3, 2, 4, 4, 4, 3, 3], start=1):
        phone.wait_for_selector(f"#survey[data-step=U{i}]")
        button = phone.locator(f"#survey .sv-option[data-value='{value}']")
        box = button.bounding_box()
        assert box["height"] >= 96 and box["width"] >= 120  # two per row, each far above a 48 px thumb target
        assert box["y"] + box["height"] <= 640  # every option fits without scrolling
        if i == 3:
            assert [o.strip() for o in phone.locator("#survey .sv-option-label").all_text_contents()] == [
                "Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"]
            screenshot(phone, "survey-phone-question.png")
        button.tap()
    phone.wait_for_selector("#survey[data-step=profile]")
    phone.tap("[data-gender=P]")
    phone.fill("#sv-age", "34")
    phone.select_option("#sv-education", "D4/S1")
    phone.fill("#sv-comment", "Petugas ramah, antrean cepat")
    phone.tap("#sv-send")
    phone.wait_for_selector("#survey[data-step=thanks][data-outcome=sent]", timeout=5000)
    assert phone.text_content("#sv-thanks") == "Terima kasih!"
    assert phone.js_errors == []

    ikm = ikm_today(live, headers)
    # one respondent: NRR = the answers; Σ = 4+3+3+2+4+4+4+3+3 = 30; IKM = 30 / 9 × 25 = 83.33 → B
    assert ikm["respondents"] == 1 and abs(ikm["ikm"] - 83.33) < 0.01 and ikm["grade"] == "B"
    # reopening the page later: the survey is answered, the page stays the ticket
    phone.reload()
    phone.wait_for_selector("#ticket[data-state=live]")
    phone.wait_for_timeout(300)
    assert phone.is_hidden("#survey")


def test_the_counter_tablet_offers_the_survey_after_the_clerk_finishes(browser, live):
    """An admin enrols the tablet (Admin → Tablets, signed out there: no staff session faces visitors); it
    offers the survey right after the clerk finishes; revoking its key takes it off the air at once."""
    from ..helpers import new_page, sign_in

    headers = live.token()
    tablet = new_page(browser, width=1024, height=768, touch=True)
    sign_in(tablet, live, "admin", "/admin/tablets", password=live.admin_password)
    tablet.click("button[data-enrol='L01']")
    tablet.wait_for_url(f"{live.url}/survey/L01")
    tablet.wait_for_selector("#tablet[data-state=idle][data-live=live]", timeout=10_000)
    assert requests.get(f"{live.url}/api/me", cookies={c["name"]: c["value"] for c in tablet.context.cookies()},
                        timeout=5).status_code == 401
    assert tablet.is_visible("#tb-idle")
    screenshot(tablet, "survey-tablet-idle.png")

    mine = issue(live)
    call_next(live, headers)
    start = time.monotonic()
    requests.post(f"{live.url}/api/counters/L01/finish", headers=headers, timeout=5).raise_for_status()
    tablet.wait_for_selector("#survey[data-step=U1]", timeout=2000)
    assert time.monotonic() - start < 2.0
    assert mine["number"] in tablet.text_content("#survey .sv-sub")
    screenshot(tablet, "survey-tablet-question.png")
    for i in range(1, 10):
        tablet.wait_for_selector(f"#survey[data-step=U{i}]")
        tablet.locator("#survey .sv-option[data-value='4']").tap()
    tablet.wait_for_selector("#survey[data-step=profile]")
    tablet.tap("#sv-send")
    tablet.wait_for_selector("#survey[data-step=thanks][data-outcome=sent]", timeout=5000)
    tablet.wait_for_selector("#tablet[data-state=idle]", timeout=15_000)  # back to the idle screen
    assert tablet.js_errors == []
    ikm = ikm_today(live, headers)
    assert ikm["respondents"] == 1 and ikm["ikm"] == 100.0 and ikm["grade"] == "A"
    # the visitor's own page now says it was answered (one answer per ticket, whichever way it came)
    r = requests.get(f"{live.url}/api/tickets/{mine['token']}/survey", timeout=5)
    assert r.json()["state"] == "answered"

    # a lost tablet: the admin revokes its key elsewhere, and it goes off the air at once
    office = new_page(browser)
    sign_in(office, live, "admin", "/admin/tablets", password=live.admin_password)
    office.click("button[data-revoke='L01']")
    office.wait_for_url(f"{live.url}/admin/tablets")
    tablet.wait_for_selector("#tablet[data-live=offline]", timeout=5000)
    tablet.reload()
    assert "tablet" in tablet.text_content("body").lower()  # the page now says it is not enrolled
