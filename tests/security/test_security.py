"""Security properties, one test each: headers, no inline code, CSRF, rate limits, secrets kept out of logs,
visitor privacy and role checks on every staff endpoint. docs/security.md lists what these defend.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from queue_app.core.extensions import db
from queue_app.queue import operations

from ..helpers import PASSWORD, api_spec, login, take_ticket

# --- helpers -----------------------------------------------------------------------------------


def _issue(app, service: str = "PERIZINAN", n: int = 1) -> list[tuple[str, str]]:
    """(number, token) of ``n`` fresh tickets."""
    out = []
    with app.app_context():
        for _ in range(n):
            ticket, _ = operations.issue_ticket(service)
            out.append((ticket.number, ticket.token))
        db.session.commit()
    return out


def _signed_in(app, staff, username: str, role: str, counters=()):  # noqa: ANN001, ANN202
    """A test client with a browser session (cookie) of a new user, and its CSRF token."""
    staff.user(username, role, counters)
    client = app.test_client()
    return client, login(client, username)


class _PageScan(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and every form."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_attrs: list[str] = []
        self.forms: list[dict] = []
        self._script: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.handlers += [f"<{tag} {k}=...>" for k in a if k.lower().startswith("on")]
        if "style" in a:
            self.style_attrs.append(f"<{tag} style={a['style']!r}>")
        if tag == "script":
            self._script = {"src": a.get("src"), "type": (a.get("type") or "").lower(), "text": ""}
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "action": a.get("action"),
                               "csrf": False})
        if tag == "input" and a.get("name") == "csrf_token" and self.forms and a.get("value"):
            self.forms[-1]["csrf"] = True

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            s = self._script
            self._script = None
            if not s["src"] and s["text"].strip() and s["type"] not in ("application/json", "application/ld+json"):
                self.inline_scripts.append(s["text"].strip()[:80])


def _scan(html: str) -> _PageScan:
    scan = _PageScan()
    scan.feed(html)
    return scan


def _html_pages(app, token: str) -> list[str]:
    """Every GET page the app renders from a template, with its parameters filled in."""
    fill = {"counter.panel": {"code": "L01"}, "kiosk.kiosk_page": {"code": "K2"},
            "admin.user": {"username": "clerk1"}, "visitor.ticket_page": {"token": token},
            "survey_tablet.tablet": {"code": "L01"}, "booking_page.manage_page": {"token": "no-such-booking"},
            "admin.standard_edit": {"code": "PERIZINAN"}, "public_pages.standard": {"code": "PERIZINAN"},
            "public_pages.complaint_page": {"token": "no-such-complaint"}}
    skip = {"kiosk.ticket_qr", "booking_page.booking_qr", "display.audio", "display.media", "static",
            "public_pages.ikm_qr", "public_pages.complaint_qr"}  # not HTML
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "GET" not in rule.methods or rule.endpoint in skip \
                or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for name, value in fill.get(rule.endpoint, {}).items():
            url = url.replace(f"<{name}>", value)
        assert "<" not in url, f"no parameters known for {rule.rule} ({rule.endpoint}): add them to `fill`"
        urls.append(url)
    # a display for one zone, the English screens, a friendly 404 and the login page with an error
    return sorted(set(urls)) + ["/display?zone=lantai-1", "/kiosk/K1?lang=en", f"/t/{token}?lang=en",
                                "/t/no-such-ticket", "/counter/L01?lang=en", "/dashboard/?lang=en"]


# --- 1. headers ----------------------------------------------------------------------------------


def _csp(resp) -> dict[str, list[str]]:  # noqa: ANN001
    header = resp.headers.get("Content-Security-Policy", "")
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("kind", ["kiosk", "display", "counter", "dashboard", "login", "ticket", "api", "404"])
def test_security_headers_on_every_page_type(app, staff, kind):
    client, _ = _signed_in(app, staff, "boss", "admin")
    (_, token), = _issue(app)
    url = {"kiosk": "/kiosk/K1", "display": "/display?zone=lantai-1", "counter": "/counter/L01",
           "dashboard": "/dashboard/", "login": "/login", "ticket": f"/t/{token}", "api": "/api/services",
           "404": "/t/unknown-token"}[kind]
    resp = client.get(url)
    assert resp.status_code == (404 if kind == "404" else 200), url
    csp = _csp(resp)
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, csp
    assert "*" not in scripts and not any(s.startswith("http") for s in scripts)  # no CDN
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"] and resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "'unsafe-inline'" not in csp.get("style-src", [])


def test_no_page_has_inline_script_handlers_or_style_attributes(app, staff):
    """CSP would block them in the browser: they must not exist, on any page, for any role."""
    (_, token), = _issue(app)
    clients = [("admin", _signed_in(app, staff, "boss", "admin")[0]),
               ("clerk", _signed_in(app, staff, "clerk1", "clerk", ["L01"])[0]),
               ("manager", _signed_in(app, staff, "mgr", "manager")[0]),
               ("anonymous", app.test_client())]
    checked = 0
    problems = []
    for who, client in clients:
        for url in _html_pages(app, token):
            resp = client.get(url)
            if resp.status_code in (301, 302, 401, 403) or "text/html" not in resp.content_type:
                continue
            scan = _scan(resp.text)
            checked += 1
            for what in ("inline_scripts", "handlers", "style_attrs"):
                problems += [f"{who} {url}: {what}: {x}" for x in getattr(scan, what)]
    assert checked >= 25  # every surface rendered something
    assert problems == []


# --- 2. CSRF -------------------------------------------------------------------------------------


def test_every_html_form_carries_a_csrf_token(app, staff):
    (_, token), = _issue(app)
    client, _ = _signed_in(app, staff, "boss", "admin")
    staff.user("clerk1", "clerk", ["L01"])
    forms = []
    for url in _html_pages(app, token):
        resp = client.get(url)
        if "text/html" in resp.content_type:
            forms += [(url, f) for f in _scan(resp.text).forms if f["method"] == "post"]
    forms += [("/login", f) for f in _scan(app.test_client().get("/login").text).forms]
    assert len(forms) >= 8, forms  # login, logout, admin pages
    assert [(url, f["action"]) for url, f in forms if not f["csrf"]] == []


def test_every_html_post_refuses_a_missing_csrf_token(app, staff):
    staff.user("target", "clerk", ["L01"])
    client, _ = _signed_in(app, staff, "boss", "admin")
    fill = {"code": "PERIZINAN", "username": "target"}
    posts = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith("/api/")]
    assert len(posts) >= 8
    for rule in posts:
        url = rule.rule
        for name, value in fill.items():
            url = url.replace(f"<{name}>", value)
        resp = client.post(url, data={"username": "target", "password": "x" * 12, "reason": "Sistem down",
                                      "counters": "L02", "role": "clerk", "text": "halo"})
        assert resp.status_code == 400, (url, resp.status_code)
        assert "CSRF" in resp.text or "csrf" in resp.text.lower(), url
    # nothing happened: the user is still enabled with the same counters, the admin still signed in
    from queue_app.staff.models import User

    with app.app_context():
        target = db.session.scalar(sa.select(User).where(User.username == "target"))
        assert target.active and [c.code for c in target.counters] == ["L01"]
    assert client.get("/api/me").status_code == 200


def test_cookie_sessions_need_the_csrf_header_on_every_unsafe_api_call(app, staff):
    client, csrf_token = _signed_in(app, staff, "boss", "admin")
    (_, token), = _issue(app, n=1)
    ops = [(m.upper(), p) for p, item in api_spec()["paths"].items() for m, op in item.items()
           if m in ("post", "put", "patch", "delete") and op.get("security")]
    assert len(ops) >= 15
    fill = {"{code}": "L01", "{username}": "boss", "{token}": token}
    for method, path in ops:
        url = path
        for k, v in fill.items():
            url = url.replace(k, v)
        if "/admin/services/" in url:
            url = url.replace("L01", "PERIZINAN")
        resp = client.open(url, method=method, json={})
        assert resp.status_code == 400 and "csrf" in resp.json["error"]["message"].lower(), (method, url, resp.json)
    # the same call with the header is accepted: the refusal above was the CSRF check
    resp = client.post("/api/counters/L01/call-next", json={}, headers={"X-CSRFToken": csrf_token})
    assert resp.status_code == 200 and resp.json["ticket"]["number"] == "A-001"
    # a token from another session is no good either
    other, _ = _signed_in(app, staff, "boss2", "admin")
    resp = other.post("/api/counters/L02/pause", json={}, headers={"X-CSRFToken": csrf_token})
    assert resp.status_code == 400


# --- 3. rate limits ------------------------------------------------------------------------------


@pytest.fixture
def limits(app):
    """Rate limits switched on (TestConfig turns them off); each app counts in its own memory store."""
    app.config.update(RATELIMIT_TICKETS_PER_KIOSK=5, RATELIMIT_LOGIN=3)


def test_ticket_issue_is_rate_limited_per_kiosk(client, limits):
    for _ in range(5):
        assert take_ticket(client, kiosk="K1").status_code == 201
    refused = take_ticket(client, kiosk="K1")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another kiosk is not held up by the first one
    assert take_ticket(client, kiosk="K2").status_code == 201
    assert client.get("/api/services").json[0]["waiting"] == 6  # the refused one was not issued
    # (the per-address limit of anonymous public tickets: tests/security/test_security_access.py)


def test_limits_are_counted_in_code_so_no_route_carries_a_decorator_limit(app):
    """core/limits.py takes Flask-Limiter's check out of every request; a ``@limiter.limit`` added to a
    route would then never be applied, so none may exist (apply a limit with ``limits.hit`` instead)."""
    from queue_app.core.limits import limiter

    manager = limiter.limit_manager
    assert not manager._decorated_limits and not manager._blueprint_limits and not manager._application_limits
    from queue_app.core.limits import _limiters

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        assert not [f for f in hooks.get(None, []) if _limiters(f)]  # its check, its headers, its reset
    assert _limiters(limiter._check_request_limit)  # would the test see them at all


def test_login_attempts_are_rate_limited(app, staff, limits):
    from queue_app.core.limits import limiter

    staff.user("clerk1", "clerk", ["L01"])
    staff.user("clerk2", "clerk", ["L02"])
    api = app.test_client()
    for _ in range(3):
        assert api.post("/api/auth/token", json={"username": "clerk1", "password": "wrong-one"}).status_code == 401
    # the right password does not help once this username is over the limit from here: guessing stays slow
    refused = api.post("/api/auth/token", json={"username": "clerk1", "password": PASSWORD})
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # the HTML form shares the budget
    form = app.test_client()
    page = form.get("/login")
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = form.post("/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": csrf_token})
    assert resp.status_code == 429 and resp.headers["Retry-After"]
    # counted per (address, username): a colleague behind the same address still signs in
    assert api.post("/api/auth/token", json={"username": "clerk2", "password": PASSWORD}).status_code == 200
    limiter.storage.reset()  # a minute later
    assert api.post("/api/auth/token", json={"username": "clerk1", "password": PASSWORD}).status_code == 200


# --- 4. secrets stay out of the logs ------------------------------------------------------------


def test_tokens_and_passwords_are_never_logged(app, staff, caplog, tmp_path):
    from click.testing import CliRunner

    from queue_app.ops.cli import cli

    from ..helpers import TEST_SITE

    caplog.set_level(logging.DEBUG)
    secret = "Sangat-Rahasia-9876"
    config = tmp_path / "cli" / "config.toml"
    config.parent.mkdir()
    config.write_text(TEST_SITE + f'\n[server]\ndatabase_url = "sqlite:///{tmp_path}/cli/q.db"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "-v", "user", "add", "kasir7", "--role", "clerk",
                                      "--counter", "L01", "--password-stdin"], input=secret + "\n")
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    staff.user("kasir7", "clerk", ["L01"], password=secret)
    # sign in through the form, and through the API
    browser = app.test_client()
    login(browser, "kasir7", secret)
    browser.post("/login", data={"username": "kasir7", "password": secret + "x"})  # a failed one too
    api = app.test_client()
    token = api.post("/api/auth/token", json={"username": "kasir7", "password": secret}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    _issue(app)
    assert api.post("/api/counters/L01/call-next", json={}, headers=headers).status_code == 200
    assert api.get("/api/counters", headers=headers).status_code == 200
    assert api.get("/api/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401  # a bad one
    # an admin changes the password
    admin = staff.headers("boss", "admin")
    new_secret = "Lebih-Rahasia-5432"
    assert api.post("/api/admin/users/kasir7/password", json={"password": new_secret},
                    headers=admin).status_code == 200
    text = caplog.text
    assert caplog.records  # the app does log (sign-ins, ...): the check below is not vacuous
    for value in (secret, new_secret, token, admin["Authorization"].split()[1]):
        assert value not in text


@pytest.mark.slow
def test_a_live_server_log_holds_no_staff_secret(tmp_path):
    import requests

    from ..livesite import LiveServer

    server = LiveServer(tmp_path / "site", env={"MPP_QUEUE_ASYNC_MODE": "gevent"}).start()
    try:
        secret = "Kata-Sandi-Kasir-1"
        server.add_user("kasir1", secret, counters=("L01",))
        headers = server.token("kasir1", secret)
        requests.post(server.url + "/api/tickets", json={"service": "PERIZINAN", "kiosk": "K1"},
                      headers=server.kiosk_headers("K1"), timeout=5)
        assert requests.post(server.url + "/api/counters/L01/call-next", json={}, headers=headers,
                             timeout=5).status_code == 200
        requests.post(server.url + "/api/auth/token", json={"username": "kasir1", "password": secret + "?"},
                      timeout=5)
        log = server.log()
        assert "Serving MPP Uji" in log  # the server's INFO log survives the migrations at start
        assert secret not in log and headers["Authorization"].split()[1] not in log
    finally:
        server.stop()


# --- 5. a visitor sees their own ticket only -----------------------------------------------------


def test_visitor_page_and_ticket_api_reveal_no_other_ticket(app, client, clerk):
    tickets = _issue(app, "PERIZINAN", 4) + _issue(app, "NONIZIN", 2)
    assert client.post("/api/counters/L01/call-next", json={}, headers=clerk).status_code == 200  # A-001 called
    mine_number, mine_token = tickets[2]  # two ahead (A-001 is at the counter, A-002 waits)
    others = [t for t in tickets if t[1] != mine_token]
    for url in (f"/t/{mine_token}", f"/t/{mine_token}?lang=en", f"/api/tickets/{mine_token}"):
        text = client.get(url).get_data(as_text=True)
        assert mine_number in text
        for number, token in others:
            assert token not in text, url
            assert number not in text, (url, number)
    body = client.get(f"/api/tickets/{mine_token}").json
    assert body["ahead"] == 1  # a count, not a list
    assert "token" not in body and not any(isinstance(v, list) for v in body.values())
    # and the live feed of a ticket carries that ticket only
    from queue_app.core.extensions import socketio

    sock = socketio.test_client(app, namespace="/ticket", auth={"token": mine_token})
    assert sock.is_connected("/ticket")
    received = str(sock.get_received("/ticket"))
    sock.disconnect("/ticket")
    assert mine_number in received
    for number, token in others:
        assert token not in received and number not in received
    # a guessed token is refused, without telling what exists
    bad = socketio.test_client(app, namespace="/ticket", auth={"token": mine_token[:-1]})
    assert not bad.is_connected("/ticket")
    assert client.get(f"/api/tickets/{mine_token[:-1]}").status_code == 404


# --- 6. roles --------------------------------------------------------------------------------------

ALL = {"clerk", "manager", "admin"}
#: Who may use each staff operation (the clerk is assigned to L01 and L02; L03 is someone else's).
ALLOWED = [
    (r"^/api/(me|counters|printers|auth/token)$", ALL),
    (r"^/api/auth/password$", ALL),  # one's own password
    (r"^/api/tickets/\{token\}/reprint$", {"clerk", "admin"}),
    (r"^/api/counters/\{code\}/", {"clerk", "admin"}),
    (r"^/api/stats/", {"manager", "admin"}),
    (r"^/api/admin/", {"admin"}),
    (r"^/api/survey/tablet/\{code\}$", {"clerk", "admin"}),  # the counter tablet, run by its clerk for now
    (r"^/api/complaints", {"manager", "admin"}),  # the inbox: a manager sees their agency's
    (r"^/api/notify/messages$", {"admin"}),  # whom the site messaged: phone numbers, even masked
    (r"^/api/notify/health$", {"manager", "admin"}),  # the provider card on the dashboard
    (r"^/api/services/\{code\}/notice$", {"manager", "admin"}),  # a manager of the service's agency
]


def _allowed(path: str) -> set[str]:
    for pattern, roles in ALLOWED:
        if re.search(pattern, path):
            return roles
    raise AssertionError(f"{path} is a staff endpoint missing from ALLOWED: decide who may use it")


STAFF_OPS = [(m.upper(), p) for p, item in api_spec()["paths"].items() for m, op in item.items() if op.get("security")]


@pytest.mark.parametrize(("method", "path"), STAFF_OPS, ids=[f"{m} {p}" for m, p in STAFF_OPS])
def test_every_staff_endpoint_refuses_the_wrong_role(app, staff, method, path):
    (_, token), = _issue(app)
    staff.user("target", "clerk", ["L02"])
    headers = {"clerk": staff.headers("clerk1", "clerk", ["L01", "L02"]),
               "manager": staff.headers("mgr", "manager"), "admin": staff.headers("boss", "admin")}
    client = app.test_client()
    code = "PERIZINAN" if "/admin/services/" in path or path.startswith("/api/services/") else "L01"
    url = path.replace("{code}", code).replace("{username}", "target").replace("{token}", token)
    allowed = _allowed(path)
    body = {"number": "A-001", "service": "NONIZIN", "text": "x", "reason": "x", "counters": ["L01"]}
    assert client.open(url, method=method, json=body).status_code == 401
    assert client.open(url, method=method, json=body, headers={"Authorization": "Bearer forged"}).status_code == 401
    for role, h in headers.items():
        resp = client.open(url, method=method, json=body, headers=h)
        resp.get_data()  # a streamed export runs to its end inside the request
        if role in allowed:
            assert resp.status_code not in (401, 403), (role, method, url, resp.json)
        else:
            assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden", (role, method, url)
    if "{code}" in path and code == "L01":  # a clerk acting for a counter not assigned to them
        resp = client.open(re.sub(r"/L01(/|$)", r"/L03\1", url), method=method, json=body, headers=headers["clerk"])
        assert resp.status_code == 403, (method, url)


def test_no_undocumented_api_route_is_open(app):
    """A staff route missing from the OpenAPI document would escape the table above: every /api route that
    answers without credentials must be one of the documented public ones."""
    public = {p for p, item in api_spec()["paths"].items() for op in item.values() if not op.get("security")}
    client = app.test_client()
    (_, token), = _issue(app)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if path in public or path == "/api/openapi.json":
            continue
        url = path.replace("{code}", "L01").replace("{username}", "x").replace("{token}", token)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert client.open(url, method=method, json={}).status_code == 401, (method, url)
