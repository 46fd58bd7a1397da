"""Events of the field channels: what came in from a phone, and what it became."""

from __future__ import annotations

from typing import ClassVar

from hanano.events import NOBODY, OPERATIONS, Audience, Event, readable_by, register


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
