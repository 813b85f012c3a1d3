"""config.toml: the demo loads, and a bad file is refused with the key and the problem named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from queue_app.core.siteconfig import ConfigError, load_site_config, parse_site_config

from ..helpers import TEST_SITE

ROOT = Path(__file__).resolve().parents[2]


def test_demo_config_is_valid():
    conf = load_site_config(ROOT / "config.toml")
    assert conf.name == "Mal Pelayanan Publik Kota Cilegon"
    assert len(conf.agencies) == 10
    assert {a.code for a in conf.agencies} >= {"DPMPTSP", "DINKOPUKM", "DLH", "DINDIKBUD"}
    assert {"BHKOP", "KONSKOP", "IZINUKM", "HALAL"} <= {s.code for s in conf.services}
    assert conf.database_url.startswith("sqlite:////")  # made absolute next to the file
    assert conf.zones == ("lantai-1", "lantai-2")


def test_demo_calendar_is_the_2026_decree_and_a_five_day_week():
    """The demo ships the SKB 3 Menteri 2026 list: 17 national holidays + 8 cuti bersama, Friday prayer break."""
    from datetime import date

    from queue_app.core.calendar import open_ranges

    conf = load_site_config(ROOT / "config.toml")
    assert len(conf.holidays) == 25
    assert sum(name.startswith("Cuti Bersama") for name in conf.holidays.values()) == 8
    assert all(day.year == 2026 for day in conf.holidays)
    assert conf.holidays[date(2026, 12, 25)] == "Hari Raya Natal"
    assert conf.holidays[date(2026, 8, 17)].startswith("Proklamasi")
    fri = [(r.start.strftime("%H:%M"), r.end.strftime("%H:%M")) for r in open_ranges(None, date(2026, 12, 4), conf)]
    assert fri == [("08:00", "11:30"), ("13:00", "15:00")]
    assert open_ranges(None, date(2026, 12, 5), conf) == ()  # Saturday
    assert open_ranges("PERIZINAN", date(2026, 12, 24), conf) == ()  # cuti bersama Natal


def test_config_path_from_environment(monkeypatch, tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(TEST_SITE)
    monkeypatch.setenv("MPP_QUEUE_CONFIG", str(path))
    assert load_site_config().name == "MPP Uji"


def _edit(mutate) -> dict:
    raw = tomllib.loads(TEST_SITE)
    mutate(raw)
    return raw


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda r: r["services"][1].update(agency="DINAS_X"), 'services[1].agency: unknown agency "DINAS_X"'),
    (lambda r: r["services"][1].update(prefix="A"), 'services[1].prefix: duplicate prefix "A"'),
    (lambda r: r["services"][1].update(prefix="a1"), "services[1].prefix: must be one to three capital letters"),
    (lambda r: r["counters"][0].update(services=["PERIZINAN", "GHOST"]), 'counter L01 serves unknown service "GHOST"'),
    (lambda r: r["site"].update(timezone="Asia/Cilegon"), 'site.timezone: unknown time zone "Asia/Cilegon"'),
    (lambda r: r["services"][0].update(hours="15:00-08:00"), "services[0].hours: the window"),
    (lambda r: r["services"][0].update(hours="8-15"), 'services[0].hours: must look like "08:00-15:00"'),
    (lambda r: r["services"][0].update(daily_quota=-1), "services[0].daily_quota: must be at least 0"),
    (lambda r: r["services"][0].update(target_wait_minutes="15"), "services[0].target_wait_minutes: must be a whole number"),
    (lambda r: r["agencies"].append({"code": "DPMPTSP", "name": "x"}), 'agencies[2].code: duplicate code "DPMPTSP"'),
    (lambda r: r["kiosks"][1].update(printer="nope"), 'kiosks[1].printer: kiosk K2 uses unknown printer "nope"'),
    (lambda r: r["printers"][0].update(kind="laser"), "printers[0].kind: must be one of"),
    (lambda r: r["printers"][0].update(kind="network"), "printers[0].host: a network printer needs a host"),
    (lambda r: r["site"].update(locale="fr"), 'site.locale: must be "id" or "en"'),
    (lambda r: r["services"][0].update(colour="red"), "services[0].colour: unknown key"),
    (lambda r: r.pop("site"), "[site]: missing table"),
    (lambda r: r["site"].pop("name"), "site.name: missing"),
    (lambda r: r.update(services=[]), "[[services]]: at least one entry is needed"),
])
def test_bad_config_names_key_and_problem(tmp_path, mutate, message):
    with pytest.raises(ConfigError) as err:
        parse_site_config(_edit(mutate), base_dir=tmp_path)
    assert message in str(err.value)


@pytest.mark.parametrize(("table", "typo", "value"), [
    ("server", "databse_url", "postgresql+psycopg://u@h/db"),
    ("site", "time_zone", "Asia/Makassar"),
    ("display", "number_readings", "whole"),
])
def test_misspelt_key_is_refused_not_ignored(tmp_path, table, typo, value):
    # A typo used to be dropped, so the site quietly ran on the default (SQLite for database_url)
    raw = _edit(lambda r: r.setdefault(table, {}).update({typo: value}))
    with pytest.raises(ConfigError) as err:
        parse_site_config(raw, base_dir=tmp_path)
    assert f"{table}.{typo}: unknown key" in str(err.value)


def test_misspelt_database_url_in_a_file_does_not_fall_back_to_sqlite(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(TEST_SITE + '\n[server]\ndatabase_uri = "postgresql+psycopg://u@h/db"\n')
    with pytest.raises(ConfigError, match=r"server\.database_uri: unknown key"):
        load_site_config(path)
    path.write_text(TEST_SITE + '\n[server]\ndatabase_url = "postgresql+psycopg://u@h/db"\n')
    assert load_site_config(path).database_url == "postgresql+psycopg://u@h/db"


def test_every_problem_is_reported_at_once(tmp_path):
    def mutate(r):
        r["services"][0].update(daily_quota=-1, colour="red")
        r["site"]["locale"] = "fr"

    with pytest.raises(ConfigError) as err:
        parse_site_config(_edit(mutate), base_dir=tmp_path)
    assert str(err.value).splitlines() == [
        'site.locale: must be "id" or "en", not "fr"',
        "services[0].daily_quota: must be at least 0",
        "services[0].colour: unknown key",
    ]


def test_loaded_configuration_cannot_be_changed(tmp_path):
    conf = parse_site_config(tomllib.loads(TEST_SITE), base_dir=tmp_path)
    with pytest.raises(ValueError, match="frozen"):
        conf.name = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        conf.services[0].prefix = "Z"  # type: ignore[misc]
    assert isinstance(conf.services, tuple) and isinstance(conf.counters[0].services, tuple)


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_site_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_site_config(bad)


def test_environment_overrides_database_and_message_queue(monkeypatch, tmp_path):
    monkeypatch.setenv("MPP_QUEUE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("MPP_QUEUE_MESSAGE_QUEUE", "redis://h:6379/0")
    conf = parse_site_config(tomllib.loads(TEST_SITE), base_dir=tmp_path)
    assert conf.database_url == "postgresql+psycopg://u@h/db"
    assert conf.message_queue == "redis://h:6379/0"


def test_sync_adds_updates_and_keeps_removed_service(app, site, tmp_path):
    import sqlalchemy as sa

    from queue_app.core.apply_config import sync_site
    from queue_app.core.extensions import db
    from queue_app.core.models import Service
    from queue_app.queue import operations
    from queue_app.queue.models import Ticket

    with app.app_context():
        operations.issue_ticket("HALAL")
        db.session.commit()
        raw = tomllib.loads(TEST_SITE)
        raw["services"] = [s for s in raw["services"] if s["code"] != "HALAL"]
        raw["services"][0]["name"] = "Perizinan Berusaha (OSS)"
        raw["counters"] = [c for c in raw["counters"] if c["code"] != "L03"]
        raw["kiosks"][1]["services"] = ["PERIZINAN"]
        sync_site(parse_site_config(raw, base_dir=tmp_path))
        db.session.commit()
        halal = db.session.scalar(sa.select(Service).where(Service.code == "HALAL"))
        assert halal.active is False
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(sa.select(Service.name).where(Service.code == "PERIZINAN")) == "Perizinan Berusaha (OSS)"


def test_applying_config_toml_tells_whether_it_changed_anything(app, site, caplog):
    """The start and every command apply config.toml; only a change is worth a line in the log."""
    import logging

    from queue_app.core.apply_config import sync_site
    from queue_app.core.extensions import db

    with app.app_context(), caplog.at_level(logging.DEBUG, logger="queue_app.core.apply_config"):
        assert sync_site(site) is False  # built_app applied it already
        db.session.commit()
        renamed = site.model_copy(update={"counters": tuple(
            c.model_copy(update={"name": "Loket Satu"}) if c.code == "L01" else c for c in site.counters)})
        assert sync_site(renamed) is True
        db.session.commit()
    levels = [(r.levelno, r.getMessage().split(":")[0]) for r in caplog.records]
    assert levels == [(logging.DEBUG, "config.toml unchanged"), (logging.INFO, "config.toml applied")]
