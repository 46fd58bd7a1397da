"""The field channels' use cases: what the OpenRosa routes and the CLI call.

A filled-in form becomes the record its form is for through that record's own use case
(a report through intake, a sighting through early warning, a team's position and check-in
through dispatch), held to the same checks as the API's, in the transaction that notes the
submission.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hanano.access.tokens import Principal
from hanano.city.model import City
from hanano.dispatch import api as dispatch_api
from hanano.domain import Runtime
from hanano.errors import Problem, invalid
from hanano.evidence import media, media_ops
from hanano.field import (
    answers,
    collect_qr,
    forms,
    sms,
    sms_acts,
    sms_send,
    sms_setup,
    sms_text,
    submissions,
)
from hanano.field.openrosa import Submission, parse_submission
from hanano.field.sms import Answer, Done, SmsPayload, SmsWebhook
from hanano.field.sms_setup import Gateway
from hanano.field.submissions import Made, Received
from hanano.intake import api as intake_api
from hanano.store.sequencer import Tx
from hanano.warning import api as warning_api

# How far a webhook's X-Timestamp may be from the server's clock.
SMS_SKEW_S = 300


def form_list(who: Principal) -> list[forms.Form]:
    return forms.forms_for(who.role)


def form(who: Principal, form_id: str) -> forms.Form:
    """A form the caller may fill in; 404, in the same words, for one hanano does not have and
    one the caller is not handed, so a token cannot learn which forms other roles see."""
    if not forms.may_fill(who.role, form_id):
        raise Problem(404, "Not found", f"form {form_id} is not among this token's forms")
    return forms.form(form_id)


@dataclass(frozen=True)
class Submitted:
    """A form recorded (or recognised as a retry), and the photo its answers name."""

    received: Received
    photo: str | None
    position: tuple[float, float] | None


async def submit(runtime: Runtime, who: Principal, xml: bytes) -> Submitted:
    """Record one filled-in form; returns once it and its record are durable."""
    sub = parse_submission(xml)
    form(who, sub.form_id)
    make = _maker(runtime, who, sub)
    received = await runtime.sequencer.run(
        lambda tx: submissions.record(tx, who.actor, sub, xml, make)
    )
    if sub.form_id != "hanano_report":
        return Submitted(received, None, None)
    return Submitted(received, sub.answers.get("photo"), answers.position(sub))


def keep_photo(
    runtime: Runtime, who: Principal, submitted: Submitted, files: Mapping[str, BinaryIO]
) -> str | None:
    """Keep the photo a report names, if this request carries it, as an evidentiary original
    of the report's incident (through media custody); what became of it, for the answer.

    ODK Collect sends a large form in several requests, each with the same XML and some of its
    files: a retry of the form is recognised, and the photo kept from whichever request has it.
    """
    name = submitted.photo
    if name is None or name not in files:
        return None
    report_id = submitted.received.record_id
    incident = intake_api.incident_of_report(runtime, report_id, None)
    if incident is None:
        return "photo not kept: the report joined no incident"
    lat, lon = submitted.position or (None, None)
    claims = media.Claims(lat=lat, lon=lon)
    limit = runtime.settings.openrosa_max_bytes
    try:
        media_ops.ingest(runtime, who.actor, files[name], incident, claims, limit)
    except Problem as problem:
        if problem.status == 409:
            return "photo kept already"
        return f"photo not kept: {problem.detail}"
    return "photo kept"


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


def write_collect_qr(base_url: str, token: str, name: str, out: Path) -> None:
    """Write the QR code that points a phone's Collect at hanano with this token."""
    collect_qr.write(collect_qr.payload(collect_qr.settings(base_url, token, name)), out)


def all_forms() -> list[tuple[forms.Form, frozenset[str]]]:
    """Every form with the roles it is handed to."""
    return [(forms.form(f), frozenset(roles)) for f, roles in forms.FORM_ROLES.items()]


# --- SMS --------------------------------------------------------------------------------------


