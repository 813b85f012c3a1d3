"""Helpers shared by the tests: the small test site, an app on a given database, signing in, staff tokens,
Debian's Chromium and its pages, and screenshots that only ``make screenshots`` writes.

Fixtures stay in conftest.py; everything a test module imports by name lives here, so no test imports a conftest.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

import queue_app.factory  # noqa: F401  (registers every table and /api handler)
from queue_app.api.openapi import spec
from queue_app.core import clock
from queue_app.core.config import TestConfig
from queue_app.core.extensions import db
from queue_app.core.siteconfig import parse_site_config
from queue_app.factory import create_app

ROOT = Path(__file__).resolve().parent.parent

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


#: a site whose PBG visits cross agencies (docs/visits.md): building approval at DPUPR, the retribution at its
#: cashier, the document handed over at DPMPTSP; each step has its own counter, in two zones
VISIT_SITE = """
[site]
name = "MPP Uji Rute"
timezone = "Asia/Jakarta"
locale = "id"
base_url = "http://mpp.test"

[[agencies]]
code = "DPMPTSP"
name = "Dinas Penanaman Modal dan PTSP"

[[agencies]]
code = "DPUPR"
name = "Dinas Pekerjaan Umum dan Penataan Ruang"

[[services]]
code = "PBG"
agency = "DPUPR"
name = "Persetujuan Bangunan Gedung"
prefix = "H"
target_wait_minutes = 20
then = ["RETRIBUSI", "SERAH"]

[[services]]
code = "RETRIBUSI"
agency = "DPUPR"
name = "Pembayaran Retribusi PBG"
prefix = "U"
target_wait_minutes = 10

[[services]]
code = "SERAH"
agency = "DPMPTSP"
name = "Pengambilan Dokumen Izin"
prefix = "T"
target_wait_minutes = 10

[[services]]
code = "PERIZINAN"
agency = "DPMPTSP"
name = "Perizinan Berusaha"
prefix = "A"

[[counters]]
code = "L01"
name = "Loket 1"
zone = "lantai-1"
services = ["PBG", "PERIZINAN"]

[[counters]]
code = "L02"
name = "Kasir 1"
zone = "lantai-1"
services = ["RETRIBUSI"]

[[counters]]
code = "L03"
name = "Loket 3"
zone = "lantai-2"
services = ["SERAH"]

