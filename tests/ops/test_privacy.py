"""Personal data with an end (issue 30, contract "Personal data (UU 27/2022)"): the daily purge after
``[privacy] retain_days``, ``mpp-queue privacy purge|export|erase``, each audited with the number masked,
erased means gone from the database file too, the notice on the screens that ask and /privacy."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from queue_app.booking.models import Booking, BookingEvent
from queue_app.core import clock
from queue_app.core.extensions import db
from queue_app.staff.models import AuditEntry

from ..helpers import TEST_SITE, built_app, make_site

pytestmark = pytest.mark.both_databases

TZ = ZoneInfo("Asia/Jakarta")
SITE = TEST_SITE.replace('''target_wait_minutes = 15
''', '''target_wait_minutes = 15

[services.booking]
slot_minutes = 30
per_slot = 4
days_ahead = 7
''', 1) + '''
[privacy]
retain_days = 30
notice = """Mal Pelayanan Publik Kota Uji memproses data pribadi sesuai UU 27/2022.

Petugas perlindungan data: dpo@mpp-uji.example."""
'''
#: a name and a number that appear nowhere else, so finding them in the file's bytes means a copy survived
NAME = "Qurratul Aini Zulfikar"
PHONE = "0857 1234 9876"
DIGITS = ("085712349876", "6285712349876")


def at(day: date, hour: int = 9) -> None:
    clock.reset()
    clock.travel(datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour) - clock.utcnow())


@pytest.fixture
def app(tmp_path, db_url):
    try:
        with built_app(make_site(tmp_path, SITE), db_url) as app:
            yield app
    finally:
        clock.reset()


def book(client, day: date, start: str = "10:00", name: str | None = None, phone: str | None = None,
         address: str = "198.51.100.7"):  # noqa: ANN001, ANN201
    body = {"service": "PERIZINAN", "date": day.isoformat(), "start": start}
    body |= {"name": name} if name else {}
    body |= {"phone": phone} if phone else {}
    resp = client.post("/api/bookings", json=body, environ_base={"REMOTE_ADDR": address})
    assert resp.status_code == 201, resp.text
    return resp.json


def _bookings(app) -> dict[str, Booking]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(sa.select(Booking)).all()
        db.session.expunge_all()
        return {b.code: b for b in rows}


def _audit(app) -> list[AuditEntry]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return rows


def test_the_purge_erases_names_and_numbers_retain_days_after_the_booked_day(app):
    from queue_app.privacy import operations

    client = app.test_client()
    old_day, new_day = date(2026, 11, 2), date(2026, 11, 9)
    at(old_day - timedelta(days=1), 20)
    old = book(client, old_day, name="Budi Santoso", phone="081211112222")
    at(new_day - timedelta(days=1), 20)
    new = book(client, new_day, name="Citra Lestari", phone="081233334444")
    at(old_day + timedelta(days=30), 8)  # 30 days after the old one's day: due; the new one is not
    with app.app_context():
        assert operations.purge() == {"booking": 1}
        db.session.commit()
        assert operations.purge() == {}  # done once; nothing left to do, nothing more audited
        db.session.commit()
    rows = _bookings(app)
    gone, kept = rows[old["code"]], rows[new["code"]]
    assert (gone.name, gone.phone, gone.address_key, gone.network_key) == (None, None, None, None)
    assert gone.status.value == "booked" and gone.day == old_day  # the booking itself stays, for the figures
    assert (kept.name, kept.phone) == ("Citra Lestari", "6281233334444") and kept.address_key
    [entry] = [e for e in _audit(app) if e.action == "privacy_purged"]
    assert entry.details["erased"] == {"booking": 1} and entry.details["retain_days"] == 30
    assert "0812" not in json.dumps(entry.details) + entry.target


def test_housekeeping_purges_once_a_day(app):
    from queue_app.ops.server import housekeeping

    client = app.test_client()
    at(date(2026, 11, 1), 20)
    first = book(client, date(2026, 11, 2), name="Dewi Anggraini", phone="081255556666")
    at(date(2026, 12, 3), 8)
    housekeeping(app)
    assert _bookings(app)[first["code"]].phone is None
    assert [e.action for e in _audit(app)].count("privacy_purged") == 1
    housekeeping(app)  # the same day: not again
    assert [e.action for e in _audit(app)].count("privacy_purged") == 1


def test_export_prints_all_that_is_stored_about_a_number_and_is_audited_masked(app):
    from queue_app.privacy import operations

    client = app.test_client()
    at(date(2026, 12, 6), 20)
    mine = book(client, date(2026, 12, 7), name=NAME, phone=PHONE)
    book(client, date(2026, 12, 8), name="Orang Lain", phone="081299990000", address="203.0.113.9")
    with app.app_context():
        data = operations.export("+62 857-1234-9876")  # the same number, written another way
        db.session.commit()
    assert data["phone"] == "6285712349876" and data["retain_days"] == 30
    [record] = data["records"]["booking"]
    assert record["code"] == mine["code"] and record["name"] == NAME and record["phone"] == DIGITS[1]  # stored 62…
    assert record["service"] == "PERIZINAN" and record["day"] == "2026-12-07" and record["status"] == "booked"
    assert "Orang Lain" not in json.dumps(data)
    assert data["labels"]["booking"].startswith("Online bookings")
    [entry] = [e for e in _audit(app) if e.action == "privacy_exported"]
    assert entry.target == "6285*******76" and entry.details == {"records": {"booking": 1}}
    with app.app_context(), pytest.raises(Exception, match="not a phone number"):
        operations.export("bukan nomor")


def test_erase_removes_a_number_and_the_names_given_with_it_everywhere_at_once(app):
    from queue_app.privacy import operations

    client = app.test_client()
    at(date(2026, 12, 6), 20)
    first = book(client, date(2026, 12, 7), name=NAME, phone=PHONE)
    second = book(client, date(2026, 12, 8), name=NAME, phone="+6285712349876", address="192.0.2.1")
    other = book(client, date(2026, 12, 8), name="Orang Lain", phone="081299990000", address="203.0.113.9")
    with app.app_context():  # an event written by an older version kept the address itself
        from queue_app.core.database import begin_write

        begin_write()
        db.session.execute(sa.update(BookingEvent).values(details={"address": "198.51.100.7", "kiosk": "K1"}))
        db.session.commit()
        assert operations.erase(PHONE) == {"booking": 2}
        db.session.commit()
        details = db.session.scalars(sa.select(BookingEvent.details).join(Booking)
                                     .where(Booking.code == first["code"])).all()
        assert details == [{"kiosk": "K1"}]
    rows = _bookings(app)
    for code in (first["code"], second["code"]):
        assert (rows[code].name, rows[code].phone, rows[code].address_key) == (None, None, None)
    assert rows[other["code"]].name == "Orang Lain" and rows[other["code"]].phone == "6281299990000"
    # the visitor's link still works, and shows nothing personal
    view = client.get(f"/api/bookings/{first['token']}").json
    assert view["name"] is None and view["status"] == "booked"
    [entry] = [e for e in _audit(app) if e.action == "privacy_erased"]
    assert entry.target == "6285*******76" and entry.details == {"erased": {"booking": 2}}


def _sqlite_bytes(app) -> bytes:  # noqa: ANN001
    path = db.engine.url.database
    return b"".join(p.read_bytes() for p in (__import__("pathlib").Path(path), __import__("pathlib").Path(path + "-wal"))
                    if p.exists())


def test_an_erased_number_and_name_are_not_left_in_the_sqlite_file(app, db_kind):
    """The file's bytes (and its log's) are searched for the erased number and name: secure_delete overwrote
    the old row, the checkpoint moved the log into the file and emptied it."""
    if db_kind != "sqlite":
        pytest.skip("the PostgreSQL counterpart: test_an_erased_number_is_not_left_in_the_postgres_table")
    from queue_app.privacy import operations

    client = app.test_client()
    at(date(2026, 12, 6), 20)
    for i in range(30):  # other rows around it, on the same pages
        book(client, date(2026, 12, 7 + i % 5), start=f"{8 + i % 7:02d}:{30 * (i % 2):02d}", name=f"Pengunjung {i}",
             phone=f"0813{i:08d}", address=f"10.{i}.0.1")
    book(client, date(2026, 12, 9), name=NAME, phone=PHONE)
    # the booking is also cancelled and re-made, so older versions of its row existed before the erasure
    mine = book(client, date(2026, 12, 10), name=NAME, phone=PHONE, address="192.0.2.200")
    assert client.delete(f"/api/bookings/{mine['token']}").status_code == 200
    with app.app_context():
        db.session.commit()
        assert NAME.encode() in _sqlite_bytes(app)  # the test can see it while it is there
        erased = operations.erase(PHONE)
        db.session.commit()
        operations.scrub(operations.tables_of(erased), full=True)
        assert operations.verify_gone(PHONE) == "the number no longer appears in the database file"
        blob = _sqlite_bytes(app)
        for needle in (NAME, *DIGITS, "0857-1234", "85712349876"):
            assert needle.encode() not in blob, needle
        assert b"Pengunjung 3" in blob  # the others are still there
        assert db.session.execute(sa.text("PRAGMA secure_delete")).scalar() == 1


def test_an_erased_number_is_not_left_in_the_postgres_table(app, db_kind):
    """PostgreSQL keeps an updated row's old version until VACUUM; the erasure vacuums (FULL: the table is
    rewritten) and the table's data file no longer holds the number or the name."""
    if db_kind != "postgres":
        pytest.skip("the SQLite counterpart: test_an_erased_number_and_name_are_not_left_in_the_sqlite_file")
    from queue_app.privacy import operations

    client = app.test_client()
    at(date(2026, 12, 6), 20)
    book(client, date(2026, 12, 9), name=NAME, phone=PHONE)

    def table_bytes() -> bytes:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CHECKPOINT")  # the table's pages written out of shared buffers
            path = conn.exec_driver_sql("SELECT pg_relation_filepath('bookings')").scalar()
            return conn.exec_driver_sql(f"SELECT pg_read_binary_file('{path}')").scalar()

    with app.app_context():
        assert NAME.encode() in table_bytes()
        erased = operations.erase(PHONE)
        db.session.commit()
        assert DIGITS[1].encode() in table_bytes()  # the old row version: an UPDATE alone leaves it
        # other databases' tests may hold transactions open on this shared server: wait them out
        assert operations.scrub(operations.tables_of(erased), full=True, wait=120) == "VACUUM FULL of bookings"
        blob = table_bytes()
        assert NAME.encode() not in blob and DIGITS[1].encode() not in blob


