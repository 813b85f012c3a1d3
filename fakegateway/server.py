"""A fake message gateway for the demo, the tests and the benchmark: the WhatsApp Business Cloud API and a
generic SMS gateway in one small HTTP server (standard library only: it imports neither Flask nor queue_app).

    python -m fakegateway --port 9200 --out-dir instance/messages --config config.toml

- ``POST /<version>/<phone_number_id>/messages`` (any path ending in ``/messages``): the Cloud API. The
  ``Authorization: Bearer`` must match the token file of ``[notify.whatsapp]`` (401 otherwise); the body must be
  a template message (400 otherwise). Answers ``{"messages": [{"id": "wamid..."}]}``. With the app secret it
  then posts a signed ``delivered`` status to ``--webhook`` (the server's ``/api/notify/whatsapp``).
- ``POST /send`` (or ``GET``): a generic gateway; form or JSON fields, answers ``{"id": ...}``.
- ``GET /``: the messages received, newest first, as a page; ``GET /_messages``: the same as JSON.
- ``POST /_mode`` ``{"mode": "ok"|"fail"|"reject"|"slow", "delay": seconds}``, or a ``MODE`` file in the output
  folder (``echo fail > instance/messages/MODE``): ``fail`` answers 503, ``reject`` 400, ``slow`` answers
  after ``delay`` seconds (default 3). ``POST /_reset`` forgets the messages kept in memory.

With ``--config``, the token, app secret and verify token files named in ``[notify.whatsapp]`` are created
(random, 0600) when absent, so the demo's server and this gateway share them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODES = ("ok", "fail", "reject", "slow")


class Gateway:
    """What the server knows and keeps: the secrets, the mode, the messages received."""

    def __init__(self, out_dir: Path | None, token: str = "", app_secret: str = "", webhook: str = "") -> None:
        self.out_dir = out_dir
        self.token = token
        self.app_secret = app_secret
        self.webhook = webhook
        self.mode = "ok"
        self.delay = 3.0
        self.messages: list[dict[str, Any]] = []
        #: every request to send, whatever the answer (tests count the attempts)
        self.attempts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.seq = 0
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    def current_mode(self) -> tuple[str, float]:
        if self.out_dir is not None:
            path = self.out_dir / "MODE"
            if path.exists():
                words = path.read_text(encoding="utf-8").split()
                if words and words[0] in MODES:
                    return words[0], float(words[1]) if len(words) > 1 else self.delay
        return self.mode, self.delay

    def keep(self, shape: str, to: str, content: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.seq += 1
            message = {"id": f"wamid.fake{self.seq:06d}{secrets.token_hex(4)}", "shape": shape, "to": to,
                       "at": datetime.now(UTC).isoformat(timespec="milliseconds"), **content}
            self.messages.append(message)
        if self.out_dir is not None:
            name = f"{message['at'][:19].replace(':', '')}-{self.seq:06d}-{shape}.json"
            (self.out_dir / name).write_text(json.dumps(message, ensure_ascii=False, indent=1), encoding="utf-8")
        return message

    def post_status(self, provider_id: str, to: str, status: str = "delivered") -> None:
        """A signed status webhook, as Meta sends it."""
        if not (self.webhook and self.app_secret):
            return
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [{
                "id": provider_id, "status": status, "timestamp": str(int(time.time())), "recipient_id": to}]}}]}]},
        ).encode()
        signature = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.webhook, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})
        try:
            urllib.request.urlopen(req, timeout=5).close()
        except OSError as exc:
            log.info("status webhook to %s failed: %s", self.webhook, exc)


def whatsapp_problem(body: Any) -> str | None:  # noqa: ANN401
    """What is wrong with a Cloud API template message, or None."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return 'messaging_product must be "whatsapp"'
    if not str(body.get("to", "")).isdigit():
        return "to must be digits"
    if body.get("type") != "template":
        return 'type must be "template"'
    template = body.get("template")
    if not isinstance(template, dict) or not template.get("name"):
        return "template.name missing"
    if not isinstance(template.get("language"), dict) or not template["language"].get("code"):
        return "template.language.code missing"
    for component in template.get("components") or []:
        for p in component.get("parameters") or []:
            if p.get("type") != "text" or not isinstance(p.get("text"), str) or not p["text"]:
                return "each parameter must be {type: text, text: non-empty}"
    return None