[[kiosks]]
code = "K1"
"""


def make_site(tmp_path: Path, text: str = TEST_SITE, **site_overrides):
    raw = tomllib.loads(text)
    raw["site"].update(site_overrides)
    return parse_site_config(raw, base_dir=tmp_path)


def service_url(name: str) -> str | None:
    """URL of a real service for tests; under CI a missing one fails instead of skipping.

    Under pytest-xdist each worker gets its own: the PostgreSQL database ``<name>_gw1`` (created on first use)
    and the Redis database one below the given one per worker (15, 14...), so parallel tests share no rows.
    """
    url = os.environ.get(name)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{name} must be set under CI")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw") or worker == "gw0":
        return url
    n = int(worker[2:])
    if url.startswith("redis"):
        base, _, db_number = url.rpartition("/")
        return f"{base}/{max(0, int(db_number or 0) - n)}"
    return _worker_database(url, worker)


_WORKER_DATABASES: dict[str, str] = {}


def _worker_database(url: str, worker: str) -> str:
    """``…/test`` → ``…/test_gw1``, created (from the server's template) when missing."""
    if url not in _WORKER_DATABASES:
        made = sa.engine.make_url(url)
        name = f"{made.database}_{worker}"
        engine = sa.create_engine(made, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        _WORKER_DATABASES[url] = made.set(database=name).render_as_string(hide_password=False)
    return _WORKER_DATABASES[url]


_PG_SCHEMAS_BUILT: set[str] = set()


def _empty_postgres(url: str) -> None:
    """Give a PostgreSQL test an empty schema cheaply: built once per session with drop_all/create_all (so a
    changed model is never tested against an old table), then emptied per test with DELETE and a restart of
    the id sequences, which takes ~10 ms where TRUNCATE takes ~170 ms and drop/create much more."""
    tables = db.metadata.sorted_tables
    existing = set(sa.inspect(db.engine).get_table_names())
    if url in _PG_SCHEMAS_BUILT and {t.name for t in tables} <= existing:
        try:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # a leaked transaction fails, never hangs
                # counters and tickets point at each other: foreign-key triggers off while emptying (superuser)
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                sequences = conn.execute(sa.text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars().all()
                conn.exec_driver_sql("; ".join([f'DELETE FROM "{t.name}"' for t in tables]
                                               + [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]))
        except sa.exc.ProgrammingError:  # not a superuser: the slower TRUNCATE needs no special right
            with db.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE")
        return
    db.drop_all()
    with db.engine.begin() as conn:  # migrations tests leave it; a stale one makes ``upgrade`` a no-op elsewhere
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()
    _PG_SCHEMAS_BUILT.add(url)


@contextlib.contextmanager
def built_app(site, database: Path | str, **overrides):
    """An app for ``site`` on an empty database, tables created and config.toml applied.

    ``database`` is a SQLite file path or a SQLAlchemy URL (a PostgreSQL one is emptied first); ``overrides``
    are Flask settings (an engine's pool options, say)."""
    from queue_app.core.apply_config import sync_site

    url = str(database) if "://" in str(database) else f"sqlite:///{database}"
    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=url, HUB_INLINE_REFRESH=True, **overrides)
    with app.app_context():
        if url.startswith("postgresql"):
            _empty_postgres(url)
        else:
            db.create_all()
        sync_site(site)
        db.session.commit()
    before = set(threading.enumerate())
    try:
        yield app
    finally:
        _join_new_threads(before)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        clock.reset()


def travel_to_midday(app) -> None:  # noqa: ANN001
    """Move the test clock back to the latest 12:00 of the site's time zone (today's, or yesterday's before
    noon); undone with the app, like any travel.

    For a test that then travels minutes or hours: it stays on one service day whatever time the suite
    runs at (run at 23:55 in Jakarta, a 7-minute travel used to land on the next day, with nobody waiting).
    Never forward: a token or session the test's fixtures made just now would be hours old at once (run at
    00:17, the day's noon was 11 h 43 min ahead, and the clerk's 12-hour token ended during the test).
    """
    from datetime import datetime, timedelta
    from datetime import time as day_time

    tz = app.extensions["site"].tz
    now = clock.utcnow()
    local = now.astimezone(tz)
    day = local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
    clock.travel(datetime.combine(day, day_time(12), tz) - now)


def _join_new_threads(before: set[threading.Thread], budget: float = 2.0) -> None:
    """Let the app's background tasks (a deferred socket disconnect and its handlers' database work) end
    before the engine goes: one still running afterwards would leave a connection for the next test."""
    deadline = time.monotonic() + budget
    for thread in set(threading.enumerate()) - before:
        thread.join(max(0.0, deadline - time.monotonic()))


PASSWORD = "rahasia-123"


def login(client, username: str, password: str = PASSWORD) -> str:
    """Sign in through the HTML form like a browser; return the CSRF token the panel would use."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.text
    return client.get("/api/me").json["csrf_token"]


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


def kiosk_key(app, code: str = "K1") -> str:
    """The key of kiosk ``code`` on ``app``'s site, provisioned once per app like ``mpp-queue kiosk key``
    (a second create_key would end the first, so it is remembered)."""
    from flask import current_app, has_app_context

    from queue_app.staff.devices import create_key

    keys = app.extensions.setdefault("test_kiosk_keys", {})
    if code not in keys:
        # inside a test's own app context requests share its session: write there, or they would not see it
        inside = has_app_context() and current_app._get_current_object() is app
        with contextlib.nullcontext() if inside else app.app_context():
            keys[code] = create_key("kiosk", code)
            db.session.commit()
    return keys[code]


def on_duty(app, *codes: str, hours: float = 48) -> None:
    """Clerks have counters ``codes`` (default: every counter) open, as a clerk's connected panel would: the
    estimates count them (queue_app.queue.presence). Rows of their own (``test:<code>``), kept ``hours``
    from the test clock's now, so a test that travels within the day keeps them."""
    from datetime import timedelta

    from flask import current_app, has_app_context

    from queue_app.core.lookups import get_counter
    from queue_app.core.models import Counter
    from queue_app.queue import presence

    inside = has_app_context() and current_app._get_current_object() is app
    with contextlib.nullcontext() if inside else app.app_context():
        codes = codes or tuple(db.session.scalars(sa.select(Counter.code).where(Counter.active)))
        for code in codes:
            presence.arrive(get_counter(code), f"test:{code}", user_id=None, ttl=timedelta(hours=hours))
        db.session.commit()


def off_duty(app, *codes: str) -> None:
    """Undo :func:`on_duty` for ``codes`` (default: every counter)."""
    from flask import current_app, has_app_context

    from queue_app.core.models import Counter
    from queue_app.queue import presence

    inside = has_app_context() and current_app._get_current_object() is app
    with contextlib.nullcontext() if inside else app.app_context():
        codes = codes or tuple(db.session.scalars(sa.select(Counter.code)))
        for code in codes:
            presence.leave(f"test:{code}")
        db.session.commit()


def kiosk_headers(app, code: str = "K1", **headers: str) -> dict[str, str]:
    """Headers of a kiosk API client: ``X-Kiosk-Key`` (send ``"kiosk": code`` in the body too)."""
    return {"X-Kiosk-Key": kiosk_key(app, code), **headers}


def take_ticket(client, service: str = "PERIZINAN", *, kiosk: str = "K1", headers: dict | None = None, **body):
    """POST /api/tickets the way a real kiosk does: naming itself and sending its key. Returns the response."""
    return client.post("/api/tickets", json={"service": service, "kiosk": kiosk, **body},
                       headers=kiosk_headers(client.application, kiosk, **(headers or {})))


def issued(client, service: str = "PERIZINAN", **kw) -> dict:
    """:func:`take_ticket` that must succeed: the 201's body."""
    resp = take_ticket(client, service, **kw)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def error_of(resp, status: int) -> dict:
    """The contract's error body of ``resp``, which must have ``status``: ``{"code", "message", ...}``."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(True)[:300])
    body = resp.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) and body["error"]["message"], body
    return body["error"]


def enrol_kiosk_browser(context, server, code: str = "K1") -> None:
    """Give a browser context kiosk ``code``'s credential cookie, as Admin → Kiosks does on a kiosk PC (with
    the key from ``mpp-queue kiosk key``, so several contexts of one test can share it; the admin page
    itself is tested in tests/browser/test_kiosk.py)."""
    from queue_app.staff.devices import COOKIE, cookie_value

    context.add_cookies([{"name": COOKIE, "value": cookie_value("kiosk", code, server.kiosk_key(code)),
                          "url": server.url, "httpOnly": True, "sameSite": "Strict"}])


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]



def demo_config(printer_port: int, *, notify: bool = False) -> str:
    """The repository's demo config.toml, open all day (tests run at any hour), kiosk K1 printing to a fake.

    Without ``notify`` its ``[notify]`` sections are left out: the demo's notices go to the fake gateway that
    ``make run`` starts on port 9200, which no test runs, and the kiosk then asks for no phone number after a
    tile (the tests of the phone step and of the notices pass ``notify=True`` or run their own gateway).
    """
    text = (ROOT / "config.toml").read_text()
    if not notify:
        text = re.sub(r"^\[notify(?:\.[a-z.]+)?\][^\n]*\n(?:(?!\[)[^\n]*\n)*", "", text, flags=re.M)
        assert "[notify" not in text, "the demo's [notify] moved; update tests/helpers.py"
    text = re.sub(r'^hours = "[^"]*"\n', "", text, flags=re.M)
    # nor closed on weekends and holidays: tests run any day of the year
    text = re.sub(r'^\[site\.hours\]\n(?:[a-z]{3} = "[^"]*"\n)+', "", text, flags=re.M)
    text = re.sub(r'^\[\[holidays\]\]\ndate = "[^"]*"\nname = "[^"]*"\n', "", text, flags=re.M)
    assert "[site.hours]" not in text and "[[holidays]]" not in text, "the demo calendar moved; update tests/helpers.py"
    text = text.replace("port = 9100", f"port = {printer_port}")
    assert f"port = {printer_port}" in text, "the demo kiosk printer moved; update tests/helpers.py"
    # LiveServer rewrites `base_url = "..."`, a pattern that also matches inside `database_url = "..."`
    return text.replace('database_url = "', 'database_url="')


def new_page(browser, *, width: int = 1366, height: int = 768, touch: bool = False, mobile: bool = False):
    """A page in a fresh context (Indonesian, Jakarta time) that records its JS errors in ``page.js_errors``."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  timezone_id="Asia/Jakarta", has_touch=touch, is_mobile=mobile)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def sign_in(page, server, username: str, target: str, password: str = PASSWORD) -> None:
    """Sign in through the login form that ``target`` redirects to, and land back on ``target``."""
    page.goto(server.url + target)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + target + "*")


