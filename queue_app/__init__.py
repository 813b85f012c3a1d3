"""mpp-queue: the walk-in queue and counter system for Indonesia's public service malls."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask, request

from queue_app.core.config import Config
from queue_app.core.siteconfig import SiteConf, load_site_config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(config_class: type[Config] = Config, *, site: SiteConf | None = None,
               config_path: str | None = None, **overrides: Any) -> Flask:
    """Build the app: settings, site config, extensions, blueprints, error handlers, CLI.

    :param site: a ready site configuration (tests); otherwise config.toml is loaded.
    :param overrides: Flask settings that win over ``config_class`` (tests pass the database URL).
    """
    from queue_app import live, metrics, printing, privacy, survey
    from queue_app.api import bp as api_bp
    from queue_app.api import checks as api_checks
    from queue_app.core import outbox, safejson  # noqa: F401  (outbox registers the after-commit publisher)
    from queue_app.core.database import init_engine
    from queue_app.core.errors import register_error_handlers
    from queue_app.core.extensions import csrf, db, login_manager, socketio
    from queue_app.core.i18n import init_app as init_i18n
    from queue_app.core.limits import init_app as init_limits
    from queue_app.live import direct as live_direct
    from queue_app.live import limits as live_limits
    from queue_app.live.revoke import client_manager
    from queue_app.staff.auth import bp as auth_bp
    from queue_app.staff.password import bp as password_bp

    import_all_models()
    import_all_handlers()

    app = Flask(__name__)
    app.config.from_object(config_class)
    app.config.update(overrides)

    site = site or app.config.get("SITE_CONFIG") or load_site_config(config_path or app.config["SITE_CONFIG_PATH"])
    app.extensions["site"] = site
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = site.database_url
    _prepare_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(site)
    app.config["PERMANENT_SESSION_LIFETIME"] = site.session_idle_minutes * 60
    if site.secure_cookies:  # behind TLS: a cookie must never travel over the guest Wi-Fi in clear
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True

    db.init_app(app)
    init_engine(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    init_limits(app, site.message_queue or None)
    # namespaces must be registered before socketio.init_app: a server that exists already keeps them
    # to itself, and every later app (tests build many) would lack them
    live.init_app(app, site.message_queue or None)
    survey.init_app(app)
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
        from werkzeug.middleware.proxy_fix import ProxyFix

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
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        if request.path.startswith("/static/") or "/static/" in request.path:
            resp.headers.setdefault("Cache-Control", "public, max-age=3600")
        return resp

    return app


def import_all_models() -> None:
    """Register every feature's tables on ``Base.metadata`` (the app, Alembic and tests need them all)."""
    import queue_app.booking.models
    import queue_app.core.models
    import queue_app.printing.models
    import queue_app.queue.counts  # its flush hooks keep queue_counts true wherever tickets change
    import queue_app.queue.models
    import queue_app.staff.models
    import queue_app.survey.models  # noqa: F401


def import_all_handlers() -> None:
    """Register every feature's /api handlers on the API blueprint (before it is registered on an app)."""
    import queue_app.booking.handlers
    import queue_app.printing.handlers
    import queue_app.queue.counter_handlers
    import queue_app.queue.handlers
    import queue_app.staff.admin_handlers
    import queue_app.staff.day_handlers
    import queue_app.staff.handlers
    import queue_app.stats.handlers
    import queue_app.survey.handlers  # noqa: F401


def _register_surfaces(app: Flask) -> None:
    """The one place that knows every screen; surfaces only talk to each other through the core."""
    from admin import bp as admin_bp
    from booking_page import bp as booking_page_bp
    from counter import bp as counter_bp
    from dashboard import bp as dashboard_bp
    from display import bp as display_bp
    from home import bp as home_bp
    from kiosk import bp as kiosk_bp
    from survey_tablet import bp as survey_tablet_bp
    from visitor import bp as visitor_bp

    for bp in (home_bp, kiosk_bp, visitor_bp, display_bp, counter_bp, admin_bp, dashboard_bp, survey_tablet_bp,
               booking_page_bp):
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


def _schema_is_current() -> bool:
    """The database is at the newest migration: its ``alembic_version`` names every head of the migration
    files (read with a regular expression, so a serving process need not import Alembic to know)."""
    import re

    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    from queue_app.core.extensions import db

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in Path(MIGRATIONS_DIR, "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^revision = ['\"]([0-9a-z_]+)['\"]", text, re.M)
        if found is None:
            return False  # a file this check does not understand: let Alembic decide
        revisions.add(found.group(1))
        down = re.search(r"^down_revision = (.+)$", text, re.M)  # None, 'abc' or ('abc', 'def')
        if down is not None:
            parents.update(re.findall(r"['\"]([0-9a-z_]+)['\"]", down.group(1)))
    try:
        current = set(db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no such table yet: a new database
        db.session.rollback()
        return False
    db.session.rollback()
    return bool(current) and current == revisions - parents


def bootstrap(app: Flask, *, migrate_db: bool | None = None) -> Path | None:
    """First-start work of a serving process: migrate, apply config.toml, close yesterday's tickets.

    :return: the 0600 file holding the generated admin password when the site had no users (print its path,
        never the password: a server's standard output ends up in the journal).
    """
    from sqlalchemy.exc import IntegrityError

    from queue_app.booking import operations as booking_operations
    from queue_app.core.apply_config import sync_site
    from queue_app.core.extensions import db
    from queue_app.queue import rollover
    from queue_app.staff.auth import ensure_first_admin

    if migrate_db is None:
        migrate_db = app.config.get("MIGRATE_ON_START", True)
    with app.app_context(), _startup_lock():
        if migrate_db and not _schema_is_current():
            from flask_migrate import upgrade

            use_migrations(app)
            upgrade(directory=MIGRATIONS_DIR)
        sync_site(app.extensions["site"])
        db.session.commit()
        closed = rollover.close_stale_tickets()
        db.session.commit()
        booking_operations.expire_bookings()
        db.session.commit()
        if closed:
            logger.info("Closed %d tickets left waiting from earlier days", closed)
        try:
            password = ensure_first_admin()
            db.session.commit()
        except IntegrityError:  # another worker created it at the same moment
            db.session.rollback()
            password = None
    if password is None:
        return None
    from queue_app.staff.password import write_first_admin_password

    return write_first_admin_password(app.extensions["site"].instance_dir, password)


@contextlib.contextmanager
def _startup_lock():  # noqa: ANN202
    """On PostgreSQL, one starting process at a time migrates and syncs (gunicorn starts several at once).

    SQLite needs nothing: its migrations and sync already run under its single write lock.
    """
    from queue_app.core.extensions import db

    if db.engine.dialect.name != "postgresql":
        yield
        return
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(727010)"))  # an arbitrary, fixed key for mpp-queue
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(727010)"))
            conn.commit()


def _prepare_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def _secret_key(site: SiteConf) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start; shared by every local process."""
    assert site.instance_dir is not None
    path = site.instance_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it and start again") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()
