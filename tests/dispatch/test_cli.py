"""The operators' CLI twins: a rescue from report to clear, on the command line."""

import json
import re

from click.testing import CliRunner

from hanano.cli import main
from tests.helpers import HANANO, offset


def test_a_rescue_through_the_cli(db_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--db", db_url, *args])
        assert result.exit_code == 0, (args, result.output)
        return result.output

    base = offset(*HANANO, north_m=600)
    run(
        "teams",
        "add",
        "--name",
        "Hanano-1",
        "--base-name",
        "Hanano centre",
        "--base-lat",
        str(base[0]),
        "--base-lon",
        str(base[1]),
        "--sector",
        "A",
        "--crew",
        "6",
        "--capability",
        "heavy_rescue",
        "--capability",
        "medical",
    )
    run(
        "hospitals",
        "add",
        "--name",
        "Field 1",
        "--kind",
        "field_hospital",
        "--lat",
        str(base[0]),
        "--lon",
        str(base[1]),
    )
    reported = run(
        "report",
        "--kind",
        "strike",
        "--lat",
        str(HANANO[0]),
        "--lon",
        str(HANANO[1]),
        "--trapped",
        "3",
    )
    incident = re.search(r"→ (INC-\d+)", reported)
    assert incident is not None
    incident_id = incident.group(1)
    advice = run("recommend", incident_id)
    assert advice.startswith("Send Hanano-1: ")
    planned = run("plan")
    assert "Hanano-1" in planned
    assigned = run("assign", incident_id, "T-1")
    assert "task K-1" in assigned and "recommendation accepted" in assigned
    run("task", "K-1", "en_route")
    run("task", "K-1", "on_scene")
    refused = runner.invoke(main, ["--db", db_url, "task", "K-1", "at_hospital"])
    assert refused.exit_code != 0 and "cannot go from on_scene to at_hospital" in refused.output
    run("worksite", incident_id, "A-1", "--category", "A", "--operation", "breaching")
    run("victim", incident_id, "--status", "trapped", "--worksite", "A-1", "--name", "sealed")
    threat = run(
        "threat",
        "--lat",
        str(HANANO[0]),
        "--lon",
        str(HANANO[1]),
        "--radius",
        "500",
        "--reason",
        "jet overhead",
    )
    order = re.search(r"(PB-\d+): Pull back Hanano-1", threat)
    assert order is not None
    assert "PB-1" in run("board")
    run("acknowledge", order.group(1))
    run("task", "K-1", "transporting", "--hospital", "H-1")
    for state in ("at_hospital", "returning", "available"):
        run("task", "K-1", state)
    teams = json.loads(run("teams", "--json"))
    assert teams[0]["task_id"] is None
    assert "report_to_assigned" in run("response-times")
    assert run("tasks") == ""
    assert "no road graph" in run("roads")
    closed = run(
        "roads", "close", "--lat", str(HANANO[0]), "--lon", str(HANANO[1]), "--reason", "rubble"
    )
    run("roads", "reopen", closed.split()[-1], "--reason", "cleared")
    run("teams", "duty", "T-1", "off_duty")
    run("teams", "position", "T-1", "--lat", str(HANANO[0]), "--lon", str(HANANO[1]))
    run("hospitals", "status", "H-1", "full")
    assert "full" in run("hospitals")
