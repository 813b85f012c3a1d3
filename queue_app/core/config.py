"""Flask settings: read from the environment, with safe defaults for the embedded server."""

from __future__ import annotations

import os


class Config:
    #: Set from instance/secret_key (created on first start) unless the environment gives one
    SECRET_KEY = os.environ.get("MPP_QUEUE_SECRET_KEY")
    #: Filled from config.toml (or $MPP_QUEUE_DATABASE_URL) by create_app
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: No pool_pre_ping: a connection is pinged only after it sat idle (queue_app.core.database)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: gevent in production; eventlet is unmaintained and threading cannot hold 1000 sockets
    SOCKETIO_ASYNC_MODE = os.environ.get("MPP_QUEUE_ASYNC_MODE", "gevent")
    MAX_CONTENT_LENGTH = 64 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: The staff panels send the CSRF token in a header; tokens live as long as the session
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    JSON_SORT_KEYS = False
    #: Path of config.toml; None means --config, $MPP_QUEUE_CONFIG or ./config.toml
    SITE_CONFIG_PATH = os.environ.get("MPP_QUEUE_CONFIG")
    #: A ready SiteConf object (tests build one in code)
    SITE_CONFIG = None
    #: Apply config.toml to the database on start (serve does; CLI commands such as db upgrade do not)
    SYNC_SITE_ON_START = True
    #: Run Alembic migrations on start (the embedded server does; tests use create_all)
    MIGRATE_ON_START = True
    #: Rate limits per minute, counted by every process together (queue_app.core.limits); 0 disables.
    #: Tickets per kiosk, and per address for anonymous requests when [site] public_tickets is on
    #: (much tighter: a phone is one visitor); MPP_QUEUE_RATELIMIT_TICKETS=0 turns both off (load tests).
    RATELIMIT_TICKETS_PER_KIOSK = int(os.environ.get("MPP_QUEUE_RATELIMIT_TICKETS", "120"))
    RATELIMIT_TICKETS_PUBLIC = (int(os.environ.get("MPP_QUEUE_RATELIMIT_TICKETS_PUBLIC", "6"))
                                if RATELIMIT_TICKETS_PER_KIOSK else 0)
    #: Joining from afar (no kiosk key): places per address per hour and per phone number per day (a phone
    #: also holds one waiting place per line); lifted with the kiosks' by MPP_QUEUE_RATELIMIT_TICKETS=0
    RATELIMIT_REMOTE_PER_ADDRESS = 10 if RATELIMIT_TICKETS_PER_KIOSK else 0
    RATELIMIT_REMOTE_PER_PHONE = 3 if RATELIMIT_TICKETS_PER_KIOSK else 0
    #: Failed sign-ins per (address, username)
    RATELIMIT_LOGIN = int(os.environ.get("MPP_QUEUE_RATELIMIT_LOGIN", "10"))
    #: Wrong current passwords when changing one's own, per user per 15 minutes
    RATELIMIT_PASSWORD_GUESSES = int(os.environ.get("MPP_QUEUE_RATELIMIT_PASSWORD", "5"))
    #: Online bookings: MPP_QUEUE_RATELIMIT_BOOKINGS=0 turns every limit below off (load tests)
    RATELIMIT_BOOKINGS = os.environ.get("MPP_QUEUE_RATELIMIT_BOOKINGS", "1") != "0"
    RATELIMIT_BOOKINGS_PER_ADDRESS = 20  # per 10 minutes
    RATELIMIT_BOOKINGS_PER_PHONE = 5  # attempts per day
    RATELIMIT_CHECKINS_PER_MINUTE = 30  # per kiosk or desk address: codes are short, guessing must be slow
    #: Complaints (POST /api/complaints) per address per hour; MPP_QUEUE_RATELIMIT_COMPLAINTS=0 turns it off
    RATELIMIT_COMPLAINTS_PER_ADDRESS = int(os.environ.get("MPP_QUEUE_RATELIMIT_COMPLAINTS", "10"))
    #: PostgreSQL: how long an erasure's VACUUM waits for the transactions older than it (queue_app/privacy)
    PRIVACY_VACUUM_WAIT_SECONDS = 30.0
    TESTING = False
    #: Validate every /api answer and every Socket.IO payload against its declared shape (queue_app.api.checks,
    #: queue_app.core.events): on in tests, and in the test suite's servers through the environment
    CHECK_SHAPES = os.environ.get("MPP_QUEUE_CHECK_SHAPES") == "1"


class TestConfig(Config):
    TESTING = True
    CHECK_SHAPES = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SOCKETIO_ASYNC_MODE = "threading"
    MIGRATE_ON_START = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_TICKETS_PER_KIOSK = 0
    RATELIMIT_TICKETS_PUBLIC = 0
    RATELIMIT_REMOTE_PER_ADDRESS = 0
    RATELIMIT_REMOTE_PER_PHONE = 0
    RATELIMIT_LOGIN = 0
    RATELIMIT_PASSWORD_GUESSES = 0
    RATELIMIT_BOOKINGS = False
    RATELIMIT_COMPLAINTS_PER_ADDRESS = 0
    PRIVACY_VACUUM_WAIT_SECONDS = 2.0
    #: fail a test that writes in a transaction that began as a read (see database.py)
    SQLITE_STRICT_WRITES = True
