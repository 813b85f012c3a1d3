"""Shared fixtures: a small test site, an app on SQLite (or PostgreSQL too, for modules marked
``both_databases``), clients and factories. Helpers that tests import by name live in tests/helpers.py."""

from __future__ import annotations

import os
import shutil

import pytest

from printers.fakeserver import FakeNetworkPrinter
from queue_app.core.extensions import db, socketio

from .helpers import CHROMIUM, CHROMIUM_ARGS, Staff, built_app, make_site, service_url

DATABASES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc):
    # a module (or test) marked ``both_databases`` runs every test that builds the app on each database
    if "db_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("db_kind", DATABASES, indirect=True)


#: modules whose server processes talk through Redis pub/sub, which every Redis database shares: under
#: pytest-xdist they run on one worker (one xdist group), never beside each other
SHARED_REDIS = {"test_multiprocess.py", "test_nginx.py", "test_security_multiprocess.py", "test_security_access.py",
                "test_faults.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in SHARED_REDIS or "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("redis"))
    # tests that stop the machine's PostgreSQL or Redis never run by accident on a shared machine
    if os.environ.get("MPP_QUEUE_TEST_MAY_STOP_SERVICES") == "1":
        return
    skip = pytest.mark.skip(reason="stops the machine's PostgreSQL/Redis: set MPP_QUEUE_TEST_MAY_STOP_SERVICES=1 "
                                   "(.ci/run does) on a machine nobody else uses")
    for item in items:
        if item.get_closest_marker("stops_services"):
            item.add_marker(skip)


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
def fake_printer():
    """A network ticket printer on a free port, recording every job (``printers/fakeserver.py``)."""
    printer = FakeNetworkPrinter("127.0.0.1", 0).start()
    try:
        yield printer
    finally:
        printer.stop()


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path)


@pytest.fixture
def db_kind(request) -> str:
    """``sqlite`` unless the module is marked ``both_databases`` (then each test runs on both)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def db_url(request, db_kind, tmp_path) -> str:
    if db_kind == "postgres":
        return request.getfixturevalue("pg_url")  # skips without a URL, fails under CI
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(site, db_url):
    with built_app(site, db_url) as app:
        yield app


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
