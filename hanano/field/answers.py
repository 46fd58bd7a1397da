"""What a filled-in form's answers say, in the shape of the record they become.

Answers arrive as text ("36.2 37.1 410.0 5.0" for a point, "2026-12-07T10:20:00.000+03:00" for
a time); each is read into the JSON the domain's own input model checks, so a form answer is
held to exactly the rules of the same field sent through the API.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from hanano.errors import FieldError, Problem
from hanano.events import ReportSource, Role
from hanano.field.openrosa import Submission
from hanano.intake.model import ReportIn
from hanano.warning.sightings import SightingIn
from hanano.web.problems import from_validation_error

M = TypeVar("M", bound=BaseModel)
_SOURCES: dict[Role, ReportSource] = {"team_leader": "team", "spotter": "spotter"}
_INTEGER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def report(sub: Submission, role: Role) -> ReportIn:
    a = sub.answers
    body: dict[str, Any] = {
        "id": str(sub.instance_id),
        "kind": a.get("kind"),
        "observed_at": a.get("observed_at"),
        "text": a.get("text"),
        "trapped": _integer(a.get("trapped")),
        "casualties": _integer(a.get("casualties")),
        "source": _SOURCES.get(role, "citizen"),
    }
    body.update(_point(a.get("location"), "lat", "lon", "accuracy_m"))
    return _model(ReportIn, body)


def sighting(sub: Submission) -> SightingIn:
    a = sub.answers
    body: dict[str, Any] = {
        "id": str(sub.instance_id),
        "observed_at": a.get("observed_at"),
        "aircraft": a.get("aircraft"),
        "activity": a.get("activity"),
        "bearing_deg": _decimal(a.get("bearing_deg")),
        "heading_deg": _decimal(a.get("heading_deg")),
        "text": a.get("text"),
    }
    point = _point(a.get("location"), "lat", "lon", "accuracy_m")
    point.pop("accuracy_m", None)
    body.update(point)
    return _model(SightingIn, body)


def team_status(sub: Submission) -> tuple[tuple[float, float, float | None], datetime, str | None]:
    """The team's position, when it was taken, and the check-in note if any."""
    a = sub.answers
    point = _point(a.get("location"), "lat", "lon", "accuracy_m")
    if not point:
        raise _invalid("location", "the team's position is required")
    try:
        when = datetime.fromisoformat(a.get("observed_at") or "")
    except ValueError:
        raise _invalid("observed_at", "must be a date and time") from None
    if when.tzinfo is None:
        raise _invalid("observed_at", "must carry its offset from UTC")
    return (point["lat"], point["lon"], point.get("accuracy_m")), when, a.get("note")


def position(sub: Submission) -> tuple[float, float] | None:
    """Where a form says it was filled in, if it gives a valid point."""
    try:
        point = _point(sub.answers.get("location"), "lat", "lon", "accuracy_m")
    except Problem:
        return None
    return (point["lat"], point["lon"]) if point else None


def _model(model: type[M], body: dict[str, Any]) -> M:
    given = {k: v for k, v in body.items() if v is not None}
    try:
        return model.model_validate_json(orjson.dumps(given))
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _integer(text: str | None) -> int | str | None:
    # A text that is no integer is passed on as text, for the model to refuse by its name.
    return int(text) if text is not None and _INTEGER.match(text) else text


def _decimal(text: str | None) -> float | str | None:
    return float(text) if text is not None and _DECIMAL.match(text) else text


def _point(text: str | None, lat: str, lon: str, accuracy: str) -> dict[str, Any]:
    """An ODK geopoint, "lat lon [altitude [accuracy]]"; an accuracy of 0 means none given."""
    if text is None:
        return {}
    parts = text.split()
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL.match(p) for p in parts):
        raise _invalid("location", f"{text[:60]!r} is not 'latitude longitude'")
    numbers = [float(p) for p in parts]
    found: dict[str, Any] = {lat: numbers[0], lon: numbers[1]}
    if len(numbers) == 4 and numbers[3] > 0:
        found[accuracy] = numbers[3]
    return found


def _invalid(name: str, message: str) -> Problem:
    return Problem(422, "Invalid submission", f"{name} {message}", [FieldError(name, message)])