def wait_js(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression with evaluate(): wait_for_function needs eval, which some pages' CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def screenshots_dir() -> Path | None:
    """Where screenshots go, or None: only ``make screenshots`` (MPP_QUEUE_SCREENSHOTS) may rewrite the
    tracked docs/screenshots/*.png, so an ordinary test run leaves ``git status`` clean."""
    value = os.environ.get("MPP_QUEUE_SCREENSHOTS", "").strip()
    if not value:
        return None
    folder = ROOT / "docs" / "screenshots" if value.lower() in {"1", "true", "yes"} else ROOT / value
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, name: str, *, settle_ms: int = 0, **kw) -> Path | None:
    """Photograph ``page`` into the screenshots folder when one is asked for; otherwise do nothing.

    ``settle_ms`` lets an animation (a call's flash) finish first; it is only waited when a picture is taken,
    so ordinary runs carry no fixed sleep."""
    folder = screenshots_dir()
    if folder is None:
        return None
    if settle_ms:
        page.wait_for_timeout(settle_ms)
    path = folder / name
    page.screenshot(path=str(path), **kw)
    return path


def api_spec() -> dict:
    """The OpenAPI document without an app: every feature's handlers registered first."""
    return spec()


AXE_SOURCE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
#: what the screens must meet: WCAG 2.1 levels A and AA (axe's rules tagged with these)
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def axe_violations(page, *, tags: tuple[str, ...] = AXE_TAGS) -> list[dict]:
    """Run the vendored axe-core (tests only; never served to visitors) on ``page`` as it is now.

    Returns axe's violations, each ``{"id", "impact", "help", "tags", "nodes": [{"target", "summary"}]}``. The script
    goes in through the DevTools protocol, so the page's ``script-src 'self'`` needs no exception."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, tags: v.tags,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}));
    }""", list(tags))


