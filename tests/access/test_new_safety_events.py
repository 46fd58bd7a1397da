"""The safety events added with the probability model and the check-in alarm's acknowledgement
are the operation's own: a reporter's, spotter's or the public's token reads none of them (they
name teams, tasks and the risk at the sites where rescuers work)."""

from __future__ import annotations

import pytest

from hanano.access.tokens import Principal
from hanano.access.visibility import reads

NEW_SAFETY_EVENTS = (
    "dispatch.pullback_risk_changed",
    "dispatch.checkin_alarm_acknowledged",
    "dispatch.pullback_ordered",
    "dispatch.pullback_ended",
    "warning.threat_assessed",
)


@pytest.mark.parametrize("event_type", NEW_SAFETY_EVENTS)
def test_no_restricted_role_reads_them(event_type: str) -> None:
    for role in ("reporter", "spotter", "public"):
        for actor in ("hanano:dispatch", "hanano:warning", "tok_dispatcher"):
            assert not reads(Principal(f"tok_{role}", role), event_type, actor), (role, actor)
    assert reads(Principal("tok_d", "dispatcher"), event_type, "hanano:dispatch")
