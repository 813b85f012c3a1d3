"""Personal data with an end (UU 27/2022): the registry features record their personal fields in, the daily
purge after ``[privacy] retain_days``, the export and erasure of one phone number, the /privacy page and the
notice every screen that asks for a name or a phone shows (``privacy/notice.html``)."""

from __future__ import annotations

from flask import Flask

from . import (
    strings,  # noqa: F401  (registers the notice's texts)
    tickets,  # noqa: F401  (registers a ticket's phone number: the queue sits below this package)
)


def init_app(app: Flask) -> None:
    """The /privacy page, and ``privacy_retain_days`` for the notice macro of every screen (a global: an
    imported macro sees globals, not the page's context)."""
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["privacy_retain_days"] = app.extensions["site"].privacy.retain_days
