"""Issue 30's low findings closed, one test each: the database, its journal and the secrets readable by their
owner only; no staff or personal page kept in a cache; sockets only to the site's own origin; the display's
media and voice folders serving nothing a link takes out of them. docs/security.md lists what each defends.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from queue_app.core.extensions import db
from queue_app.factory import create_app
from queue_app.startup import bootstrap

from ..helpers import TEST_SITE, built_app, login, make_site, take_ticket
from ..livesite import LiveServer, issue


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """The usual 022 (files 0644, folders 0755), whatever the test runner's own umask."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# --- files readable by their owner only -----------------------------------------------------------


@pytest.mark.slow
def test_a_serving_process_keeps_its_database_journal_and_secrets_private(tmp_path):
    """``mpp-queue serve`` started as a new user would (umask 022): the database and every file beside it."""
    with umask(0o022):
        server = LiveServer(tmp_path / "site").start()
    try:
        issue(server)  # a write: the WAL and its index exist while the server runs
        instance = tmp_path / "site" / "instance"
        db_file = instance / "queue.db"
        files = [db_file, instance / "queue.db-wal", instance / "queue.db-shm", instance / "secret_key",
                 instance / "queue.db.serving"]
        assert all(f.exists() for f in files), sorted(p.name for p in instance.iterdir())
        assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
        assert oct(_mode(instance)) == "0o700"
        # what the folder holds besides: nothing readable by others either; the processes' shared metric counters
        # (instance/metrics, prometheus_client's files, no secret) sit in a folder only the owner may enter
        assert oct(_mode(instance / "metrics")) == "0o700"
        loose = [p.name for p in instance.rglob("*") if _mode(p) & 0o077 and p.parent.name != "metrics"]
        assert loose == []
    finally:
        server.stop()


def test_files_an_earlier_version_left_readable_are_made_private_at_start(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)
    db_file = instance / "queue.db"
    with umask(0o022):
        old = sqlite3.connect(db_file)  # kept open: its WAL and shared-memory files stay on disk
        old.execute("PRAGMA journal_mode = WAL")
        old.execute("CREATE TABLE t (x)")
        old.execute("INSERT INTO t VALUES (1)")
        old.commit()
        (instance / "secret_key").write_text("k" * 64)
    try:
        side = [instance / "queue.db-wal", instance / "queue.db-shm"]
        assert all(_mode(p) == 0o644 for p in (db_file, *side, instance / "secret_key"))
        (tmp_path / "config.toml").write_text(TEST_SITE + '\n[server]\ndatabase_url = "sqlite:///instance/queue.db"\n')
        app = create_app(config_path=str(tmp_path / "config.toml"))
        assert oct(_mode(instance)) == "0o700"
        assert {p.name: oct(_mode(p)) for p in (db_file, *side, instance / "secret_key")} == {
            p.name: "0o600" for p in (db_file, *side, instance / "secret_key")}
        assert app.config["SECRET_KEY"] == "k" * 64
        with app.app_context():
            db.engine.dispose()
    finally:
        old.close()


def test_a_new_database_and_the_first_password_are_created_private(tmp_path):
    with umask(0o022):
        (tmp_path / "config.toml").write_text(TEST_SITE)  # the default: sqlite:///instance/queue.db
        app = create_app(config_path=str(tmp_path / "config.toml"))
        password_file = bootstrap(app)
    instance = tmp_path / "instance"
    try:
        made = {p.name: oct(_mode(p)) for p in instance.iterdir()}
        assert made["queue.db"] == made["secret_key"] == made["first-admin-password"] == "0o600"
        assert password_file == instance / "first-admin-password"
        assert oct(_mode(instance)) == "0o700"
    finally:
        with app.app_context():
            db.engine.dispose()


# --- Cache-Control -----------------------------------------------------------------------------------

#: values for the URL parameters of the routes (anything else gets "x", which answers 404 — also checked)
FILL = {"code": "L01", "username": "clerk1"}
#: answers that may be cached: static files, the voice, the media loop, a ticket's QR image (private)
CACHEABLE = {"display.audio", "display.media", "kiosk.ticket_qr", "booking_page.booking_qr", "home.favicon",
             "public_pages.ikm_qr", "public_pages.complaint_qr"}


def _get_routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", FILL.get(arg, "x"))
        url = url.replace("<path:", "<").split("<")[0] + ("x" if "<" in url else "")
        routes.append((rule.endpoint, url))
    return sorted(set(routes))


