"""A team leader in the operations room is offered the worksite, victim and status forms only at
the incidents their team was sent to, the only ones the API lets them write about; a task given
while the page is open offers them there at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hanano.access.tokens import create_token
from hanano.clock import ManualClock
from tests.helpers import HANANO, SAKHOUR, auth, offset
from tests.ui.test_ops_room import PASSWORD, add_team, log_in, report, room

__all__ = ["room"]

FORMS = ("add-worksite", "record-victim", "change-category", "update-victim")


def _offered(page: Any, incident: str) -> dict[str, int]:
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{incident}']")
    page.wait_for_selector("#detail-body li[data-worksite='C-1']")
    offered = {f: page.locator(f"#detail-body button.{f}").count() for f in FORMS}
    offered["status"] = page.locator("#detail-body h3", has_text="Set status").count()
    return offered


def test_a_team_leader_is_offered_the_forms_only_where_their_team_was_sent(
    room: dict[str, Any], clock: ManualClock, new_page: Callable[..., Any]
) -> None:
    api = room["api"]
    own = add_team(api, "Hanano-1")
    other = add_team(api, "Sakhour-2", offset(*SAKHOUR, east_m=400))
    admin = room["service"].execute(lambda tx: create_token(tx, "test", "admin", None)).secret
    created = api.post(
        "/api/v1/users",
        json={"username": "khaled", "role": "team_leader", "password": PASSWORD, "team": own},
        headers=auth(admin),
    )
    assert created.status_code == 201, created.text
    here = report(api, clock, HANANO, trapped=2, kind="collapse")
    there = report(api, clock, SAKHOUR, trapped=1, kind="collapse")
    assert here != there
    for incident in (here, there):
        opened = api.post(
            f"/api/v1/incidents/{incident}/worksites", json={"worksite_id": "C-1", "category": "C"}
        )
        assert opened.status_code == 201, opened.text
        victim = api.post(f"/api/v1/incidents/{incident}/victims", json={"status": "trapped"})
        assert victim.status_code == 201, victim.text
    sent = api.post(f"/api/v1/incidents/{there}/assign", json={"team_id": other, "reason": "near"})
    assert sent.status_code == 201, sent.text
    page = new_page()
    log_in(page, room["base"], "khaled")
    nothing = {f: 0 for f in (*FORMS, "status")}
    assert _offered(page, here) == nothing
    assert _offered(page, there) == nothing
    # Their team is sent here while the page is open: the forms are offered here, not there.
    mine = api.post(f"/api/v1/incidents/{here}/assign", json={"team_id": own, "reason": "free"})
    assert mine.status_code == 201, mine.text
    page.click("#tabs [data-tab='queue']")
    page.click(f"#queue [data-id='{here}']")
    page.wait_for_selector("#detail-body button.add-worksite")
    assert _offered(page, here) == {f: 1 for f in (*FORMS, "status")}
    assert _offered(page, there) == nothing
