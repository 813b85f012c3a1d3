"""``connect-src 'self'`` in Chromium: the display's and the counter panel's sockets still connect over a
WebSocket to their own server (CSP Level 3's 'self' covers ws: of the page's own origin), and a page can no
longer open one to another host (the old ``ws: wss:`` allowed any)."""

from __future__ import annotations

from ..helpers import PASSWORD, sign_in, wait_js
from ..livesite import call_next, issue


def _socket_frames(page, open_page) -> str:  # noqa: ANN001
    """Open the page and return the URL of its Socket.IO WebSocket once a frame has come through it."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    with page.expect_websocket(lambda ws: "/socket.io/" in ws.url, timeout=10_000) as opened:
        open_page()
    ws = opened.value
    ws.wait_for_event("framereceived", timeout=10_000)  # not merely opened: the server answered through it
    assert not ws.is_closed() and violations == []
    return ws.url


def _blocked_elsewhere(page, live) -> str:  # noqa: ANN001
    """Try a WebSocket to another host from the page; return the URI the CSP reported blocking."""
    other = live.url.replace("127.0.0.1", "127.0.0.2").replace("http:", "ws:")
    page.evaluate("""url => {
        window.__blocked = "";
        document.addEventListener("securitypolicyviolation", e => { window.__blocked = e.blockedURI; });
        try { new WebSocket(url + "/socket.io/?EIO=4&transport=websocket"); } catch (e) { window.__blocked = "threw"; }
    }""", other)
    wait_js(page, "window.__blocked")
    return page.evaluate("window.__blocked")


def test_the_display_socket_connects_over_websocket_and_nowhere_else(page, live):
    url = _socket_frames(page, lambda: page.goto(live.url + "/display?zone=lantai-1"))
    assert url.startswith(live.url.replace("http:", "ws:")) and "transport=websocket" in url
    page.wait_for_selector("#display[data-state=live]", timeout=10_000)
    issue(live)
    ticket = call_next(live, live.token())
    page.wait_for_function("n => document.getElementById('now-number').textContent === n", arg=ticket["number"],
                           timeout=5000)
    assert _blocked_elsewhere(page, live).startswith(("ws://127.0.0.2", "threw"))
    assert page.js_errors == []


def test_the_counter_panel_socket_connects_over_websocket(page, live):
    live.add_user("clerk1", PASSWORD, "clerk", ("L01",))
    url = _socket_frames(page, lambda: sign_in(page, live, "clerk1", "/counter/L01"))
    assert url.startswith(live.url.replace("http:", "ws:")) and "transport=websocket" in url
    assert _blocked_elsewhere(page, live).startswith(("ws://127.0.0.2", "threw"))
    assert page.js_errors == []
