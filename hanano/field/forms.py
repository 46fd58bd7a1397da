"""The forms hanano serves to ODK Collect and KoboCollect, and who may fill each in.

Each form's source is an XLSForm (forms/<id>.md, the markdown form pyxform reads, labels in
Arabic and English); the XForm served is forms/<id>.xml, converted from it by
`python -m hanano.field.form_build` and committed, so the server needs no converter and the
form's hash changes only when its source does (tests check the two agree).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hanano.errors import not_found
from hanano.events import Role

FORMS_DIR = Path(__file__).parent / "forms"

# Which forms each role is handed. Operators may fill in any; a team's status comes only from
# the leader of that team, whose token names it.
FORM_ROLES: dict[str, frozenset[Role]] = {
    "hanano_report": frozenset({"admin", "dispatcher", "team_leader", "reporter"}),
    "hanano_sighting": frozenset({"admin", "dispatcher", "spotter"}),
    "hanano_team_status": frozenset({"team_leader"}),
}


@dataclass(frozen=True)
class Form:
    form_id: str
    title: str
    version: str
    xml: bytes

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


@cache
def form(form_id: str) -> Form:
    """The form `form_id` as served; 404 for a form hanano does not have."""
    if form_id not in FORM_ROLES:
        raise not_found(f"form {form_id}")
    xml = (FORMS_DIR / f"{form_id}.xml").read_bytes()
    version = _between(xml, f' id="{form_id}" version="'.encode(), b'"')
    return Form(form_id, _between(xml, b"<h:title>", b"</h:title>"), version, xml)


def forms_for(role: Role) -> list[Form]:
    """The forms a role is handed, in a fixed order."""
    return [form(f) for f, roles in FORM_ROLES.items() if role in roles]


def may_fill(role: Role, form_id: str) -> bool:
    return role in FORM_ROLES.get(form_id, frozenset())


def _between(xml: bytes, start: bytes, end: bytes) -> str:
    rest = xml.partition(start)[2]
    return rest.partition(end)[0].decode() if rest else ""
