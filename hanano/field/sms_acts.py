"""What an SMS becomes, by its sender's role: through the use cases of intake (a report),
early warning (a spotter's sighting) and dispatch (a team leader's step or check-in)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hanano.access.tokens import Principal
from hanano.dispatch import api as dispatch_api
from hanano.domain import Runtime
from hanano.events import ReportSource, Role
from hanano.field import sms, sms_text
from hanano.field.sms import Done, Sender, SmsPayload
from hanano.intake import api as intake_api
from hanano.intake.model import MAX_TEXT, ReportIn
from hanano.store.sequencer import Tx
from hanano.timestamps import observed_error
from hanano.warning import api as warning_api
from hanano.warning.sightings import SightingIn

_SOURCES: dict[str, ReportSource] = {"team_leader": "team", "spotter": "spotter"}


def principal(gateway: str, who: Sender) -> Principal:
    """Whom a message acts as: its registered phone, or a citizen reporting through the gateway."""
    if who.phone is None:
        return Principal(f"sms:{gateway}", "reporter")
    phone_id, role, team = who.phone
    acting: Role = role  # type: ignore[assignment]
    return Principal(f"sms:{phone_id}", acting, team)


def decide(runtime: Runtime, who: Principal, sid: str, p: SmsPayload) -> Callable[[Tx], Done]:
    """The command a readable message runs: a step, a sighting or, failing those, a report."""
    text = sms_text.clean(p.message)
    now = runtime.clock.now()
    when = sms.received_at(p, now)
    if observed_error("observed_at", when, now, runtime.settings) is not None:
        when = now
    if who.role == "team_leader" and who.team is not None:
        state = sms_text.match(sms_text.STEPS, text)
        if state is not None or sms_text.says(sms_text.CHECK_IN, text):
            return _team(who, who.team, state, text)
    if who.role == "spotter":
        aircraft = sms_text.match(sms_text.AIRCRAFT, text)
        if aircraft is not None:
            return _sighting(runtime, who, sid, when, aircraft, text)
    return _report(runtime, who, sid, when, text)


def _report(
    runtime: Runtime, who: Principal, sid: str, when: datetime, text: str
) -> Callable[[Tx], Done]:
    counted = sms_text.counts(text)
    report = ReportIn.model_validate(
        {
            "id": sid,
            "kind": sms_text.kind(text),
            "observed_at": when,
            "text": text[:MAX_TEXT],
            "trapped": counted.trapped,
            "casualties": counted.casualties,
            "source": _SOURCES.get(who.role, "citizen"),
        },
        strict=False,
    )
    place = runtime.city().place_text(text)
    command = intake_api.report_command(runtime, who, report)

    def run(tx: Tx) -> Done:
        result = command(tx)
        log_index = f"{result.seq}"
        if place is None:
            reply = (
                f"hanano: وصل بلاغك، رقم السجل {log_index}. لم نعرف المكان: أرسل اسم الحي. / "
                f"Report received, log {log_index}. Where is it? Send the neighbourhood's name."
            )
            return Done("report", result.report_id, "report, not placed", reply)
        reply = (
            f"hanano: وصل بلاغك عن {place.name}، رقم السجل {log_index}. / "
            f"Report received: {place.name}, log {log_index}."
        )
        return Done("report", result.report_id, f"report placed in {place.pcode}", reply)

    return run


def _sighting(
    runtime: Runtime, who: Principal, sid: str, when: datetime, aircraft: str, text: str
) -> Callable[[Tx], Done]:
    place = runtime.city().place_text(text)
    circling = sms_text.says(sms_text.CIRCLING, text)
    sighting = SightingIn.model_validate(
        {
            "id": sid,
            "observed_at": when,
            "aircraft": aircraft,
            "activity": "circling" if circling else "over",
            "pcode": place.pcode if place is not None else None,
            "text": text[:2000],
        },
        strict=False,
    )
    command = warning_api.sighting_command(runtime, who, sighting)

    def run(tx: Tx) -> Done:
        result = command(tx)
        reply = f"hanano: وصل الرصد، رقم السجل {result.seq}. / Sighting received, log {result.seq}."
        return Done("sighting", result.sighting_id, result.reason[:200], reply)

    return run


def _team(who: Principal, team: str, state: str | None, text: str) -> Callable[[Tx], Done]:
    command = dispatch_api.step_command(who, team, state, text[:500])

    def run(tx: Tx) -> Done:
        task_id = command(tx)
        if state is None:
            reply = f"hanano: تم التفقد ({task_id}). / Check-in recorded ({task_id})."
            return Done("check_in", task_id, "check-in", reply)
        reply = f"hanano: {task_id} → {state}. / {task_id} is now {state}."
        return Done("step", task_id, f"step to {state}", reply)

    return run
