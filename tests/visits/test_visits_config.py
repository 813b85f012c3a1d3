"""config.toml ``then``: a visit's route names known services, each once, each called at some counter."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from queue_app.core.siteconfig import ConfigError, load_site_config, parse_site_config

from ..helpers import VISIT_SITE

ROOT = Path(__file__).resolve().parents[2]


def _parse(mutate) -> None:  # noqa: ANN001
    raw = tomllib.loads(VISIT_SITE)
    mutate(raw)
    parse_site_config(raw, base_dir=Path("."))


def _then(service: int, *codes: str):  # noqa: ANN202
    return lambda raw: raw["services"][service].update(then=list(codes))


def test_the_contracts_example_parses():
    conf = parse_site_config(tomllib.loads(VISIT_SITE), base_dir=Path("."))
    assert conf.service("PBG").then == ("RETRIBUSI", "SERAH")
    assert conf.service("SERAH").then == ()


@pytest.mark.parametrize(("mutate", "message"), [
    (_then(0, "RETRIBUSI", "KASIR"), 'services[0].then: unknown service "KASIR" in the route of PBG'),
    (_then(0, "RETRIBUSI", "RETRIBUSI"),
     'services[0].then: the route of PBG repeats service "RETRIBUSI": a route must not loop'),
    (_then(0, "RETRIBUSI", "PBG"),
     "services[0].then: the route of PBG names the service itself: a route must not loop"),
    (_then(1, "RETRIBUSI"),
     "services[1].then: the route of RETRIBUSI names the service itself: a route must not loop"),
    (_then(0, "RETRIBUSI", 7), "services[0].then[1]: must be a string"),
    (lambda raw: raw["services"][0].update(then="RETRIBUSI"), "services[0].then: must be a list"),
    (_then(0, *[f"S{n}" for n in range(10)]), "services[0].then: the route of PBG may go on to at most 9 services"),
])
def test_a_bad_route_is_refused_naming_the_service(mutate, message):
    with pytest.raises(ConfigError) as err:
        _parse(mutate)
    assert message in str(err.value).splitlines(), str(err.value)


def test_a_step_no_counter_serves_is_refused():
    def drop_cashier(raw: dict) -> None:
        raw["counters"] = [c for c in raw["counters"] if c["code"] != "L02"]

    with pytest.raises(ConfigError, match=r'services\[0\]\.then: no counter serves "RETRIBUSI", a step of the '
                                          r"route of PBG"):
        _parse(drop_cashier)


def test_every_problem_is_reported_at_once():
    def two(raw: dict) -> None:
        raw["services"][0]["then"] = ["NOPE"]
        raw["services"][2]["then"] = ["SERAH"]

    with pytest.raises(ConfigError) as err:
        _parse(two)
    assert len(str(err.value).splitlines()) == 2


def test_the_demo_has_routes_across_agencies_with_their_counters():
    conf = load_site_config(ROOT / "config.toml")
    routes = {s.code: (s.code, *s.then) for s in conf.services if s.then}
    assert routes["PBG"] == ("PBG", "RETRIBUSI", "SERAH")
    assert len(routes) >= 2
    agency = {s.code: s.agency for s in conf.services}
    served = {code for c in conf.counters for code in c.services}
    for route in routes.values():
        assert len({agency[code] for code in route}) >= 2, route  # each crosses agencies
        assert set(route) <= served
