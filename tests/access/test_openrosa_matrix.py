"""The OpenRosa routes against every role. ODK Collect sends no Authorization header: the
token is in the address, and a role is refused a form by its absence (not listed, 404 to fetch
or to submit), so that a token cannot learn which forms the other roles fill in."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient

from hanano.clock import ManualClock
from hanano.events import ROLES
from tests.field.collect import COLLECT_HEADERS, base, instance, report_xml, submit
from tests.helpers import HANANO

REPORT = {"admin", "dispatcher", "team_leader", "reporter"}
SIGHTING = {"admin", "dispatcher", "spotter"}
HANDED_A_FORM = REPORT | SIGHTING

# (method, route, what is asked, roles allowed), written out so that a change of policy in the
# code must be matched here. A submission of the team status form needs a leader bound to a
# team: tests/field/test_forms.py.
OPENROSA: list[tuple[str, str, str, set[str]]] = [
    ("GET", "/openrosa/key/{token}/formList", "", HANDED_A_FORM),
    ("GET", "/openrosa/key/{token}/forms/{form_file}", "hanano_report", REPORT),
    ("GET", "/openrosa/key/{token}/forms/{form_file}", "hanano_sighting", SIGHTING),
    ("GET", "/openrosa/key/{token}/forms/{form_file}", "hanano_team_status", {"team_leader"}),
    ("HEAD", "/openrosa/key/{token}/submission", "", set(ROLES)),
    ("POST", "/openrosa/key/{token}/submission", "hanano_report", REPORT),
    ("POST", "/openrosa/key/{token}/submission", "hanano_sighting", SIGHTING),
]
OPENROSA_ROUTES = {(method, route) for method, route, _, _ in OPENROSA}


def _ask(client: TestClient, token: str, clock: ManualClock, row: tuple[str, str, str]) -> int:
    method, route, what = row
    if route.endswith("formList"):
        answer = client.get(base(token) + "formList", headers=COLLECT_HEADERS)
        # Everyone may ask; a role handed no form is listed none.
        listed = fromstring(answer.content).findall("{*}xform")
        return answer.status_code if listed else 404
    if method == "GET":
        return client.get(base(token) + f"forms/{what}.xml", headers=COLLECT_HEADERS).status_code
    if method == "HEAD":
        return client.head(base(token) + "submission", headers=COLLECT_HEADERS).status_code
    if what == "hanano_report":
        return submit(client, token, report_xml(clock.now())).status_code
    answers = {
        "aircraft": "drone",
        "activity": "circling",
        "location": f"{HANANO[0]} {HANANO[1]} 0 0",
        "observed_at": clock.now().isoformat(),
    }
    return submit(client, token, instance(what, answers)).status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_openrosa_route(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, role: str
) -> None:
    for method, route, what, allowed in OPENROSA:
        status = _ask(client, tokens[role], clock, (method, route, what))
        if role in allowed:
            assert 200 <= status < 300, (method, route, what, role, status)
        else:
            assert status == 404, (method, route, what, role, status)
