"""Observed times outside the store's window are refused, naming the field, by the API and the CLI;
`since=` filters compare times correctly whatever the year."""

from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanano.cli import main
from hanano.clock import ManualClock
from hanano.service import Service
from hanano.store import schema
from tests.helpers import HANANO, auth, post, report_body

REPORT = ("report", "--kind", "strike", "--text", "Hanano")


def event_count(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())


@pytest.mark.parametrize(
    ("observed_at", "message"),
    [
        ("0039-03-01T10:00:00Z", "earliest"),
        ("0500-01-01T00:00:00Z", "earliest"),
        ("1970-01-01T00:00:00Z", "earliest"),
        ("1999-12-31T23:59:59.999999Z", "earliest"),
        ("2000-01-01T00:30:00+01:00", "earliest"),  # 1999-12-31T23:30Z
        ("9999-12-31T23:59:59Z", "ahead of the server clock"),
        ("39-03-01T10:00:00Z", "four-digit year"),
        ("0", "ISO 8601"),
    ],
)
def test_reports_dated_outside_the_window_are_refused_and_nothing_is_written(
    client: TestClient,
    tokens: dict[str, str],
    clock: ManualClock,
    aleppo: Service,
    observed_at: str,
    message: str,
) -> None:
    before = event_count(aleppo)
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at=observed_at)
    response = post(client, tokens["reporter"], body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "observed_at"
    assert message in error["message"]
    assert event_count(aleppo) == before


def test_the_window_edges_are_accepted(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    for observed_at in ("2000-01-01T00:00:00Z", (clock.now() + timedelta(minutes=10)).isoformat()):
        body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1], observed_at=observed_at)
        assert post(client, tokens["reporter"], body).status_code == 201, observed_at


def test_the_earliest_time_is_a_setting(db_url: str) -> None:
    runner = CliRunner(env={"HANANO_EARLIEST_OBSERVED_AT": "2020-01-01T00:00:00Z"})
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0

    def report(observed_at: str) -> tuple[int, str]:
        result = runner.invoke(
            main,
            ["--db", db_url, *REPORT, "--observed-at", observed_at],
        )
        return result.exit_code, result.output

    code, output = report("2019-12-31T23:00:00Z")
    assert code != 0 and "observed_at" in output and "2020-01-01T00:00:00.000000Z" in output
    code, output = report("2020-01-01T01:00:00+01:00")
    assert code == 0, output


def test_cli_refuses_a_report_dated_before_year_1000(db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "init", "--aleppo"]).exit_code == 0
    for observed_at in ("0039-03-01T10:00:00Z", "1970-01-01T00:00:00Z"):
        result = runner.invoke(
            main,
            ["--db", db_url, *REPORT, "--observed-at", observed_at],
        )
        assert result.exit_code != 0
        assert "observed_at" in result.output
    listed = runner.invoke(main, ["--db", db_url, "incidents", "--json"])
    assert listed.exit_code == 0 and listed.output.strip() == "[]"


def test_since_compares_times_of_any_year(
    client: TestClient, tokens: dict[str, str], clock: ManualClock
) -> None:
    d = tokens["dispatcher"]
    body = report_body(clock.now(), lat=HANANO[0], lon=HANANO[1])
    incident_id = post(client, d, body).json()["incident"]["id"]

    def listed(since: str) -> list[str]:
        response = client.get("/api/v1/incidents", params={"since": since}, headers=auth(d))
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["incidents"]]

    # Unpadded, "39-..." sorted after "2026-..." and an ancient `since` hid every incident.
    assert listed("0039-01-01T00:00:00Z") == [incident_id]
    assert listed("0999-12-31T23:59:59+00:00") == [incident_id]
    assert listed((clock.now() + timedelta(minutes=1)).isoformat()) == []
    stats = client.get(
        "/api/v1/stats/response", params={"since": "0500-01-01T00:00:00Z"}, headers=auth(d)
    )
    assert stats.status_code == 200, stats.text
    for since in ("0", "1700000000", "39-01-01T00:00:00Z", "2026-11-25T10:00:00"):
        for path in ("/api/v1/incidents", "/api/v1/stats/response"):
            response = client.get(path, params={"since": since}, headers=auth(d))
            assert response.status_code == 422, (path, since, response.text)
            assert [e["field"] for e in response.json()["errors"]] == ["since"]
