"""Debian's nginx in front of real server processes, with docs/deploy.md's site file verbatim.

The site file is read from docs/deploy.md (the one ```nginx block) and only the values its "What to change"
table lists are replaced: ports, the upstream processes, the certificate's folder, the checkout, the log
folder. Each must be found, so the page cannot drift from what runs. nginx runs in the foreground with its
own prefix, pid and logs in a temp folder, on free high ports; :meth:`Nginx.stop` ends it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .livesite import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_MD = ROOT / "docs" / "deploy.md"
SITE_FILE_MARKER = "# /etc/nginx/sites-available/mpp-queue"
#: what the site file says, per value of the doc's table (each must occur)
DOC_VALUES = {
    "listen_http": "listen 80;",
    "listen_https": "listen 443 ssl;",
    "upstreams": ("server 127.0.0.1:8001;", "server 127.0.0.1:8002;"),
    "certificates": "/etc/ssl/mpp-queue/",
    "checkout": "/srv/mpp-queue/",
    "logs": "/var/log/nginx/",
}


def nginx_installed() -> bool:
    return Path(NGINX).is_file() and os.access(NGINX, os.X_OK)


def doc_site_file() -> str:
    """The nginx site file of docs/deploy.md, as written there."""
    blocks = re.findall(r"^```nginx\n(.*?)^```", DEPLOY_MD.read_text(encoding="utf-8"), re.S | re.M)
    mine = [b for b in blocks if b.startswith(SITE_FILE_MARKER)]
    assert len(mine) == 1, f"docs/deploy.md must hold one ```nginx block starting with {SITE_FILE_MARKER!r}"
    return mine[0]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"docs/deploy.md's nginx file no longer says {old!r}: update its table and tests/nginx.py"
    return text.replace(old, new)


def make_self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 and localhost (``fullchain.pem``, ``privkey.pem``) made with openssl."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    key.chmod(0o600)
    return cert


@dataclass
class Nginx:
    """One nginx master (and its worker) serving the doc's site file in front of ``upstreams`` (ports)."""

    workdir: Path
    upstreams: list[int]
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def cert(self) -> Path:
        return self.workdir / "ssl" / "fullchain.pem"

    @property
    def access_log_path(self) -> Path:
        return self.workdir / "mpp-queue.access.log"

    @property
    def error_log_path(self) -> Path:
        return self.workdir / "error.log"

    def site_file(self) -> str:
        """The doc's file with this run's ports and folders, nothing else changed."""
        text = doc_site_file()
        text = _replace(text, DOC_VALUES["listen_http"], f"listen 127.0.0.1:{self.http_port};")
        text = _replace(text, DOC_VALUES["listen_https"], f"listen 127.0.0.1:{self.https_port} ssl;")
        first, second = DOC_VALUES["upstreams"]
        ports = self.upstreams if len(self.upstreams) > 1 else self.upstreams * 2
        lines = "\n    ".join(f"server 127.0.0.1:{p};" for p in ports)
        text = _replace(text, f"{first}\n    {second}", lines)
        text = _replace(text, DOC_VALUES["certificates"], f"{self.workdir / 'ssl'}/")
        text = _replace(text, DOC_VALUES["checkout"], f"{ROOT}/")
        return _replace(text, DOC_VALUES["logs"], f"{self.workdir}/")

    def main_file(self) -> str:
        """What Debian's /etc/nginx/nginx.conf provides around a site file, in this run's folder."""
        temp = "\n".join(f"    {kind}_temp_path {self.workdir / 'temp' / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # a CI container runs the tests as root: workers stay root so they read the checkout and this folder
        # wherever they are (as another user, nginx's default "nobody" could not enter a 0700 temp folder)
        user = "user root root;\n" if os.geteuid() == 0 else ""
        return (f"{user}daemon off;\nworker_processes 1;\npid {self.workdir / 'nginx.pid'};\n"
                f"error_log {self.error_log_path} info;\n"
                "events { worker_connections 2048; }\n"
                f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
                f"    access_log {self.workdir / 'other.access.log'};\n{temp}\n"
                f"    include {self.workdir / 'mpp-queue.conf'};\n}}\n")

    def start(self, timeout: float = 15) -> Nginx:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "temp").mkdir(exist_ok=True)
        if not self.cert.exists():
            make_self_signed(self.cert.parent)
        (self.workdir / "mpp-queue.conf").write_text(self.site_file())
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.main_file())
        check = subprocess.run([NGINX, "-t", "-p", str(self.workdir), "-c", str(conf), "-e", str(self.error_log_path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"nginx -t refused the doc's file:\n{check.stderr}"
        with open(self.workdir / "nginx.out", "ab") as out:
            self.proc = subprocess.Popen([NGINX, "-p", str(self.workdir), "-c", str(conf),
                                          "-e", str(self.error_log_path)], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.errors()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", self.http_port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"nginx did not listen:\n{self.errors()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown, master and worker
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def errors(self) -> str:
        return self.error_log_path.read_text(errors="replace") if self.error_log_path.exists() else ""

    def logged(self, addr: str, path: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, str]]:
        """The access log's entries for ``addr`` and ``path`` once there are ``count`` of them: nginx writes a
        line when it finalises the request, which may be just after the client has read the answer."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.access_log() if e["addr"] == addr and e["path"] == path]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} log lines for {addr} {path} not within {timeout} s: {found}")
            time.sleep(0.02)

    def access_log(self) -> list[dict[str, str]]:
        """The access log's lines, parsed by the doc's ``log_format mpp_queue``."""
        if not self.access_log_path.exists():
            return []
        pattern = re.compile(r'^(?P<addr>\S+) \[[^\]]+\] "(?P<method>\S+) (?P<path>\S+)" (?P<status>\d+) \d+ '
                             r'\S+ upstream=(?P<upstream>\S+)$')
        lines = self.access_log_path.read_text(errors="replace").splitlines()
        parsed = [m.groupdict() for m in map(pattern.match, lines) if m]
        assert len(parsed) == len(lines), f"lines the doc's log_format does not explain: {lines[:3]}"
        return parsed