def test_the_privacy_commands_purge_export_and_erase(tmp_path):
    from click.testing import CliRunner

    from queue_app.ops.cli import cli

    cfg = tmp_path / "config.toml"
    cfg.write_text(SITE)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):  # noqa: ANN202
        return runner.invoke(cli, ["--config", str(cfg), *args], input=stdin, catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    database = tmp_path / "instance" / "queue.db"
    from queue_app.core.apply_config import sync_site
    from queue_app.factory import create_app

    site = create_app(config_path=str(cfg))
    with site.app_context():  # the site's services, and a booking for today (not due for the purge yet)
        sync_site(site.extensions["site"])
        db.session.commit()
    with contextlib.closing(sqlite3.connect(database)) as con:
        con.execute("INSERT INTO bookings (service_id, day, start, \"end\", starts_at, ends_at, code, token, status, "
                    "name, phone, created_at) SELECT id, date('now'), '10:00', '10:30', '2026-01-05 03:00:00', "
                    "'2026-01-05 03:30:00', 'ABCDEFGH', 'tok-1', 'expired', ?, ?, '2026-01-04 10:00:00' FROM services "
                    "WHERE code = 'PERIZINAN'", (NAME, DIGITS[0]))
        con.commit()
    exported = run("privacy", "export", "+62 857 1234 9876")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["records"]["booking"][0]["name"] == NAME
    assert run("privacy", "export", "halo").exit_code != 0
    assert run("privacy", "erase", PHONE, stdin="n\n").exit_code != 0  # asks first
    erased = run("privacy", "erase", PHONE, "--yes")
    assert erased.exit_code == 0 and "erased 1 record" in erased.output
    assert "no longer appears in the database file" in erased.output
    assert NAME.encode() not in database.read_bytes()
    purged = run("privacy", "purge")
    assert purged.exit_code == 0 and "erased 0 record(s) older than 30 days" in purged.output
    with contextlib.closing(sqlite3.connect(database)) as con:
        actions = [a for (a,) in con.execute("SELECT action FROM audit_log ORDER BY id")]
        targets = " ".join(t for (t,) in con.execute("SELECT target FROM audit_log"))
    assert actions == ["privacy_exported", "privacy_erased"]  # a purge that erased nothing is not audited
    assert "12349876" not in targets


def test_the_booking_page_says_why_for_how_long_and_links_the_notice(app):
    client = app.test_client()
    page = client.get("/booking").get_data(as_text=True)
    notice = re.search(r'<p class="privacy-notice"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "hanya dipakai untuk reservasi ini" in notice and "30 hari" in notice and 'href="/privacy"' in notice
    english = client.get("/booking?lang=en").get_data(as_text=True)
    assert "kept for 30 days" in english


def test_the_privacy_page_shows_the_sites_notice(app, tmp_path):
    page = app.test_client().get("/privacy")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "sesuai UU 27/2022" in text and "dpo@mpp-uji.example" in text
    assert 'data-retain-days="30"' in text and "Reservasi online" in text
    # without a notice of its own, the site shows the standard text
    with built_app(make_site(tmp_path / "plain"), tmp_path / "plain.db") as plain:
        text = plain.test_client().get("/privacy?lang=en").get_data(as_text=True)
        assert "never linked to your name or number" in text and "30 days" in text


def test_retain_days_is_validated(tmp_path):
    from queue_app.core.siteconfig import ConfigError

    with pytest.raises(ConfigError, match="privacy.retain_days"):
        make_site(tmp_path, TEST_SITE + "\n[privacy]\nretain_days = 0\n")
    with pytest.raises(ConfigError, match="privacy.keep"):
        make_site(tmp_path, TEST_SITE + "\n[privacy]\nkeep = 3\n")
