"""A closed WebSocket leaves no error in the server log and closes at once (issue 15, item 3).

Under gevent's pywsgi a finished WebSocket used to be read as the next keep-alive HTTP request: the
client's close frame became ``Invalid HTTP method: '\\x88\\x82...'`` in the log and the client waited
about 3 s for the TCP close.
"""

from __future__ import annotations

import time

import pytest
import websocket

from tests.livesite import LiveServer

pytestmark = pytest.mark.slow


def test_closed_websocket_logs_no_error_and_closes_within_100_ms(tmp_path):
    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_ASYNC_MODE": "gevent"}).start()
    try:
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        durations = []
        for _ in range(3):
            ws = websocket.create_connection(url, timeout=5)
            assert ws.recv().startswith("0")  # engine.io open packet
            ws.send("40/display,")  # join the /display namespace like a hall display
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # until the namespace answered (connect ack)
                if ws.recv().startswith("40/display"):
                    break
            t0 = time.monotonic()
            ws.close(timeout=5)  # sends the close frame and waits for the server's, then the TCP close
            durations.append(time.monotonic() - t0)
        time.sleep(0.3)  # let the server write whatever it would log about those connections
        log = server.log()
        assert "Invalid HTTP method" not in log, log[-2000:]
        assert "Traceback" not in log, log[-2000:]
        assert max(durations) < 0.1, durations
    finally:
        server.stop()