async def add_gateway(
    runtime: Runtime, who: Principal, name: str, signing_key: str, send: tuple[str, str, str] | None
) -> None:
    await runtime.sequencer.run(
        lambda tx: sms_setup.add_gateway(tx, who.actor, name, signing_key, send)
    )


async def add_phone(
    runtime: Runtime,
    who: Principal,
    number: str,
    role: str,
    team: str | None,
    name: str | None,
    zones: tuple[str, ...] = (),
) -> str:
    codes = tuple(zone_code(runtime.city(), z) for z in zones)
    return await runtime.sequencer.run(
        lambda tx: sms_setup.add_phone(tx, who.actor, number, role, team, name, codes)
    )


def zone_code(city: City, given: str) -> str:
    """A neighbourhood's P-code, given as its code or its English or Arabic name; 422 naming
    the text when it is none of the city's."""
    wanted = given.strip().casefold()
    for n in city.neighbourhoods.values():
        if wanted in (n.pcode.casefold(), n.name_en.casefold(), n.name_ar):
            return n.pcode
    raise invalid("zone", f"{given!r} is not a neighbourhood of this city (P-code or name)")


def sms_gateway(runtime: Runtime, body: bytes, signature: str, timestamp: str) -> Gateway:
    """The registered gateway that signed this webhook; 401 when none did, or when its time is
    more than five minutes off (a replayed request)."""
    now = runtime.clock.now().timestamp()
    # Unix seconds in ASCII digits: str.isdigit() alone passes "²", and int() refuses a number
    # of thousands of digits.
    readable = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if not readable or abs(now - int(timestamp)) > SMS_SKEW_S:
        raise Problem(401, "Unauthorized", "X-Timestamp is missing or more than 5 minutes off")
    with runtime.engine.connect() as conn:
        known = sms_setup.gateways(conn)
    signed = body + timestamp.encode()
    # Compared as bytes: compare_digest refuses text outside ASCII with a TypeError.
    given = signature.strip().lower().encode("utf-8", "surrogateescape")
    for gateway in known:
        expected = hmac.new(gateway.signing_key.encode(), signed, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode("ascii"), given):
            return gateway
    raise Problem(401, "Unauthorized", "X-Signature is not that of a registered gateway")


async def receive_sms(runtime: Runtime, gateway: str, hook: SmsWebhook) -> Answer:
    """Log one SMS and make of it what its sender may; a message that cannot be acted on is
    logged as refused, with the reason, and answered all the same."""
    sid = str(sms.sms_id(gateway, hook.payload))
    try:
        return await runtime.sequencer.run(
            lambda tx: _receive(runtime, tx, gateway, sid, hook.payload, None)
        )
    except Problem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        refused = problem.detail[:300]
        return await runtime.sequencer.run(
            lambda tx: _receive(runtime, tx, gateway, sid, hook.payload, refused)
        )


def _receive(
    runtime: Runtime, tx: Tx, gateway: str, sid: str, p: SmsPayload, refused: str | None
) -> Answer:
    sender = sms.sender(tx, p.phoneNumber)
    prior = sms.replayed(tx.conn, sid)
    if prior is not None:
        return Answer(sid, prior[0], prior[1], sender.number, replayed=True)
    unreadable = sms_text.refusal(p.message)
    if not sender.replyable:
        done = Done("refused", None, "the sender is not a phone number", "")
    elif unreadable is not None:
        done = Done("refused", None, unreadable, sms.SORRY)
    elif refused is not None:
        reply = f"hanano: لم يُسجل: {refused} / Not recorded: {refused}"
        done = Done("refused", None, refused, reply[:600])
    else:
        who = sms_acts.principal(gateway, sender)
        done = sms_acts.decide(runtime, who, sid, p)(tx)
    sms.log(tx, f"sms:{gateway}", gateway, sid, p, sender, done)
    return Answer(sid, done.outcome, done.reply, sender.number, replayed=False)


def reply_sms(gateway: Gateway, answer: Answer) -> None:
    """Send the answer to a message, after it is durable (a retried webhook gets none again)."""
    if not answer.replayed and answer.reply:
        sms_send.send_with_retries(gateway, answer.number, answer.reply)