@pytest.mark.parametrize("who", ["admin", "clerk", "anonymous"])
def test_every_page_and_api_answer_is_no_store(app, staff, who):
    """Staff pages, sign-in, the survey tablet, a visitor's ticket, the API: never kept by a browser or proxy
    (the back button on a shared counter PC after sign-out, a proxy between the hall and the server)."""
    client = app.test_client()
    if who != "anonymous":
        staff.user("boss" if who == "admin" else "clerk1", who, ["L01"] if who == "clerk" else ())
        login(client, "boss" if who == "admin" else "clerk1")
    token = take_ticket(app.test_client()).get_json()["token"]
    checked = []
    for endpoint, url in _get_routes(app):
        if endpoint in CACHEABLE:
            continue
        resp = client.get(url.replace("/t/x", f"/t/{token}").replace("/tickets/x", f"/tickets/{token}"))
        checked.append((url, resp.status_code))
        assert "no-store" in resp.headers.get("Cache-Control", ""), (url, resp.status_code, resp.headers)
    pages = [u for u, s in checked if s == 200]
    # the survey tablet's page answers a browser that is not its enrolled tablet too (no-store either way;
    # tests/security/test_security_tablet.py shows the enrolled one)
    assert any(u.startswith("/survey/L01") for u, _ in checked), checked
    for must in ("/login", "/t/"):
        assert any(u.startswith(must) for u in pages), (must, checked)
    if who == "admin":
        assert {"/admin/users", "/admin/audit", "/dashboard/", "/counter/", "/counter/L01"} <= set(pages), checked
    for error in ("/nope", "/admin/users/nobody"):
        assert client.get(error).headers["Cache-Control"] == "no-store"


def test_static_files_keep_a_cache_header_not_no_store(app):
    client = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static"):
            continue
        folder = Path(app.static_folder if rule.endpoint == "static"
                      else app.blueprints[rule.endpoint.split(".")[0]].static_folder)
        first = next(p for p in sorted(folder.rglob("*")) if p.is_file())
        resp = client.get(rule.rule.replace("<path:filename>", first.relative_to(folder).as_posix()))
        assert resp.status_code == 200
        cache = resp.headers.get("Cache-Control", "")
        assert cache and "no-store" not in cache and "private" not in cache, (rule.rule, cache)
        seen += 1
        resp.close()
    assert seen >= 9  # /static/ and every screen's
    chime = client.get("/display/audio/chime.mp3")
    assert chime.headers["Cache-Control"] == "public, max-age=86400"
    chime.close()


# --- Content-Security-Policy ----------------------------------------------------------------------------


def test_pages_may_open_sockets_to_their_own_origin_only(client):
    for url in ("/display?zone=lantai-1", "/kiosk/K1", "/login", "/api/services"):
        header = client.get(url).headers["Content-Security-Policy"]
        directives = {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}
        assert directives["connect-src"] == ["'self'"], header  # no ws: / wss: to any host


# --- the display's media and voice folders -------------------------------------------------------------


@pytest.fixture
def display_site(tmp_path):
    """A site with a media folder and a voice folder, each holding one real file, one link to a file in the
    folder and links out of it (to a file, to a folder's file, dangling)."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.png").write_bytes(b"\x89PNG not for the hall")
    (secret / "tujuh.mp3").write_bytes(b"ID3 someone else's")
    media = tmp_path / "media"
    media.mkdir()
    (media / "01-welcome.png").write_bytes(b"\x89PNG welcome")
    (media / "02-same.png").symlink_to(media / "01-welcome.png")
    (media / "03-escape.png").symlink_to(secret / "secret.png")
    (media / "04-relative.png").symlink_to("../outside/secret.png")
    (media / "05-dangling.png").symlink_to(tmp_path / "gone.png")
    voice = tmp_path / "voice"
    voice.mkdir()
    (voice / "chime.mp3").write_bytes(b"ID3 our chime")
    (voice / "tujuh.mp3").symlink_to(secret / "tujuh.mp3")
    text = TEST_SITE.replace('running_text = "Selamat datang"',
                             'running_text = "Selamat datang"\nmedia_dir = "media"\nvoice_dir = "voice"')
    with built_app(make_site(tmp_path, text), tmp_path / "q.db") as app:
        yield app


def _get(client, url: str) -> tuple[int, bytes]:  # noqa: ANN001
    """Status and body of a GET, the file it streamed closed."""
    resp = client.get(url)
    try:
        return resp.status_code, resp.data
    finally:
        resp.close()


def test_the_media_loop_serves_nothing_a_link_takes_out_of_its_folder(display_site):
    client = display_site.test_client()
    listed = [i["name"] for i in client.get("/display/media.json").get_json()["items"]]
    assert listed == ["01-welcome.png", "02-same.png"]
    assert _get(client, "/display/media/02-same.png") == (200, b"\x89PNG welcome")
    for name in ("03-escape.png", "04-relative.png", "05-dangling.png"):
        status, body = _get(client, f"/display/media/{name}")
        assert status == 404 and b"not for the hall" not in body


def test_the_voice_folder_serves_nothing_a_link_takes_out_of_it(display_site):
    client = display_site.test_client()
    assert _get(client, "/display/audio/chime.mp3") == (200, b"ID3 our chime")
    built_in = (Path(__file__).parents[2] / "display/audio/id/tujuh.mp3").read_bytes()
    assert _get(client, "/display/audio/id/tujuh.mp3") == (200, built_in)  # not the linked file


@pytest.mark.slow
def test_a_live_server_answers_staff_pages_no_store(tmp_path):
    """The same header from a real process (the test client shares the app's hooks, not its server)."""
    server = LiveServer(tmp_path / "site").start()
    try:
        session = requests.Session()
        page = session.get(server.url + "/login", timeout=5)
        assert page.headers["Cache-Control"] == "no-store"
        assert "no-store" not in session.get(server.url + "/static/base.css", timeout=5).headers["Cache-Control"]
    finally:
        server.stop()
