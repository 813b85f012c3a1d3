"""Shared fixtures: a small test site, an app on a temporary SQLite file, clients and factories."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from queue_app import create_app
from queue_app.core import clock
from queue_app.core.config import TestConfig
from queue_app.core.extensions import db, socketio
from queue_app.core.siteconfig import parse_site_config

TEST_SITE = """
[site]
name = "MPP Uji"
timezone = "Asia/Jakarta"
locale = "id"
base_url = "http://mpp.test"

[display]
running_text = "Selamat datang"

[[agencies]]
code = "DPMPTSP"
name = "Dinas Penanaman Modal dan PTSP"

[[agencies]]
code = "DINKOPUKM"
name = "Dinas Koperasi dan UKM"

[[services]]
code = "PERIZINAN"
agency = "DPMPTSP"
name = "Perizinan Berusaha"
prefix = "A"
target_wait_minutes = 15

[[services]]
code = "NONIZIN"
agency = "DPMPTSP"
name = "Non-Perizinan"
prefix = "B"
target_wait_minutes = 10

[[services]]
code = "HALAL"
agency = "DINKOPUKM"
name = "Sertifikasi Halal"
prefix = "P"
daily_quota = 3

[[counters]]
code = "L01"
name = "Loket 1"
zone = "lantai-1"
services = ["PERIZINAN", "NONIZIN"]

[[counters]]
code = "L02"
name = "Loket 2"
zone = "lantai-1"
services = ["NONIZIN", "PERIZINAN"]

[[counters]]
code = "L03"
name = "Loket 3"
zone = "lantai-2"
services = ["HALAL"]

[[printers]]
code = "p1"
kind = "dummy"

[[kiosks]]
code = "K1"

[[kiosks]]
code = "K2"
printer = "p1"
services = ["PERIZINAN", "HALAL"]
"""


def make_site(tmp_path: Path, text: str = TEST_SITE, **site_overrides):
    raw = tomllib.loads(text)
    raw["site"].update(site_overrides)
    return parse_site_config(raw, base_dir=tmp_path)


def service_url(name: str) -> str | None:
    """URL of a real service for tests; under CI a missing one fails instead of skipping."""
    url = os.environ.get(name)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{name} must be set under CI")
    return url


@pytest.fixture
def pg_url() -> str:
    url = service_url("MPP_QUEUE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("MPP_QUEUE_TEST_DATABASE_URL is not set (a real PostgreSQL, e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return url


@pytest.fixture
def redis_url() -> str:
    url = service_url("MPP_QUEUE_TEST_REDIS_URL")
    if not url:
        pytest.skip("MPP_QUEUE_TEST_REDIS_URL is not set (a real Redis, e.g. redis://127.0.0.1:6379/15)")
    return url


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path)


@contextlib.contextmanager
def built_app(site, db_path: Path):
    """An app for ``site`` on a fresh SQLite file, tables created and config.toml applied."""
    from queue_app.core.apply_config import sync_site

    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}", HUB_INLINE_REFRESH=True)
    with app.app_context():
        db.create_all()
        sync_site(site)
        db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        clock.reset()


@pytest.fixture
def app(tmp_path, site):
    with built_app(site, tmp_path / "test.db") as app:
        yield app


PASSWORD = "rahasia-123"


def login(client, username: str, password: str = PASSWORD) -> str:
    """Sign in through the HTML form like a browser; return the CSRF token the panel would use."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.text
    return client.get("/api/me").json["csrf_token"]


@pytest.fixture
def ctx(app):
    """An app context for tests that call engine verbs directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Staff:
    """Create staff users and bearer-token headers for them."""

    def __init__(self, app):
        self.app = app

    def user(self, username: str, role: str = "clerk", counters=(), password: str = "rahasia-123", **kw):
        from queue_app.staff.auth import create_user

        with self.app.app_context():
            create_user(username, role=role, password=password, counters=counters, **kw)
            db.session.commit()
        return username

    def headers(self, username: str, role: str = "clerk", counters=(), **kw) -> dict[str, str]:
        import sqlalchemy as sa

        from queue_app.staff.auth import issue_token
        from queue_app.staff.models import User

        with self.app.app_context():
            exists = db.session.scalar(sa.select(User.id).where(User.username == username))
        if exists is None:
            self.user(username, role, counters, **kw)
        with self.app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == username))
            token, _ = issue_token(user)
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(app):
    return Staff(app)


@pytest.fixture
def clerk(staff):
    """Bearer headers of a clerk assigned to L01 and L02."""
    return staff.headers("clerk1", "clerk", ["L01", "L02"])


@pytest.fixture
def admin(staff):
    return staff.headers("admin1", "admin")


@pytest.fixture
def manager(staff):
    return staff.headers("manager1", "manager")


@pytest.fixture
def display_client(app):
    """A Socket.IO test client on /display (all zones)."""
    c = socketio.test_client(app, namespace="/display")
    yield c
    if c.is_connected("/display"):
        c.disconnect("/display")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is required under CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
