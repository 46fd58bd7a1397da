"""Before an operator issues an alert: how many zones and which teams on duty it would reach
(a team whose base lies in a chosen zone, or whose current task's site does), as the server
counts them; asking writes nothing and is for those who may issue alerts."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from tests.dispatch.support import assign, make_incident, make_team
from tests.helpers import HANANO, SAKHOUR, auth, offset
from tests.warning.common import HANANO_PCODE

SAKHOUR_PCODE = "N0139"


def preview(client: TestClient, token: str, zones: list[str]) -> Any:
    return client.post("/api/v1/alerts/preview", json={"zones": zones}, headers=auth(token))


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def test_preview_counts_teams_by_base_and_by_task_site_and_writes_nothing(
    client: TestClient, tokens: dict[str, str], aleppo: Service, clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    near_hanano = offset(*HANANO, north_m=50)
    based = make_team(client, d, "Hanano base", at=near_hanano)["id"]
    off = make_team(client, d, "Hanano off duty", at=near_hanano)["id"]
    duty = client.post(
        f"/api/v1/teams/{off}/duty", json={"duty": "off_duty", "reason": "rest"}, headers=auth(d)
    )
    assert duty.status_code in (200, 201), duty.text
    working = make_team(client, d, "Sakhour base", at=SAKHOUR)["id"]
    incident = make_incident(client, d, clock, at=HANANO)
    assign(client, d, incident, working)
    before = event_count(aleppo)

    hanano = preview(client, d, [HANANO_PCODE])
    assert hanano.status_code == 200, hanano.text
    assert hanano.json() == {"zones": 1, "teams": 2, "team_ids": sorted([based, working])}
    sakhour = preview(client, tokens["admin"], [SAKHOUR_PCODE, SAKHOUR_PCODE]).json()
    assert sakhour == {"zones": 1, "teams": 1, "team_ids": [working]}
    both = preview(client, d, [HANANO_PCODE, SAKHOUR_PCODE]).json()
    assert (both["zones"], both["teams"]) == (2, 2)
    assert preview(client, d, []).json() == {"zones": 0, "teams": 0, "team_ids": []}
    assert preview(client, d, ["N0221"]).json()["teams"] == 0
    assert event_count(aleppo) == before


def test_preview_refuses_unknown_zones_and_other_roles(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    before = event_count(aleppo)
    unknown = preview(client, tokens["dispatcher"], [HANANO_PCODE, "X9999"])
    assert unknown.status_code == 422
    assert "X9999" in unknown.text and "zones" in unknown.text
    malformed = client.post(
        "/api/v1/alerts/preview", json={"zones": "N0129"}, headers=auth(tokens["dispatcher"])
    )
    assert malformed.status_code == 422 and "zones" in malformed.text
    for role in ("team_leader", "spotter", "reporter", "auditor"):
        refused = preview(client, tokens[role], [HANANO_PCODE])
        assert refused.status_code == 403, (role, refused.text)
    assert client.post("/api/v1/alerts/preview", json={"zones": [HANANO_PCODE]}).status_code in (
        401,
        403,
    )
    assert event_count(aleppo) == before
