"""A team leader acts only for the team they lead; dispatchers and admins act for any team."""

from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.access.events import TokenCreated
from hanano.access.tokens import TokenAuthority, hash_token
from hanano.cli import main
from hanano.clock import ManualClock
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store import schema
from hanano.store.rebuild import rebuild, snapshot
from hanano.store.records import RecordedEvent
from tests.dispatch.support import assign, leader_token, make_incident, make_team, move
from tests.helpers import HANANO, auth, offset

PASSWORD = "correct horse battery"


def _event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


def _two_teams(client: TestClient, tokens: dict[str, str]) -> tuple[str, str]:
    d = tokens["dispatcher"]
    own = make_team(client, d, "Hanano-1")["id"]
    other = make_team(client, d, "Hanano-2", at=offset(*HANANO, north_m=800))["id"]
    return own, other


def test_token_bound_to_a_team_and_shown_by_me(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    own, _ = _two_teams(client, tokens)
    issued = client.post(
        "/api/v1/tokens",
        json={"role": "team_leader", "name": "Khaled", "team": own},
        headers=auth(tokens["admin"]),
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["team"] == own
    me = client.get("/api/v1/me", headers=auth(issued.json()["token"])).json()
    assert me == {
        "token_id": issued.json()["token_id"],
        "role": "team_leader",
        "team": own,
        "post": None,
        "may": me["may"],
    }
    # Acting for a team is offered for their own team only; dispatching not at all.
    assert me["may"]["move_task"] == [own] and me["may"]["acknowledge_pullback"] == [own]
    # Writing about an incident only where the team was sent: nowhere yet.
    assert me["may"]["set_incident_status"] == [] and me["may"]["assign_team"] is False
    plain = client.get("/api/v1/me", headers=auth(tokens["dispatcher"])).json()
    assert plain["team"] is None


def test_binding_refused_for_unknown_team_or_other_role_and_nothing_written(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    own, _ = _two_teams(client, tokens)
    admin = tokens["admin"]
    before = _event_count(aleppo)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/api/v1/tokens", {"role": "team_leader", "team": "T-99"}, "team T-99 does not exist"),
        ("/api/v1/tokens", {"role": "spotter", "team": own}, "only a team_leader"),
        (
            "/api/v1/users",
            {"username": "omar", "role": "team_leader", "password": PASSWORD, "team": "T-99"},
            "team T-99 does not exist",
        ),
        (
            "/api/v1/users",
            {"username": "rami", "role": "dispatcher", "password": PASSWORD, "team": own},
            "only a team_leader",
        ),
    ]
    for url, body, words in cases:
        response = client.post(url, json=body, headers=auth(admin))
        assert response.status_code == 422, (url, body, response.text)
        problem = response.json()
        assert words in problem["detail"]
        assert [e["field"] for e in problem["errors"]] == ["team"]
    assert _event_count(aleppo) == before


def test_own_team_allowed_other_team_refused_naming_it(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    d = tokens["dispatcher"]
    own, other = _two_teams(client, tokens)
    leader = leader_token(client, tokens["admin"], own)
    incident = make_incident(client, d, clock, kind="strike")
    own_task = assign(client, d, incident, own)["id"]
    other_task = assign(client, d, incident, other)["id"]

    def field_calls(team: str, task: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (f"/api/v1/teams/{team}/position", {"lat": HANANO[0], "lon": HANANO[1]}),
            (f"/api/v1/teams/{team}/checkin", {"note": "all well"}),
            (f"/api/v1/tasks/{task}/transition", {"state": "en_route"}),
        ]

    before = _event_count(aleppo)
    for url, body in field_calls(other, other_task):
        refused = client.post(url, json=body, headers=auth(leader))
        assert refused.status_code == 403, (url, refused.text)
        assert refused.json()["detail"] == (
            f"the team_leader of team {own} may not act for team {other}"
        )
    assert _event_count(aleppo) == before
    for url, body in field_calls(own, own_task):
        allowed = client.post(url, json=body, headers=auth(leader))
        assert allowed.status_code == 200, (url, allowed.text)

    move(client, d, own_task, "on_scene")
    move(client, d, other_task, "on_scene")
    threat = client.post(
        "/api/v1/threats",
        json={"lat": HANANO[0], "lon": HANANO[1], "radius_m": 500, "reason": "jet circling"},
        headers=auth(d),
    )
    orders = {o["team_id"]: o["id"] for o in threat.json()["pullbacks"]}
    assert set(orders) == {own, other}
    refused = client.post(
        f"/api/v1/pullbacks/{orders[other]}/acknowledge", json={}, headers=auth(leader)
    )
    assert refused.status_code == 403 and f"may not act for team {other}" in refused.text
    ack = client.post(f"/api/v1/pullbacks/{orders[own]}/acknowledge", json={}, headers=auth(leader))
    assert ack.status_code == 200, ack.text

    duty = client.post(
        f"/api/v1/teams/{other}/duty", json={"duty": "unavailable"}, headers=auth(leader)
    )
    assert duty.status_code == 403 and f"team {other}" in duty.json()["detail"]
    # A dispatcher acts for any team.
    for url, body in field_calls(other, other_task)[:2]:
        assert client.post(url, json=body, headers=auth(d)).status_code == 200
    # A record that does not exist is still a 404, not a 403.
    missing = client.post(
        "/api/v1/tasks/K-999/transition", json={"state": "en_route"}, headers=auth(leader)
    )
    assert missing.status_code == 404


def test_unbound_team_leader_token_is_refused_for_every_team(
    client: TestClient, tokens: dict[str, str]
) -> None:
    own, _ = _two_teams(client, tokens)
    response = client.post(
        f"/api/v1/teams/{own}/position",
        json={"lat": HANANO[0], "lon": HANANO[1]},
        headers=auth(tokens["team_leader"]),
    )
    assert response.status_code == 403
    assert "this team_leader token has no team" in response.json()["detail"]
    # Reading stays open to the role.
    assert client.get("/api/v1/teams", headers=auth(tokens["team_leader"])).status_code == 200


def test_logged_in_team_leader_carries_their_team(
    client: TestClient, tokens: dict[str, str]
) -> None:
    own, other = _two_teams(client, tokens)
    created = client.post(
        "/api/v1/users",
        json={"username": "khaled", "role": "team_leader", "password": PASSWORD, "team": own},
        headers=auth(tokens["admin"]),
    )
    assert created.status_code == 201, created.text
    assert created.json()["team"] == own
    listed = client.get("/api/v1/users", headers=auth(tokens["admin"])).json()["users"]
    assert [u["team"] for u in listed if u["username"] == "khaled"] == [own]
    csrf = client.get("/api/v1/session").json()["csrf"]
    login = client.post(
        "/api/v1/session",
        json={"username": "khaled", "password": PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    assert login.status_code == 200, login.text
    assert client.get("/api/v1/me").json()["team"] == own
    csrf = client.get("/api/v1/session").json()["csrf"]
    refused = client.post(
        f"/api/v1/teams/{other}/position",
        json={"lat": HANANO[0], "lon": HANANO[1]},
        headers={"X-CSRF-Token": csrf},
    )
    assert (
        refused.status_code == 403
        and f"team {own} may not act for team {other}" in (refused.json()["detail"])
    )


def test_binding_survives_a_rebuild_and_old_entries_replay_unbound(
    client: TestClient, tokens: dict[str, str], aleppo: Service
) -> None:
    own, _ = _two_teams(client, tokens)
    leader_token(client, tokens["admin"], own)
    with aleppo.engine.connect() as conn:
        before = snapshot(conn, REGISTRY)
    assert [row[1] for row in before["leader_teams"]] == [own]
    rebuild(aleppo.engine, REGISTRY)
    with aleppo.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == before
    # An entry written before tokens had a team: its data has no "team" key at all.
    secret = "hn_issued-before-teams"
    old = TokenCreated(
        token_id="tok_old", role="team_leader", name=None, token_hash=hash_token(secret)
    )
    data = old.model_dump(mode="json")
    del data["team"]
    recorded = RecordedEvent(
        seq=10_000,
        time="2014-03-01T10:00:00.000000Z",
        actor="cli",
        type=TokenCreated.type,
        version=TokenCreated.version,
        data=data,
        canonical=b"",
        leaf_hash=b"",
    )
    with aleppo.engine.begin() as conn:
        REGISTRY.apply(conn, recorded)
    principal = TokenAuthority(aleppo.engine, aleppo.settings.auth_cache_s).authenticate(secret)
    assert principal is not None
    assert (principal.role, principal.team) == ("team_leader", None)
    refused = client.post(f"/api/v1/teams/{own}/checkin", json={"note": "ok"}, headers=auth(secret))
    assert refused.status_code == 403 and "has no team" in refused.json()["detail"]


def test_cli_binds_tokens_and_users(db_url: str) -> None:
    runner = CliRunner()

    def run(*args: str, ok: bool = True, stdin: str | None = None) -> str:
        result = runner.invoke(main, ["--db", db_url, *args], input=stdin)
        assert (result.exit_code == 0) == ok, (args, result.output)
        return result.output

    run("init")
    here = offset(*HANANO, north_m=200)
    run(
        *("teams", "add", "--name", "Hanano-1", "--base-name", "Hanano centre"),
        *("--base-lat", str(here[0]), "--base-lon", str(here[1]), "--sector", "A"),
        *("--crew", "6", "--capability", "light_rescue"),
    )
    out = run("token", "create", "--role", "team_leader", "--team", "T-1", "--name", "Khaled")
    assert "for team T-1" in out
    assert "team T-9 does not exist" in run(
        "token", "create", "--role", "team_leader", "--team", "T-9", ok=False
    )
    assert "only a team_leader" in run(
        "token", "create", "--role", "spotter", "--team", "T-1", ok=False
    )
    listed = run("token", "list")
    assert "\tteam_leader\tT-1\t" in listed
    out = run(
        *("user", "create", "--username", "khaled", "--role", "team_leader"),
        *("--team", "T-1", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert "(team_leader, team T-1)" in out
    assert "khaled\tteam_leader\tT-1" in run("user", "list")
