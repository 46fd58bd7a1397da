"""Events of the field channels: what came in from a phone, and what it became."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from hanano.events import (
    KEEPERS,
    NOBODY,
    OPERATIONS,
    OPERATORS,
    Audience,
    Event,
    Role,
    readable_by,
    register,
)


@register
class FormSubmitted(Event):
    """A form filled in on a phone (ODK Collect, KoboCollect) and the record it became.

    `instance_id` is the phone's own id for the filled-in form: a retry carries it again. The
    submission's fingerprint is keyed and sealed, and no role reads it, like a report's."""

    type: ClassVar[str] = "field.form_submitted"
    audience: ClassVar[Audience] = readable_by(OPERATIONS, fields={"xml_hash": NOBODY})
    sensitive: ClassVar[frozenset[str]] = frozenset({"xml_hash"})
    instance_id: str
    form_id: str
    xml_hash: str
    record_id: str
    record_seq: int


# The SMS channel. A phone number says who a person is: it enters the log sealed, read by the
# operators only; a keyed reference to it (never readable) is how a number is looked up.
_NUMBER_FIELDS = {"number": OPERATORS, "number_ref": NOBODY}


@register
class SmsGatewayAdded(Event):
    """An Android phone running an SMS gateway app, forwarding every SMS it receives. Its
    signing key and credentials are sealed, and no role reads them."""

    type: ClassVar[str] = "field.sms_gateway_added"
    audience: ClassVar[Audience] = readable_by(
        KEEPERS,
        fields={"signing_key": NOBODY, "username": NOBODY, "password": NOBODY, "send_url": KEEPERS},
    )
    sensitive: ClassVar[frozenset[str]] = frozenset(
        {"signing_key", "username", "password", "send_url"}
    )
    name: str
    signing_key: str
    send_url: str | None
    username: str | None
    password: str | None


@register
class SmsPhoneAdded(Event):
    """A phone number that acts with a role: a team leader's, a spotter's."""

    type: ClassVar[str] = "field.sms_phone_added"
    audience: ClassVar[Audience] = readable_by(
        OPERATORS | KEEPERS, fields={**_NUMBER_FIELDS, "name": OPERATORS}
    )
    sensitive: ClassVar[frozenset[str]] = frozenset({"number", "number_ref", "name"})
    phone_id: str
    number: str
    number_ref: str
    role: Role
    team: str | None
    name: str | None
    # Added with alerts by SMS: the neighbourhoods (P-codes) whose alerts the phone is sent.
    zones: list[str] = Field(default_factory=list)


@register
class SmsReceived(Event):
    """One SMS and what it became (`outcome`, `record_id`), or why it was refused; `reply` is
    the answer sent back. Its text, like a report's, may name victims: sealed."""

    type: ClassVar[str] = "field.sms_received"
    audience: ClassVar[Audience] = readable_by(
        OPERATIONS,
        fields={**_NUMBER_FIELDS, "text": OPERATORS | {"team_leader"}},
    )
    sensitive: ClassVar[frozenset[str]] = frozenset({"number", "number_ref", "text"})
    sms_id: str
    gateway: str
    number: str
    number_ref: str
    phone_id: str | None
    text: str | None
    size: int
    outcome: Literal["report", "sighting", "check_in", "step", "refused"]
    record_id: str | None
    reason: str
    reply: str
