"""Who may give priority (issue 30): a kiosk (the visitor chooses it), an admin, a clerk for the services of
their counters, a manager for their agency's services; any other staff member asking for it gets 403
``priority_not_allowed``. docs/security.md states the rule and names these tests."""

from __future__ import annotations

import pytest

from ..helpers import take_ticket

pytestmark = pytest.mark.both_databases


def _priority(client, headers, service: str, **body):  # noqa: ANN001, ANN202
    return client.post("/api/tickets", json={"service": service, "priority": True, **body}, headers=headers)


@pytest.mark.parametrize(("role", "counters", "agency", "service", "allowed"), [
    ("admin", [], None, "HALAL", True),
    ("clerk", ["L01"], None, "PERIZINAN", True),   # L01 serves PERIZINAN and NONIZIN
    ("clerk", ["L01"], None, "NONIZIN", True),
    ("clerk", ["L01"], None, "HALAL", False),      # only L03 serves HALAL
    ("clerk", [], None, "PERIZINAN", False),       # a clerk with no counter gives none
    ("manager", [], "DINKOPUKM", "HALAL", True),   # their own agency's service
    ("manager", [], "DINKOPUKM", "PERIZINAN", False),  # another agency's
    ("manager", [], None, "PERIZINAN", True),      # a manager of the whole site
])
def test_staff_give_priority_only_where_they_may(client, staff, role, counters, agency, service, allowed):
    headers = staff.headers("petugas", role, counters, agency=agency)
    resp = _priority(client, headers, service)
    if allowed:
        assert resp.status_code == 201 and resp.json["priority"] is True, resp.text
    else:
        assert resp.status_code == 403 and resp.json["error"]["code"] == "priority_not_allowed", resp.text
        assert client.get("/api/services").json[[s["code"] for s in client.get("/api/services").json]
                                                .index(service)]["waiting"] == 0
    # an ordinary ticket (an information desk) is anyone's to issue
    assert client.post("/api/tickets", json={"service": service}, headers=headers).status_code == 201


def test_naming_a_kiosk_does_not_widen_what_staff_may_give(client, staff):
    outsider = staff.headers("kepala-halal", "manager", agency="DINKOPUKM")
    resp = _priority(client, outsider, "PERIZINAN", kiosk="K2")
    assert resp.status_code == 403 and resp.json["error"]["code"] == "priority_not_allowed"


def test_a_kiosk_still_gives_priority_to_whoever_asks_for_it_there(client):
    resp = take_ticket(client, "PERIZINAN", priority=True)
    assert resp.status_code == 201 and resp.json["priority"] is True
