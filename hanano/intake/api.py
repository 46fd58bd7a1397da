"""Intake's use cases: what the HTTP routes and the CLI commands both call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hanano.access.field import require_own_incident
from hanano.access.tokens import Principal
from hanano.domain import Runtime
from hanano.errors import invalid
from hanano.events import ReportSource, Role
from hanano.intake import commands, views
from hanano.intake.commands import ReportResult
from hanano.intake.model import ReportIn
from hanano.store.sequencer import Tx


async def submit_report(runtime: Runtime, who: Principal, report: ReportIn) -> ReportResult:
    """Check a report against the store's time window and the city, then store and link it;
    returns once it is durable."""
    return await runtime.sequencer.run(report_command(runtime, who, report))


# The room shows each report's source and weighs the radio log, a team's and a hospital's word
# above a citizen's: the field roles report only as what they are (or as any citizen), so that a
# stolen reporter or spotter token cannot dress its reports as the room's own radio log.
OWN_SOURCES: dict[Role, frozenset[ReportSource]] = {
    "reporter": frozenset({"citizen"}),
    "spotter": frozenset({"spotter", "citizen"}),
    "team_leader": frozenset({"team", "citizen"}),
}


def check_source(who: Principal, source: ReportSource) -> None:
    allowed = OWN_SOURCES.get(who.role)
    if allowed is not None and source not in allowed:
        raise invalid("source", f"the {who.role} role reports as {' or '.join(sorted(allowed))}")


def report_command(
    runtime: Runtime, who: Principal, report: ReportIn
) -> Callable[[Tx], ReportResult]:
    """The checked report as a command, for a channel that records its own step in the same
    transaction (an OpenRosa submission)."""
    check_source(who, report.source)
    commands.check_report(report, runtime.clock.now(), runtime.city(), runtime.settings)
    return lambda tx: commands.submit_report(tx, who.actor, report)


def list_incidents(
    runtime: Runtime, who: Principal, flt: views.IncidentFilter
) -> list[dict[str, Any]]:
    """Incidents as the caller's role may see them, most severe and newest first."""
    with runtime.engine.connect() as conn:
        return views.list_incidents(
            conn, who.role, flt, runtime.clock.now(), runtime.settings.public_delay_min
        )


def get_incident(runtime: Runtime, who: Principal, incident_id: str) -> dict[str, Any]:
    """One incident as the caller's role may see it."""
    with runtime.engine.connect() as conn:
        return views.get_incident(
            conn, who.role, incident_id, runtime.clock.now(), runtime.settings.public_delay_min
        )


def newly_public_ids(runtime: Runtime) -> list[str]:
    """Live incidents that have become public by age."""
    with runtime.engine.connect() as conn:
        return views.newly_public_ids(conn, runtime.clock.now(), runtime.settings.public_delay_min)


async def change_status(
    runtime: Runtime, who: Principal, incident_id: str, status: str, reason: str
) -> None:
    """Move an incident on; a team leader only one their team was tasked to."""

    def command(tx: Tx) -> None:
        require_own_incident(who, tx.conn, incident_id)
        commands.change_status(tx, who.actor, incident_id, status, reason)

    await runtime.sequencer.run(command)


async def merge_incidents(
    runtime: Runtime, who: Principal, incident_id: str, into: str, reason: str
) -> None:
    await runtime.sequencer.run(
        lambda tx: commands.merge_incidents(tx, who.actor, incident_id, into, reason)
    )


async def split_incident(
    runtime: Runtime, who: Principal, incident_id: str, report_ids: list[str], reason: str
) -> str:
    """Move reports to a new incident; returns its id."""
    return await runtime.sequencer.run(
        lambda tx: commands.split_incident(tx, who.actor, incident_id, report_ids, reason)
    )


def incident_of_report(runtime: Runtime, report_id: str, reporter: str | None) -> str | None:
    """The incident a report joined; with `reporter`, only for that reporter's own report."""
    with runtime.engine.connect() as conn:
        return views.report_incident(conn, report_id, reporter)
