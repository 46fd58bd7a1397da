"""The radio log: a line typed in the operations room as it is heard on the radio, read into
the command it stands for, and shown to the dispatcher before anything is written.

`understand` writes nothing. It answers with what it understood (kind, team, place by name,
counts, and why a number heard beside a count's word was not taken for one, aircraft and
heading) and the request that saves it through the API that already
exists: `POST /api/v1/reports`, `POST /api/v1/sightings` (each with the line's own id, so a
retry of Enter is recognised and writes nothing twice), a task's transition or a team's
check-in. That request is checked here by the same checks its route runs, so what the preview
shows is what the save will do. A line that cannot be read is refused with 422, each part that
was not understood named (`errors[].field`: text, what, team, step, place, task).
"""

from __future__ import annotations

import uuid
from typing import Any

from hanano.access.tokens import Principal
from hanano.city.model import City
from hanano.clock import isoformat
from hanano.dispatch import api as dispatch_api
from hanano.dispatch import tasks
from hanano.domain import Runtime
from hanano.errors import FieldError, Problem
from hanano.field import radio_text, sms_text
from hanano.field.radio_text import Reading
from hanano.intake import api as intake_api
from hanano.intake.model import MAX_TEXT, ReportIn
from hanano.warning import api as warning_api
from hanano.warning.sightings import SightingIn

# A radio line is one breath: a few words, never a document.
MAX_LINE = 500
SOURCE = "radio_log"


def understand(runtime: Runtime, who: Principal, text: str) -> dict[str, Any]:
    """What a radio line says and the request that records it; 422 naming what was not
    understood. Writes nothing."""
    line = _line(text)
    teams = dispatch_api.list_teams(runtime)
    team_id, unknown = radio_text.team_named(line, teams)
    reading = radio_text.read(line, team_id, unknown)
    city = runtime.city()
    match = city.place_text(line)
    place = None if match is None else _place(city, match.pcode, match.matched)
    missing = list(reading.missing)
    if not missing and reading.heard in ("report", "sighting") and place is None:
        missing.append(
            FieldError("place", "no neighbourhood, street or landmark the city knows is named")
        )
    if missing:
        raise _not_understood(line, missing)
    team = next((t for t in teams if t["id"] == team_id), None)
    understood = _understood(reading, place, team)
    return {
        "text": line,
        "kind": reading.heard,
        "understood": understood,
        "request": _request(runtime, who, line, reading, team, place),
    }


def _line(text: str) -> str:
    refused = sms_text.refusal(text)
    line = sms_text.clean(text)
    if refused is not None:
        raise _not_understood(line[:80], [FieldError("text", refused)])
    if not line:
        raise _not_understood("", [FieldError("text", "the line is empty")])
    if len(line) > MAX_LINE:
        raise _not_understood(
            line[:80], [FieldError("text", f"{len(line)} characters; a radio line has {MAX_LINE}")]
        )
    return line


def _not_understood(line: str, missing: list[FieldError]) -> Problem:
    parts = "; ".join(f"{e.field}: {e.message}" for e in missing)
    return Problem(422, "Not understood", f"not understood in “{line}”: {parts}", missing)


def _place(city: City, pcode: str, matched: str) -> dict[str, Any]:
    zone = city.neighbourhoods[pcode]
    return {"pcode": pcode, "name": zone.name_en, "name_ar": zone.name_ar, "matched": matched}


def _understood(
    reading: Reading, place: dict[str, Any] | None, team: dict[str, Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"place": place}
    if team is not None:
        out["team"] = {"id": team["id"], "name": team["name"], "name_ar": team["name_ar"]}
    if reading.heard == "report":
        out.update(
            report_kind=reading.report_kind,
            trapped=reading.trapped,
            casualties=reading.casualties,
            # Why a number heard beside "trapped" or "dead" is not in the counts above.
            not_counted=list(reading.not_counted),
        )
    elif reading.heard == "step":
        out["state"] = reading.state
    elif reading.heard == "sighting":
        out.update(
            aircraft=reading.aircraft,
            activity=_activity(reading),
            heading_deg=reading.heading_deg,
        )
    return out


def _activity(reading: Reading) -> str:
    return "circling" if reading.circling else "over"


def _request(
    runtime: Runtime,
    who: Principal,
    line: str,
    reading: Reading,
    team: dict[str, Any] | None,
    place: dict[str, Any] | None,
) -> dict[str, Any]:
    """The request that saves the line, checked as its route will check it."""
    now = runtime.clock.now()
    if reading.heard == "report":
        report = ReportIn.model_validate(
            {
                "id": str(uuid.uuid4()),
                "kind": reading.report_kind,
                "observed_at": now,
                "text": line[:MAX_TEXT],
                "trapped": reading.trapped,
                "casualties": reading.casualties,
                "source": SOURCE,
            },
            strict=False,
        )
        intake_api.report_command(runtime, who, report)
        body = report.model_dump(mode="json", exclude_none=True)
        return _post("/api/v1/reports", {**body, "observed_at": isoformat(now)})
    if reading.heard == "sighting":
        assert place is not None and reading.aircraft is not None
        sighting = SightingIn.model_validate(
            {
                "id": str(uuid.uuid4()),
                "observed_at": now,
                "aircraft": reading.aircraft,
                "activity": _activity(reading),
                "pcode": place["pcode"],
                "heading_deg": reading.heading_deg,
                "text": line,
                "source": SOURCE,
            },
            strict=False,
        )
        warning_api.sighting_command(runtime, who, sighting)
        body = sighting.model_dump(mode="json", exclude_none=True)
        return _post("/api/v1/sightings", {**body, "observed_at": isoformat(now)})
    assert team is not None
    return _team_request(runtime, team, reading, line)


def _team_request(
    runtime: Runtime, team: dict[str, Any], reading: Reading, line: str
) -> dict[str, Any]:
    note = f"radio: {line}"
    if reading.heard == "check_in":
        return _post(f"/api/v1/teams/{team['id']}/checkin", {"note": note})
    if team["task_id"] is None:
        raise _not_understood(line, [FieldError("task", f"team {team['id']} has no task")])
    task = dispatch_api.get_task(runtime, team["task_id"])
    if reading.state not in task["legal_next"]:
        legal = ", ".join(task["legal_next"]) or "none"
        raise _not_understood(
            line,
            [
                FieldError(
                    "task",
                    f"task {task['id']} of team {team['id']} is {task['state']}; "
                    f"{reading.state} is not its next step (next: {legal})"
                    + tasks.skipped(task["state"], reading.state or ""),
                )
            ],
        )
    return _post(f"/api/v1/tasks/{task['id']}/transition", {"state": reading.state, "reason": note})


def _post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"method": "POST", "path": path, "body": body}
