"""A team position dated before year 1000 no longer breaks dispatch: it is refused, and one a store
took before the fix is read back, by every view, the CLI and a rebuild."""

from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.dispatch.events import TeamPositionReported
from hanano.dispatch.tables import teams
from hanano.dispatch.teams import report_position
from hanano.errors import Problem
from hanano.service import Service
from tests.dispatch.support import make_incident, make_team
from tests.helpers import HANANO, auth

OLD_SPELLING = "500-01-01T00:00:00.000000Z"  # what strftime("%Y") wrote for year 500


def dispatch_views(client: TestClient, token: str, incident_id: str) -> dict[str, Any]:
    """Every view that reads team positions; each must answer 200."""
    answers = {
        "teams": client.get("/api/v1/teams", headers=auth(token)),
        "team": client.get("/api/v1/teams/T-1", headers=auth(token)),
        "coverage": client.get("/api/v1/coverage", headers=auth(token)),
        "recommendations": client.get(
            f"/api/v1/incidents/{incident_id}/recommendations", headers=auth(token)
        ),
        "plan": client.post("/api/v1/recommendations/plan", json={}, headers=auth(token)),
        "board": client.get("/api/v1/board", headers=auth(token)),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
    return {name: answer.json() for name, answer in answers.items()}


@pytest.mark.parametrize(
    "observed_at", ["0500-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z"]
)
def test_position_dated_before_the_earliest_time_is_refused(
    client: TestClient,
    aleppo: Service,
    tokens: dict[str, str],
    clock: ManualClock,
    observed_at: str,
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Hanano-1")
    incident_id = make_incident(client, d, clock)
    sent = client.post(
        "/api/v1/teams/T-1/position",
        json={"lat": HANANO[0], "lon": HANANO[1], "observed_at": observed_at},
        headers=auth(d),
    )
    assert sent.status_code == 422, sent.text
    assert [e["field"] for e in sent.json()["errors"]] == ["observed_at"]
    assert "earliest" in sent.json()["errors"][0]["message"]
    assert dispatch_views(client, d, incident_id)["team"]["position"] is None
    # The command itself refuses it, whoever calls it.
    when = clock.now().replace(year=500)
    with pytest.raises(Problem) as caught:
        aleppo.execute(
            lambda tx: report_position(tx, "test", "T-1", HANANO[0], HANANO[1], None, when)
        )
    assert caught.value.errors[0].field == "observed_at"


def test_position_with_a_time_of_another_form_is_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Hanano-1")
    for observed_at in ("500-01-01T00:00:00Z", "2026-11-25T10:00:00", 0, "1764064800"):
        sent = client.post(
            "/api/v1/teams/T-1/position",
            json={"lat": HANANO[0], "lon": HANANO[1], "observed_at": observed_at},
            headers=auth(d),
        )
        assert sent.status_code == 422, (observed_at, sent.text)
        assert [e["field"] for e in sent.json()["errors"]] == ["observed_at"]


def test_a_store_holding_a_year_500_position_from_before_the_fix_still_dispatches(
    client: TestClient, aleppo: Service, tokens: dict[str, str], clock: ManualClock, db_url: str
) -> None:
    d = tokens["dispatcher"]
    make_team(client, d, "Hanano-1")
    make_team(client, d, "Hanano-2")
    incident_id = make_incident(client, d, clock)
    # Logged and projected exactly as the old code did after the 200 it answered.
    old = TeamPositionReported(
        team_id="T-1",
        task_id=None,
        lat=HANANO[0],
        lon=HANANO[1],
        accuracy_m=None,
        observed_at=OLD_SPELLING,
    )
    aleppo.execute(lambda tx: tx.append("old-version", old))
    with aleppo.engine.begin() as conn:
        conn.execute(update(teams).where(teams.c.team_id == "T-1").values(position_at=OLD_SPELLING))

    views = dispatch_views(client, d, incident_id)
    position = views["team"]["position"]
    assert position["stale"] is True and position["age_min"] > 500 * 365 * 24 * 60
    listed = CliRunner().invoke(main, ["--db", db_url, "teams"])
    assert listed.exit_code == 0, listed.output
    assert "Hanano-1" in listed.output

    rebuilt = CliRunner().invoke(main, ["--db", db_url, "store", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    with aleppo.engine.connect() as conn:
        stored = conn.execute(select(teams.c.position_at).where(teams.c.team_id == "T-1"))
        assert stored.scalar_one() == "0500-01-01T00:00:00.000000Z"
    assert dispatch_views(client, d, incident_id)["team"]["position"]["stale"] is True
    assert CliRunner().invoke(main, ["--db", db_url, "teams"]).exit_code == 0
    # A real position still replaces the ancient one.
    sent = client.post(
        "/api/v1/teams/T-1/position", json={"lat": HANANO[0], "lon": HANANO[1]}, headers=auth(d)
    )
    assert sent.status_code == 200, sent.text
    assert dispatch_views(client, d, incident_id)["team"]["position"]["stale"] is False
