"""What a report looks like on the way in."""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Annotated, Any
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field

from hanano.events import ReportKind, ReportSource
from hanano.timestamps import Timestamp

MAX_TEXT = 4000


class ReportIn(BaseModel):
    """A report of a strike or its consequences, from anyone."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Annotated[UUID, Field(description="The sender's own UUID; a retry reuses it.")]
    kind: ReportKind
    observed_at: Annotated[Timestamp, Field(description="When it was seen, with offset.")]
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    accuracy_m: Annotated[float | None, Field(gt=0, le=100_000)] = None
    text: Annotated[str | None, Field(max_length=MAX_TEXT)] = None
    trapped: Annotated[int | None, Field(ge=0, le=100_000)] = None
    casualties: Annotated[int | None, Field(ge=0, le=100_000)] = None
    source: ReportSource

    def body(self) -> dict[str, Any]:
        """The report's content as fingerprinted, to tell a retry from a reused id."""
        body = self.model_dump(mode="json")
        body["observed_at"] = self.observed_at.astimezone(UTC).isoformat()
        return body

    def legacy_hash(self) -> str:
        """The unkeyed hash that reports received before fingerprints were keyed carry."""
        return hashlib.sha256(orjson.dumps(self.body(), option=orjson.OPT_SORT_KEYS)).hexdigest()
