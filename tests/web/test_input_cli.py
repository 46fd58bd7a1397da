"""The same rules on the command line: the CLI passes the same domain commands as the API.

(NUL cannot reach the CLI: an operating system's argument list cannot carry it.)
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from hanano.cli import main
from hanano.store import schema
from tests.helpers import HANANO, offset


def events(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)
    finally:
        engine.dispose()


@pytest.fixture
def cli(db_url: str) -> CliRunner:
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db_url, "init", "--aleppo"])
    assert result.exit_code == 0, result.output
    return runner


def refused(runner: CliRunner, db_url: str, *args: str) -> str:
    before = events(db_url)
    result = runner.invoke(main, ["--db", db_url, *args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert events(db_url) == before
    return result.output


BASE = offset(*HANANO, north_m=600)


def team_args(name: str, lat: float = BASE[0], lon: float = BASE[1]) -> list[str]:
    return [
        "teams",
        "add",
        "--name",
        name,
        "--base-name",
        "centre",
        "--base-lat",
        str(lat),
        "--base-lon",
        str(lon),
        "--sector",
        "A",
        "--crew",
        "6",
        "--capability",
        "medical",
    ]


def test_overrides_in_names_and_reasons_are_refused(cli: CliRunner, db_url: str) -> None:
    assert "name: contains the bidirectional control character U+202E" in refused(
        cli, db_url, *team_args("Hanano\u202e1-B")
    )
    text = refused(cli, db_url, "report", "--kind", "strike", "--text", "two \u2066trapped")
    assert "text" in text and "U+2066" in text
    reason = refused(
        cli, db_url, "threat", "--lat", str(HANANO[0]), "--lon", str(HANANO[1]),
        "--radius", "200", "--reason", "drone\u202e",
    )  # fmt: skip
    assert "reason" in reason and "U+202E" in reason
    post = refused(cli, db_url, "warn", "add-post", "roof-1", "--name", "\u2067Roof",
                   "--lat", str(BASE[0]), "--lon", str(BASE[1]))  # fmt: skip
    assert "name" in post


def test_places_at_zero_zero_or_outside_the_city_are_refused(cli: CliRunner, db_url: str) -> None:
    assert "base_lat" in refused(cli, db_url, *team_args("Hanano-1", 0.0, 0.0))
    assert "outside the city" in refused(cli, db_url, *team_args("Hanano-1", 33.51, 36.27))
    assert "lat" in refused(cli, db_url, "hospitals", "add", "--name", "Dar", "--lat", "0",
                            "--lon", "0")  # fmt: skip
    assert "lat" in refused(cli, db_url, "warn", "add-post", "roof-1", "--name", "Roof",
                            "--lat", "0", "--lon", "0")  # fmt: skip
    ok = cli.invoke(main, ["--db", db_url, *team_args("Hanano-1")])
    assert ok.exit_code == 0, ok.output
    assert "lat" in refused(cli, db_url, "teams", "position", "T-1", "--lat", "0", "--lon", "0")


@pytest.mark.parametrize("number", ["nan", "inf", "-inf"])
def test_numbers_that_are_not_finite_are_refused(cli: CliRunner, db_url: str, number: str) -> None:
    assert "base_lat" in refused(cli, db_url, *team_args("Hanano-1", float(number), BASE[1]))
    threat = refused(cli, db_url, "threat", "--lat", number, "--lon", str(HANANO[1]),
                     "--radius", "200", "--reason", "drone")  # fmt: skip
    assert "lat" in threat and "finite" in threat
    radius = refused(cli, db_url, "threat", "--lat", str(HANANO[0]), "--lon", str(HANANO[1]),
                     "--radius", number, "--reason", "drone")  # fmt: skip
    assert "radius_m" in radius
    report = refused(cli, db_url, "report", "--kind", "strike", "--lat", number,
                     "--lon", str(HANANO[1]))  # fmt: skip
    assert "lat" in report
