"""The booking page of the demo (its PERIZINAN asks a phone number, not a name) shows only the labels of the
fields it asks: `hidden` wins over the sheet's `.bk-label { display: block }`."""

from __future__ import annotations

import pytest

from ..helpers import demo_config, new_page
from ..livesite import LiveServer, free_port

pytestmark = pytest.mark.slow


def test_a_field_not_asked_shows_no_label(browser, tmp_path):
    server = LiveServer(tmp_path / "site", config_text=demo_config(free_port())).start()
    page = new_page(browser, width=390, height=844, touch=True, mobile=True)
    try:
        page.goto(server.url + "/booking")
        page.select_option("#bk-service", "PERIZINAN")
        page.locator("#bk-who").wait_for(state="visible")
        assert page.is_visible("#bk-phone-label") and page.is_visible("#bk-phone")
        assert page.is_hidden("#bk-name-label") and page.is_hidden("#bk-name")  # was an orphan "Nama"
        assert page.locator("#bk-who label:visible").all_text_contents() == ["Nomor HP"]
        assert page.js_errors == []
    finally:
        page.context.close()
        server.stop()
