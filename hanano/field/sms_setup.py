"""SMS gateways and registered numbers: set up from the CLI, kept as events, looked up by the
webhook. A number is found by its keyed reference, so the table never holds the number."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select

from hanano.access.tokens import check_team
from hanano.errors import conflict, invalid
from hanano.events import ROLES, Role
from hanano.field.events import SmsGatewayAdded, SmsPhoneAdded
from hanano.field.handlers import HANDLERS
from hanano.field.tables import sms_gateways, sms_phones
from hanano.store.fingerprint import fingerprint
from hanano.store.prepared import Prepared
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\+?[0-9]{6,15}\Z")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_PHONE_ROLES: tuple[Role, ...] = ("team_leader", "spotter", "reporter", "dispatcher")
_PHONE_BY_REF = Prepared(select(sms_phones).where(sms_phones.c.number_ref == bindparam("ref")))


@dataclass(frozen=True)
class Gateway:
    name: str
    signing_key: str
    send_url: str | None
    username: str | None
    password: str | None


def normal_number(text: str) -> str:
    """A phone number as one string of digits with its leading + ("00963..." is "+963...");
    422 for anything that is not one."""
    plain = re.sub(r"[\s\-().]", "", text.translate(_DIGITS))
    if plain.startswith("00"):
        plain = "+" + plain[2:]
    if not _NUMBER.match(plain):
        raise invalid("number", "must be a phone number of 6 to 15 digits, optionally with +")
    return plain


def number_ref(tx: Tx, number: str) -> str:
    return fingerprint(tx.fingerprint_key, {"phone": number})


def add_gateway(
    tx: Tx,
    actor: str,
    name: str,
    signing_key: str,
    send: tuple[str, str, str] | None,
) -> None:
    """Register a gateway by name, with its webhook signing key and, to reply, its send API's
    URL and credentials."""
    if not _NAME.match(name):
        raise invalid("name", "letters, digits, '.', '_' or '-', at most 64")
    if len(signing_key) < 16:
        raise invalid("signing_key", "must be at least 16 characters")
    if send is not None and not send[0].startswith(("https://", "http://")):
        raise invalid("send_url", "must be an http(s) URL")
    if tx.conn.execute(select(sms_gateways.c.name).where(sms_gateways.c.name == name)).first():
        raise conflict(f"gateway {name} exists")
    url, username, password = send if send is not None else (None, None, None)
    tx.append(
        actor,
        SmsGatewayAdded(
            name=name, signing_key=signing_key, send_url=url, username=username, password=password
        ),
    )


def add_phone(
    tx: Tx,
    actor: str,
    number: str,
    role: str,
    team: str | None,
    name: str | None,
    zones: tuple[str, ...] = (),
) -> str:
    """Register a number to act with a role (a team leader's with their team), and to be sent
    the alerts of `zones` (P-codes the caller has checked); its id."""
    if role not in _PHONE_ROLES:
        raise invalid("role", f"must be one of {', '.join(_PHONE_ROLES)}")
    assert role in ROLES
    plain = normal_number(number)
    ref = number_ref(tx, plain)
    if _PHONE_BY_REF.run(tx.conn, {"ref": ref}).first() is not None:
        raise conflict("this number is registered already")
    bound = check_team(tx.conn, role, team)
    count = tx.conn.execute(select(func.count()).select_from(sms_phones)).scalar_one()
    phone_id = f"P-{count + 1}"
    tx.append(
        actor,
        SmsPhoneAdded(
            phone_id=phone_id,
            number=plain,
            number_ref=ref,
            role=role,
            team=bound,
            name=name,
            zones=sorted(set(zones)),
        ),
    )
    return phone_id


def phone_of(conn: Connection, ref: str) -> tuple[str, Role, str | None] | None:
    """The registered phone with this number's reference: its id, role and team."""
    row = _PHONE_BY_REF.run(conn, {"ref": ref}).first()
    return None if row is None else (row.phone_id, row.role, row.team)


def gateways(conn: Connection) -> list[Gateway]:
    rows = conn.execute(select(sms_gateways).order_by(sms_gateways.c.name)).all()
    return [Gateway(r.name, r.signing_key, r.send_url, r.username, r.password) for r in rows]


@HANDLERS.projects(SmsGatewayAdded.type)
def _gateway_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        sms_gateways.insert().values(
            name=d["name"],
            signing_key=d["signing_key"],
            send_url=d["send_url"],
            username=d["username"],
            password=d["password"],
            seq=event.seq,
        )
    )


@HANDLERS.projects(SmsPhoneAdded.type)
def _phone_added(conn: Connection, event: RecordedEvent) -> None:
    d = event.data
    conn.execute(
        sms_phones.insert().values(
            phone_id=d["phone_id"],
            number_ref=d["number_ref"],
            role=d["role"],
            team=d["team"],
            seq=event.seq,
            zones=",".join(d.get("zones") or []) or None,
        )
    )
