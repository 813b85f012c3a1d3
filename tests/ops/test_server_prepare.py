"""What `mpp-queue serve` and the gunicorn worker do to an app before serving (queue_app/ops/server.py)."""

from __future__ import annotations

import gc

from queue_app.ops.server import NoWebSocketCompression, prepare


def _collected(obj: object) -> bool:
    """Whether a full collection walks ``obj`` (frozen objects are in none of the three generations)."""
    return any(o is obj for o in gc.get_objects())


def test_prepare_declines_compression_and_freezes_what_startup_built(app):
    import gevent

    assert _collected(app)
    tracked = gevent.config.track_greenlet_tree
    try:
        prepare(app)
        assert isinstance(app.wsgi_app, NoWebSocketCompression)
        assert gevent.config.track_greenlet_tree is False  # no spawner stack kept per greenlet (per socket)
        # the app and what it holds left the collector's generations: a full collection no longer walks them
        assert not _collected(app) and not _collected(app.extensions)
        assert _collected([])  # while what is made afterwards is collected as usual
        prepare(app)  # prepared twice (serve after the CLI): wrapped once
        assert not isinstance(app.wsgi_app.wsgi_app, NoWebSocketCompression)
    finally:
        gc.unfreeze()  # the next tests' apps are collected as usual
        gevent.config.track_greenlet_tree = tracked