def make_handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:  # noqa: ANN401
            log.debug(fmt, *args)

        def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:  # noqa: ANN401
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting (its timeout)
                self.close_connection = True

        def read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def fault(self) -> bool:
            """Apply the mode; True when it answered already."""
            mode, delay = gw.current_mode()
            if mode == "slow":
                time.sleep(delay)
            elif mode == "fail":
                self.answer(503, {"error": {"message": "fake gateway: failing (mode fail)", "code": 2}})
                return True
            elif mode == "reject":
                self.answer(400, {"error": {"message": "fake gateway: rejected (mode reject)", "code": 100}})
                return True
            return False

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/_messages":
                with gw.lock:
                    self.answer(200, {"messages": gw.messages, "attempts": gw.attempts})
            elif url.path == "/":
                self.answer(200, page(gw), "text/html; charset=utf-8")
            elif url.path == "/send":
                self.generic(dict(urllib.parse.parse_qsl(url.query)))
            else:
                self.answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            raw = self.read_body()
            if path == "/_mode":
                body = json.loads(raw or b"{}")
                if body.get("mode") not in MODES:
                    self.answer(400, {"error": f"mode must be one of {MODES}"})
                    return
                gw.mode, gw.delay = body["mode"], float(body.get("delay", gw.delay))
                self.answer(200, {"mode": gw.mode, "delay": gw.delay})
            elif path == "/_reset":
                with gw.lock:
                    gw.messages.clear()
                    gw.attempts.clear()
                self.answer(200, {"ok": True})
            elif path.endswith("/messages"):
                self.whatsapp(raw)
            elif path == "/send":
                if "json" in (self.headers.get("Content-Type") or ""):
                    try:
                        fields = json.loads(raw or b"{}")
                    except ValueError:
                        self.answer(400, {"error": "not JSON"})
                        return
                else:
                    fields = dict(urllib.parse.parse_qsl(raw.decode()))
                self.generic(fields if isinstance(fields, dict) else {})
            else:
                self.answer(404, {"error": "not found"})

        def whatsapp(self, raw: bytes) -> None:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            with gw.lock:
                gw.attempts.append({"shape": "whatsapp", "at": time.time(), "body": body})
            if self.fault():
                return
            if gw.token and self.headers.get("Authorization") != f"Bearer {gw.token}":
                self.answer(401, {"error": {"message": "Invalid OAuth access token.", "code": 190}})
                return
            problem = whatsapp_problem(body)
            if problem:
                self.answer(400, {"error": {"message": problem, "code": 100}})
                return
            template = body["template"]
            params = [p["text"] for c in template.get("components") or [] for p in c.get("parameters") or []]
            message = gw.keep("whatsapp", body["to"], {"template": template["name"],
                                                       "language": template["language"]["code"], "params": params})
            self.answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"],
                                                                             "wa_id": body["to"]}],
                              "messages": [{"id": message["id"]}]})
            threading.Thread(target=gw.post_status, args=(message["id"], body["to"]), daemon=True).start()

        def generic(self, fields: dict[str, Any]) -> None:
            with gw.lock:
                gw.attempts.append({"shape": "http", "at": time.time(), "body": fields})
            if self.fault():
                return
            phone = str(fields.get("target") or fields.get("phone") or fields.get("to") or "")
            text = str(fields.get("message") or fields.get("text") or "")
            if not phone.isdigit() or not text:
                self.answer(400, {"error": "a phone (target, phone or to) and a text (message or text) are needed"})
                return
            message = gw.keep("http", phone, {"text": text, "fields": fields,
                                             "authorization": self.headers.get("Authorization")})
            self.answer(200, {"id": message["id"], "status": "queued"})

    return Handler


def page(gw: Gateway) -> str:
    with gw.lock:
        rows = list(reversed(gw.messages[-500:]))
    items = "".join(
        f"<tr><td>{html.escape(m['at'])}</td><td>{html.escape(m['to'])}</td><td>{html.escape(m['shape'])}</td>"
        f"<td>{html.escape(m.get('template') or '')}</td>"
        f"<td>{html.escape(m.get('text') or ' | '.join(m.get('params') or []))}</td></tr>" for m in rows)
    mode, delay = gw.current_mode()
    return ("<!doctype html><html lang='id'><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
            "<title>Gerbang pesan palsu</title><style>body{font:14px sans-serif;margin:1rem}table{border-collapse:"
            "collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style></head><body>"
            f"<h1>Gerbang pesan palsu (WhatsApp / SMS)</h1><p>Mode: <b>{html.escape(mode)}</b>"
            f"{f' ({delay:g} s)' if mode == 'slow' else ''} · {len(rows)} pesan</p>"
            "<table><tr><th>Waktu (UTC)</th><th>Ke</th><th>Jalur</th><th>Templat</th><th>Isi</th></tr>"
            f"{items}</table></body></html>")


def ensure_secret(path: Path) -> str:
    """The file's content; a new random one (0600, its folder 0700) when the file is absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="utf-8").strip()


def secrets_from_config(config: Path) -> tuple[str, str]:
    """The token and app secret files of ``[notify.whatsapp]`` (created when absent); the verify token's too."""
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    wa = raw.get("notify", {}).get("whatsapp", {})
    base = config.resolve().parent
    token = ensure_secret(base / wa.get("token_file", "instance/whatsapp-token"))
    secret = ensure_secret(base / wa.get("app_secret_file", "instance/whatsapp-app-secret"))
    ensure_secret(base / wa.get("verify_token_file", "instance/whatsapp-verify-token"))
    return token, secret


def serve(host: str, port: int, gw: Gateway) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(gw))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--out-dir", type=Path, default=None, help="write each message here as a JSON file")
    parser.add_argument("--config", type=Path, default=None,
                        help="config.toml: its [notify.whatsapp] secret files (created when absent)")
    parser.add_argument("--webhook", default="", help="the server's status webhook, e.g. "
                        "http://127.0.0.1:8000/api/notify/whatsapp (needs the app secret: --config)")
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument("--delay", type=float, default=3.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s fakegateway %(message)s")
    token = secret = ""
    if args.config is not None:
        token, secret = secrets_from_config(args.config)
    gw = Gateway(args.out_dir, token=token, app_secret=secret, webhook=args.webhook)
    gw.mode, gw.delay = args.mode, args.delay
    server = serve(args.host, args.port, gw)
    log.info("fake message gateway on http://%s:%d (messages: %s)", args.host, args.port, args.out_dir or "memory")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
