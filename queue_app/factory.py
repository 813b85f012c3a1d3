"""The app factory: the one place that knows every feature and every screen.

``create_app`` builds an app (settings, the site's config.toml, extensions, every feature's ``init_app``, the API
and the screens, error handlers). Importing this module registers every table and every /api handler.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, request
from mpp_queue.admin import bp as admin_bp
from mpp_queue.booking_page import bp as booking_page_bp
from mpp_queue.counter import bp as counter_bp
from mpp_queue.dashboard import bp as dashboard_bp
from mpp_queue.display import bp as display_bp
from mpp_queue.home import bp as home_bp
from mpp_queue.kiosk import bp as kiosk_bp
from mpp_queue.public_pages import bp as public_pages_bp
from mpp_queue.survey_tablet import bp as survey_tablet_bp
from mpp_queue.visitor import bp as visitor_bp
from werkzeug.middleware.proxy_fix import ProxyFix

import queue_app.booking.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.booking.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.complaints.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.complaints.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.core.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.evaluation.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.notify.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.notify.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.printing.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.printing.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.queue.counter_handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.queue.counts  # noqa: F401  (registers its tables or /api handlers)
import queue_app.queue.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.queue.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.queue.notice_handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.staff.admin_handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.staff.day_handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.staff.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.staff.models  # noqa: F401  (registers its tables or /api handlers)
import queue_app.standards.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.stats.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.survey.handlers  # noqa: F401  (registers its tables or /api handlers)
import queue_app.survey.models  # noqa: F401  (registers its tables or /api handlers)
from queue_app import booking, live, metrics, notify, printing, privacy, survey
from queue_app.api import bp as api_bp
from queue_app.api import checks as api_checks
from queue_app.core import safejson
from queue_app.core.config import Config
from queue_app.core.database import init_engine, pool_options
from queue_app.core.errors import register_error_handlers
from queue_app.core.extensions import csrf, db, login_manager, socketio
from queue_app.core.files import prepare_sqlite_file, private_dir, secret_key
from queue_app.core.i18n import init_app as init_i18n
from queue_app.core.limits import init_app as init_limits
from queue_app.core.siteconfig import SiteConf, load_site_config
from queue_app.core.transactions import init_transactions
from queue_app.live import direct as live_direct
from queue_app.live import limits as live_limits
from queue_app.live.revoke import client_manager
from queue_app.staff.password import bp as password_bp
from queue_app.staff.signin import bp as auth_bp

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")



def create_app(config_class: type[Config] = Config, *, site: SiteConf | None = None,
               config_path: str | None = None, **overrides: Any) -> Flask:
    """Build the app: settings, site config, extensions, blueprints, error handlers, CLI.

    :param site: a ready site configuration (tests); otherwise config.toml is loaded.
    :param overrides: Flask settings that win over ``config_class`` (tests pass the database URL).
    """

    app = Flask(__name__)
    app.config.from_object(config_class)
    app.config.update(overrides)

    site = site or app.config.get("SITE_CONFIG") or load_site_config(config_path or app.config["SITE_CONFIG_PATH"])
    app.extensions["site"] = site
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = site.database_url
    private_dir(site.instance_dir)
    prepare_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(site)
    app.config["PERMANENT_SESSION_LIFETIME"] = site.session_idle_minutes * 60
    if site.secure_cookies:  # behind TLS: a cookie must never travel over the guest Wi-Fi in clear
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = pool_options(
        app.config["SQLALCHEMY_DATABASE_URI"], site.database_connections, app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    db.init_app(app)
    init_engine(app)
    init_transactions(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    init_limits(app, site.message_queue or None)
    # namespaces must be registered before socketio.init_app: a server that exists already keeps them
    # to itself, and every later app (tests build many) would lack them
    live.init_app(app, site.message_queue or None)
    survey.init_app(app)
    booking.init_app(app)
    notify.init_app(app)
    printing.init_app(app, site)
    privacy.init_app(app)
    metrics.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        # the manager also ends access: ``access_ended`` to a room disconnects its sockets (live/revoke.py)
        client_manager=client_manager(site.message_queue or None, "mpp-queue"),
        # the hall LAN is one origin; same-origin checks stay on (engineio's default)
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        json=safejson,  # a packet nested too deep is refused like any malformed one, not a RecursionError
    )
    socketio.server.manager.check_shapes = bool(app.config.get("CHECK_SHAPES"))
    app.extensions["sockets_per_address"] = live_limits.install(socketio.server)
    live_direct.install(socketio.server)  # under gevent, emits go straight into idle WebSockets
    if site.trusted_proxies:  # outermost, so Socket.IO requests see the client's address too
        # behind nginx every client would otherwise be nginx's address: one guest's wrong passwords
        # would lock every clerk out, one phone's tickets would spend everybody's budget
        n = site.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    csrf.exempt(api_bp)  # staff_required() applies CSRF to cookie sessions; bearer tokens need none
    app.register_blueprint(api_bp)
    api_checks.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(password_bp)
    _register_surfaces(app)
    register_error_handlers(app)
    init_i18n(app)

    @app.context_processor
    def _site_globals() -> dict[str, Any]:
        return {"site_name": site.name, "site_locale": site.locale, "site_timezone": site.timezone,
                "lang": site.locale}

    @app.after_request
    def _security_headers(resp):  # noqa: ANN001, ANN202
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # connect-src 'self' covers the page's own origin over ws:/wss: too (CSP Level 3, Chromium 89+), so
        # a page's socket can reach its own server and no other: ``ws: wss:`` allowed any host
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        if request.path.startswith("/static/") or "/static/" in request.path:
            resp.headers.setdefault("Cache-Control", "public, max-age=3600")
        else:
            # staff pages, sign-in, a tablet's survey, a visitor's ticket: never kept by a browser or a proxy
            # (the back button after sign-out, a shared counter PC). A route that may be cached says so itself
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    return app


def _register_surfaces(app: Flask) -> None:
    """The one place that knows every screen; surfaces only talk to each other through the core."""
    for bp in (home_bp, kiosk_bp, visitor_bp, display_bp, counter_bp, admin_bp, dashboard_bp, survey_tablet_bp,
               booking_page_bp, public_pages_bp):
        app.register_blueprint(bp)


def use_migrations(app: Flask) -> None:
    """Register Flask-Migrate on ``app``: only where migrations run (the ``db`` commands, a start that
    finds the schema behind, tests). Importing it imports Alembic, ~11 MB a serving process never needs
    again once its schema is current."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from queue_app.core.extensions import db

    Migrate(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
