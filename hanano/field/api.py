"""The field channels' use cases: what the OpenRosa routes and the CLI call.

A filled-in form becomes the record its form is for through that record's own use case
(a report through intake, a sighting through early warning, a team's position and check-in
through dispatch), held to the same checks as the API's, in the transaction that notes the
submission.
"""

from __future__ import annotations

from collections.abc import Callable

from hanano.access.tokens import Principal
from hanano.dispatch import api as dispatch_api
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.field import answers, forms, submissions
from hanano.field.openrosa import Submission, parse_submission
from hanano.field.submissions import Made, Received
from hanano.intake import api as intake_api
from hanano.store.sequencer import Tx
from hanano.warning import api as warning_api


def form_list(who: Principal) -> list[forms.Form]:
    return forms.forms_for(who.role)


def form(who: Principal, form_id: str) -> forms.Form:
    """A form the caller may fill in; 404 for one hanano does not have or the caller is not
    handed, so a token cannot learn which forms other roles see."""
    if not forms.may_fill(who.role, form_id):
        forms.form(form_id)
        raise Problem(404, "Not found", f"form {form_id} is not among this token's forms")
    return forms.form(form_id)


async def submit(runtime: Runtime, who: Principal, xml: bytes) -> Received:
    """Record one filled-in form; returns once it and its record are durable."""
    sub = parse_submission(xml)
    form(who, sub.form_id)
    make = _maker(runtime, who, sub)
    return await runtime.sequencer.run(lambda tx: submissions.record(tx, who.actor, sub, xml, make))


def _maker(runtime: Runtime, who: Principal, sub: Submission) -> Callable[[Tx], Made]:
    # The record's checks run in the writer, after a retry has been recognised: a retry sent
    # long after is answered as the first time even if its time has left the store's window.
    def make(tx: Tx) -> Made:
        if sub.form_id == "hanano_report":
            report = intake_api.report_command(runtime, who, answers.report(sub, who.role))(tx)
            return Made(report.report_id, report.seq)
        if sub.form_id == "hanano_sighting":
            seen = warning_api.sighting_command(runtime, who, answers.sighting(sub))(tx)
            return Made(seen.sighting_id, seen.seq)
        position, when, note = answers.team_status(sub)
        team = who.team or ""
        dispatch_api.status_command(who, team, position, when, note)(tx)
        return Made(team, None)

    return make


def all_forms() -> list[tuple[forms.Form, frozenset[str]]]:
    """Every form with the roles it is handed to."""
    return [(forms.form(f), frozenset(roles)) for f, roles in forms.FORM_ROLES.items()]