_CLIPPED_TEXT_JS = """([root, ignore]) => {
  const scope = document.querySelector(root);
  const skip = (node) => ignore.some((sel) => node.closest(sel));
  const visible = (node) => node.checkVisibility({opacityProperty: false, visibilityProperty: true});
  // every element that holds text of its own, as the eye sees it
  const holders = [...scope.querySelectorAll("*")].filter((node) => !skip(node) && visible(node)
      && [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim()));
  const textRects = (node) => {
    const rects = [];
    for (const c of node.childNodes) {
      if (c.nodeType !== 3 || !c.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(c);
      rects.push(...[...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0));
    }
    return rects;
  };
  const name = (node) => node.id ? "#" + node.id : node.tagName.toLowerCase()
      + (node.className && typeof node.className === "string" ? "." + node.className.trim().split(/\\s+/).join(".") : "");
  const path = (node) => [node.closest("[data-service],[data-code],[data-number]"), node]
      .filter(Boolean).map((n) => n === node ? name(n) : name(n) + JSON.stringify(n.dataset)).join(" ");
  const problems = [];
  const boxes = [];
  for (const node of holders) {
    const style = getComputedStyle(node);
    const text = node.textContent.trim().slice(0, 60);
    // a box that hides what does not fit (overflow, an ellipsis) must be big enough for its text; one that
    // lets it spill is judged by where the text lands (below)
    const hides = style.overflowX !== "visible" || style.overflowY !== "visible";
    if (hides && style.display !== "inline" && (node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1)) {
      problems.push(`${path(node)} "${text}" overflows its box: ${node.scrollWidth}x${node.scrollHeight} in ${node.clientWidth}x${node.clientHeight}`);
      continue;
    }
    const rects = textRects(node);
    boxes.push({node, rects, text});
    // cut off by an ancestor that hides its overflow, or by the screen's edge
    for (let up = node.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      const s = getComputedStyle(up);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      const clip = up.getBoundingClientRect();
      // a line's box is taller than its glyphs (ascent and descent of the font): a little of it may
      // stick out above or below without a glyph being cut
      const slack = (r) => Math.max(1, r.height * 0.12);
      const out = rects.find((r) => r.left < clip.left - 1 || r.right > clip.right + 1
          || r.top < clip.top - slack(r) || r.bottom > clip.bottom + slack(r));
      if (out) problems.push(`${path(node)} "${text}" is cut by ${name(up)}: text ${Math.round(out.left)},${Math.round(out.top)}-${Math.round(out.right)},${Math.round(out.bottom)} outside ${Math.round(clip.left)},${Math.round(clip.top)}-${Math.round(clip.right)},${Math.round(clip.bottom)}`);
      if (out) break;
    }
    const out = rects.find((r) => r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1);
    if (out) problems.push(`${path(node)} "${text}" is off the screen`);
  }
  // text of one element drawn over another's (a long name's last line behind "0 menunggu")
  // (two lines set tight touch at their boxes' edges: a quarter of a line is an overlap the eye sees)
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
      && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > Math.max(2, Math.min(a.height, b.height) * 0.25);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.node.contains(b.node) || b.node.contains(a.node)) continue;
      if (a.rects.some((ra) => b.rects.some((rb) => hit(ra, rb)))) {
        problems.push(`${path(a.node)} "${a.text}" overlaps ${path(b.node)} "${b.text}"`);
      }
    }
  }
  return problems;
}"""


def clipped_text(page, root: str = "body", *, ignore: tuple[str, ...] = ()) -> list[str]:
    """Every visible text under ``root`` that does not show whole: larger than its box, cut by an ancestor
    that hides overflow or by the screen's edge, or drawn over another element's text. ``ignore`` holds
    selectors of parts that move on purpose (a scrolling ticker). An empty list means everything reads."""
    return page.evaluate(_CLIPPED_TEXT_JS, [root, list(ignore)])


def tiny_png(path, rgb: tuple[int, int, int], size: int = 8) -> None:
    """A solid-colour PNG written with the standard library (no image package needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def decode_svg_qr(svg: str) -> str | None:
    """Rasterise one of the site's one-path QR SVGs (queue_app.core.qr) and decode it: what a phone would read."""
    import zxingcpp
    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    path = re.search(r'<path fill="#000" d="([^"]*)"', svg).group(1)
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)", path):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    results = zxingcpp.read_barcodes(img)
    return results[0].text if results else None
