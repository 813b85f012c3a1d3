"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

The session's ``browser`` fixture lives in tests/conftest.py, so browser/ and e2e/ share one Chromium:
Playwright's sync API cannot start twice in one thread.
"""

from __future__ import annotations

import pytest

from ..livesite import LiveServer


def pytest_collection_modifyitems(items):
    # a conftest hook sees the whole session's items: mark only this folder's
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live(tmp_path):
    """A fresh ``mpp-queue serve`` with the small test site; stopped after the test."""
    server = LiveServer(tmp_path / "site").start()
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID",
                                  timezone_id="Asia/Jakarta")
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.js_errors = errors  # tests assert this stays empty
    yield p
    context.close()
