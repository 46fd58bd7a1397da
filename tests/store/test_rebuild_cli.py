from click.testing import CliRunner
from sqlalchemy import select

from hanano.city import tables as city_tables
from hanano.cli import main
from hanano.domains import REGISTRY
from hanano.store import schema
from hanano.store.engine import make_engine
from hanano.store.rebuild import snapshot


def test_cli_round_trip(db_url: str) -> None:
    runner = CliRunner()
    init = runner.invoke(main, ["--db", db_url, "init", "--aleppo"])
    assert init.exit_code == 0, init.output
    assert "imported 109 Aleppo neighbourhoods" in init.output
    token = runner.invoke(
        main, ["--db", db_url, "token", "create", "--role", "dispatcher", "--name", "night shift"]
    )
    assert token.exit_code == 0, token.output
    assert token.stdout.strip().startswith("hn_")
    report = runner.invoke(
        main,
        [
            "--db",
            db_url,
            "report",
            "--kind",
            "strike",
            "--lat",
            "36.227",
            "--lon",
            "37.2026",
            "--trapped",
            "3",
        ],
    )
    assert report.exit_code == 0, report.output
    assert "→ INC-1" in report.output
    text_report = runner.invoke(
        main, ["--db", db_url, "report", "--kind", "collapse", "--text", "انهيار بناء في حي هنانو"]
    )
    assert "→ INC-1" in text_report.output, text_report.output
    bad = runner.invoke(
        main, ["--db", db_url, "report", "--kind", "strike", "--lat", "95", "--lon", "37"]
    )
    assert bad.exit_code != 0
    assert "lat" in bad.output
    listed = runner.invoke(main, ["--db", db_url, "incidents"])
    assert "INC-1" in listed.output and "Hanano" in listed.output and "reports 2" in listed.output
    alias = runner.invoke(main, ["--db", db_url, "city", "add-alias", "Abu Ali bakery", "N0129"])
    assert alias.exit_code == 0, alias.output
    unknown = runner.invoke(main, ["--db", db_url, "city", "add-alias", "x", "N9999"])
    assert unknown.exit_code != 0 and "N9999" in unknown.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        before = snapshot(conn, REGISTRY)
    engine.dispose()
    rebuilt = runner.invoke(main, ["--db", db_url, "store", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt projections from" in rebuilt.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == before
        assert conn.execute(select(city_tables.aliases.c.pcode)).scalars().all() == ["N0129"]
    engine.dispose()


def test_import_refuses_a_bad_file(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "zones.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"PCODE": "X1"}, "geometry": null}]}'
    )
    result = CliRunner().invoke(main, ["--db", db_url, "city", "import-neighbourhoods", str(bad)])
    assert result.exit_code != 0
    assert "features[0].properties" in result.output and "NAME_EN" in result.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(schema.events)).all() == []
    engine.dispose()
