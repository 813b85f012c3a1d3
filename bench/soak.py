"""Soak: a busy MPP day against one ``mpp-queue serve`` process, time compressed.

1,500 visitors over the demo site's 10 agencies (config.toml, 17 services), 25 counters (the demo's 12 plus 13
added in a temporary copy of the config), 4 hall displays and 300 visitors' phones, at 20x speed (an 8-hour day
in 24 minutes). Visitors arrive with a morning peak, a fifth of them at kiosk K1, which prints to a fake network
printer; one in five follows the ticket on the phone until it is done. Clerks call with ``finish_current``,
serve 3-10 minutes (in day time), and mark 4 % no-show.

Prints: errors (must be 0), p50/p99 of ticket issue and of call delivery (clerk's request → display ``called``
and phone ``ticket`` status ``called``), and the server's VmRSS at start and end (growth must stay under 20 %).
Exits non-zero when a limit is broken.

    .venv/bin/python bench/soak.py                            # the whole day: about 25 minutes
    .venv/bin/python bench/soak.py --visitors 150 --hours 1   # a quick run
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printers.fakeserver import FakeNetworkPrinter  # noqa: E402
from tests.livesite import LiveServer  # noqa: E402

ZONES = ("lantai-1", "lantai-2")


def site_config(printer_port: int, counters: int) -> tuple[str, list[str], dict[str, str]]:
    """The demo config open all day, printing to the fake, with counters added up to ``counters``.

    :return: the text, the service codes, and each counter's zone.
    """
    text = (ROOT / "config.toml").read_text()
    text = re.sub(r'^hours = "[^"]*"\n', "", text, flags=re.M)
    # the building open every day, all day: a soak runs whenever someone starts it
    all_day = "".join(f'{day} = "00:00-23:59"\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    text = re.sub(r"^\[site\.hours\]\n(?:\w+ = \"[^\"]*\"\n)+", "[site.hours]\n" + all_day, text, count=1, flags=re.M)
    text = re.sub(r"^daily_quota = \d+\n", "", text, flags=re.M)  # a busy day must not hit the demo quotas
    text = text.replace("port = 9100", f"port = {printer_port}")
    text = text.replace('database_url = "', 'database_url="')  # LiveServer rewrites base_url = "..."
    services = re.findall(r'^\[\[services\]\]\ncode = "([^"]+)"', text, flags=re.M)
    existing = re.findall(r'^\[\[counters\]\]\ncode = "([^"]+)"\nname = "[^"]*"\nzone = "([^"]+)"', text, flags=re.M)
    zones = dict(existing)
    extra = []
    for i in range(len(existing), counters):
        code, zone = f"S{i + 1:02d}", ZONES[i % 2]
        serves = [services[(i * 3 + k) % len(services)] for k in range(3)]
        extra.append(f'[[counters]]\ncode = "{code}"\nname = "Loket {i + 1}"\nzone = "{zone}"\n'
                     f"services = {serves!r}\n".replace("'", '"'))
        zones[code] = zone
    marker = "# --- printers and kiosks"
    assert marker in text, "config.toml changed; update bench/soak.py"
    text = text.replace(marker, "\n".join(extra) + "\n" + marker, 1)
    # a second kiosk without a printer for the visitors whose tickets are not printed
    text += '\n[[kiosks]]\ncode = "KB"\nname = "Kios tanpa printer"\n'
    return text, services, zones


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Soak:
    def __init__(self, args: argparse.Namespace, server: LiveServer, services: list[str], zones: dict[str, str],
                 clerk_headers: dict) -> None:
        self.args = args
        self.server = server
        self.url = server.url
        self.services = services
        self.zones = zones
        self.headers = clerk_headers
        self.rng = random.Random(args.seed)
        self.errors: list[str] = []
        self.issue_ms: list[float] = []
        self.display_ms: list[float] = []
        self.phone_ms: list[float] = []
        self.call_started: dict[str, float] = {}  # number → monotonic time the clerk pressed "call"
        self.pressed: dict[str, float] = {}  # counter → when its clerk last pressed "call" (the event may
        # arrive before the HTTP answer that tells which number was called)
        self.call_zone: dict[str, str] = {}
        self.display_seen: list[set[str]] = []
        self.displays: list[tuple[str | None, socketio.Client]] = []
        self.phones_total = 0
        self.phones_open = 0
        self.issued = 0
        self.done = 0
        self.no_show = 0
        self.finished = gevent.event.Event()
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=100)
        self.session.mount("http://", adapter)
        #: every ticket comes from a kiosk with its key, as at a real site
        self.kiosk_headers = {code: server.kiosk_headers(code) for code in ("K1", "KB")}

    def scaled(self, day_seconds: float) -> float:
        return day_seconds / self.args.speed

    def error(self, what: str) -> None:
        if len(self.errors) < 50:
            print("ERROR", what, flush=True)
        self.errors.append(what)

    # --- displays ------------------------------------------------------------------------------

    def connect_displays(self) -> None:
        for i, zone in enumerate(("lantai-1", "lantai-2", "lantai-1", None)[: self.args.displays]):
            seen: set[str] = set()
            self.display_seen.append(seen)
            client = socketio.Client(reconnection=False)

            def on_called(data: dict, seen: set[str] = seen) -> None:
                if data.get("recall"):
                    return
                started = self.call_started.get(data["number"]) or self.pressed.get(data["counter"]["code"])
                if started is not None and data["number"] not in seen:
                    self.display_ms.append((time.monotonic() - started) * 1000)
                seen.add(data["number"])

            client.on("called", on_called, namespace="/display")
            auth = {"zone": zone} if zone else {}
            client.connect(self.url, namespaces=["/display"], auth=auth, transports=["websocket"], wait_timeout=10)
            self.displays.append((zone, client))
            print(f"display {i + 1} connected ({zone or 'all zones'})", flush=True)

    # --- visitors ------------------------------------------------------------------------------

    def visitor(self, i: int) -> None:
        service = self.rng.choice(self.services)
        body: dict = {"service": service, "kiosk": "KB"}
        if i % 5 == 0:
            body["kiosk"] = "K1"  # printed on the fake printer
        started = time.monotonic()
        try:
            resp = self.session.post(self.url + "/api/tickets", json=body, headers=self.kiosk_headers[body["kiosk"]],
                                     timeout=30)
        except requests.RequestException as exc:
            self.error(f"issue: {exc!r}")
            return
        self.issue_ms.append((time.monotonic() - started) * 1000)
        if resp.status_code != 201:
            self.error(f"issue {resp.status_code}: {resp.text[:200]}")
            return
        self.issued += 1
        ticket = resp.json()
        if body["kiosk"] == "K1" and ticket["print"]["status"] != "printed":
            self.error(f"print {ticket['number']}: {ticket['print']}")
        if i % 5 == 2 and self.phones_total < self.args.phones:
            self.phones_total += 1
            gevent.spawn(self.phone, ticket)

    def phone(self, ticket: dict) -> None:
        number = ticket["number"]
        got_called = gevent.event.Event()
        ended = gevent.event.Event()
        client = socketio.Client(reconnection=False)

        def on_ticket(data: dict) -> None:
            if data["status"] == "called" and not got_called.is_set():
                started = self.call_started.get(number) or self.pressed.get((data.get("counter") or {}).get("code"))
                if started is not None:
                    self.phone_ms.append((time.monotonic() - started) * 1000)
                got_called.set()
            if data["status"] in ("done", "no_show", "cancelled"):
                ended.set()

        client.on("ticket", on_ticket, namespace="/ticket")
        try:
            # like the visitor page: it counts its place from queue_moved; its own status comes as "ticket"
            client.connect(self.url, namespaces=["/ticket"], auth={"token": ticket["token"], "moves": True},
                           transports=["websocket"], wait_timeout=10)
        except Exception as exc:  # noqa: BLE001
            self.error(f"phone {number} connect: {exc!r}")
            return
        self.phones_open += 1
        try:
            while not ended.wait(1):
                if self.finished.is_set():
                    break
            if number in self.call_started and not got_called.is_set():
                self.error(f"phone {number}: called but never told")
        finally:
            self.phones_open -= 1
            client.disconnect()

    # --- clerks --------------------------------------------------------------------------------

    def clerk(self, code: str, stop_at: float) -> None:
        headers = self.headers
        while True:
            started = time.monotonic()
            self.pressed[code] = started
            try:  # the call time is taken before the request: the event can arrive before the answer
                resp = self.session.post(f"{self.url}/api/counters/{code}/call-next", json={"finish_current": True},
                                         headers=headers, timeout=30)
            except requests.RequestException as exc:
                self.error(f"call {code}: {exc!r}")
                gevent.sleep(1)
                continue
            if resp.status_code != 200:
                self.error(f"call {code} {resp.status_code}: {resp.text[:200]}")
                gevent.sleep(1)
                continue
            ticket = resp.json()["ticket"]
            if ticket is None:
                if time.monotonic() > stop_at:
                    return
                gevent.sleep(self.scaled(self.rng.uniform(20, 60)))
                continue
            number = ticket["number"]
            self.call_started.setdefault(number, started)
            self.call_zone[number] = self.zones[code]
            if self.rng.random() < 0.04:
                gevent.sleep(self.scaled(120))
                r = self.session.post(f"{self.url}/api/counters/{code}/no-show", json={}, headers=headers, timeout=30)
                if r.status_code != 200:
                    self.error(f"no-show {code} {r.status_code}")
                self.no_show += 1
                continue
            gevent.sleep(self.scaled(self.rng.uniform(30, 90)))  # walking to the desk
            r = self.session.post(f"{self.url}/api/counters/{code}/start", json={}, headers=headers, timeout=30)
            if r.status_code != 200:
                self.error(f"start {code} {r.status_code}: {r.text[:200]}")
            gevent.sleep(self.scaled(self.rng.uniform(180, 600)))
            r = self.session.post(f"{self.url}/api/counters/{code}/finish", json={}, headers=headers, timeout=30)
            if r.status_code != 200:
                self.error(f"finish {code} {r.status_code}: {r.text[:200]}")
            self.done += 1

    # --- the day -------------------------------------------------------------------------------

    def run(self) -> None:
        day = self.args.hours * 3600
        arrivals = sorted(self.rng.betavariate(2.0, 3.2) * day * 0.92 for _ in range(self.args.visitors))
        t0 = time.monotonic()
        stop_at = t0 + self.scaled(day)
        clerks = [gevent.spawn(self.clerk, code, stop_at) for code in self.zones]
        last_report = t0
        for i, at in enumerate(arrivals):
            delay = t0 + self.scaled(at) - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            gevent.spawn(self.visitor, i)
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                print(f"[{(last_report - t0) / 60:5.1f} min] issued {self.issued}, done {self.done}, "
                      f"phones open {self.phones_open}, rss {rss_kb(self.server.proc.pid) // 1024} MiB, "
                      f"errors {len(self.errors)}", flush=True)
        gevent.joinall(clerks, timeout=self.scaled(day) + 120)
        gevent.sleep(2)
        self.finished.set()
        gevent.sleep(2)
        # every call reached every display of its zone
        for (zone, _), seen in zip(self.displays, self.display_seen, strict=True):
            expected = {n for n, z in self.call_zone.items() if zone is None or z == zone}
            missing = expected - seen
            if missing:
                self.error(f"display {zone}: {len(missing)} calls never arrived, e.g. {sorted(missing)[:3]}")


def warn_if_past_midnight(config_text: str, seconds: float) -> None:
    """The soak's day is the site's real one, open 00:00-23:59: a run that reaches the site's midnight meets
    its last minute closed (every kiosk press refused, ``outside_hours``) and then the day's rollover, and
    fails on errors that are the calendar's, not the server's. Say so before it starts."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    found = re.search(r'^timezone = "([^"]+)"', config_text, flags=re.M)
    tz = ZoneInfo(found.group(1) if found else "Asia/Jakarta")
    now = datetime.now(tz)
    end = now + timedelta(seconds=seconds * 1.4)  # the day takes longer than hours/speed (session figures)
    if end.date() != now.date() or end.time() >= datetime.strptime("23:59", "%H:%M").time():
        print(f"WARNING: this run may reach midnight in {tz.key} (now {now:%H:%M}, the day takes about "
              f"{seconds * 1.4 / 60:.0f} min): the site closes at 23:59 and rolls over at 00:00, so kiosk "
              "presses will fail then. Start it after midnight, or shorten it (--hours, --speed).", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=1500)
    parser.add_argument("--counters", type=int, default=25)
    parser.add_argument("--displays", type=int, default=4)
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--hours", type=float, default=8.0, help="length of the opening day")
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))  # so `finally` stops the server process
    workdir = Path(tempfile.mkdtemp(prefix="mpp-soak-"))
    printer = FakeNetworkPrinter(port=0).start()
    text, services, zones = site_config(printer.port, args.counters)
    warn_if_past_midnight(text, args.hours * 3600 / args.speed)
    # one driver process plays every kiosk, phone and display from one address: the per-address ticket
    # limit and socket cap are for real clients
    from bench import PRODUCTION_ENV

    env = {**PRODUCTION_ENV, "MPP_QUEUE_RATELIMIT_TICKETS": "0", "MPP_QUEUE_SOCKETS_PER_ADDRESS": "0", "MPP_QUEUE_CONNECTIONS_PER_ADDRESS": "0"}
    server = LiveServer(workdir / "site", config_text=text, env=env).start()
    try:
        server.add_user("petugas", "rahasia-123", role="admin")  # acts for every counter
        headers = server.token("petugas", "rahasia-123")
        print(f"server pid {server.proc.pid} on {server.url}; {len(services)} services, {len(zones)} counters, "
              f"workdir {workdir}", flush=True)
        soak = Soak(args, server, services, zones, headers)
        soak.connect_displays()
        requests.get(server.url + "/api/services", timeout=5)
        rss_start = rss_kb(server.proc.pid)
        started = time.monotonic()
        soak.run()
        elapsed = time.monotonic() - started
        rss_end = rss_kb(server.proc.pid)
        for _, client in soak.displays:
            client.disconnect()
        printed = len(printer.jobs)
        calls = soak.display_ms + soak.phone_ms
        growth = (rss_end - rss_start) / rss_start * 100
        print()
        print(f"day of {args.hours:g} h at {args.speed:g}x took {elapsed / 60:.1f} min")
        print(f"visitors {args.visitors}, issued {soak.issued}, done {soak.done}, no-show {soak.no_show}, "
              f"printed {printed}, phones {soak.phones_total}, displays {len(soak.displays)}")
        print(f"errors {len(soak.errors)}")
        print(f"ticket issue   p50 {pct(soak.issue_ms, 50):6.1f} ms   p99 {pct(soak.issue_ms, 99):6.1f} ms   "
              f"max {max(soak.issue_ms, default=0):6.1f} ms   (n={len(soak.issue_ms)})")
        print(f"call delivery  p50 {pct(calls, 50):6.1f} ms   p99 {pct(calls, 99):6.1f} ms   "
              f"max {max(calls, default=0):6.1f} ms   (n={len(calls)}: displays {len(soak.display_ms)}, "
              f"phones {len(soak.phone_ms)})")
        print(f"  displays p99 {pct(soak.display_ms, 99):.1f} ms, phones p99 {pct(soak.phone_ms, 99):.1f} ms; "
              f"mean {statistics.fmean(calls) if calls else float('nan'):.1f} ms")
        print(f"server VmRSS  start {rss_start / 1024:.1f} MiB   end {rss_end / 1024:.1f} MiB   growth {growth:+.1f} %")
        ok = not soak.errors and growth <= 20 and soak.issued == args.visitors
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        server.stop()
        printer.stop()


if __name__ == "__main__":
    sys.exit(main())
