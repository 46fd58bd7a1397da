"""A run of events replayed at once (`hanano.store.replay`) gives the rows one by one gives."""

from __future__ import annotations

from typing import Any

from hanano.access.events import TokenCreated, TokenRevoked
from hanano.access.tokens import hash_token
from hanano.domains import REGISTRY
from hanano.events import Event
from hanano.service import Service
from hanano.store.rebuild import snapshot
from hanano.store.records import RecordedEvent
from hanano.store.replay import replay


def _recorded(seq: int, event: Event) -> RecordedEvent:
    return RecordedEvent(
        seq=seq,
        time=f"2026-12-08T01:00:{seq:02d}.000000Z",
        actor="test",
        type=event.type,
        version=event.version,
        data=event.model_dump(mode="json"),
        canonical=b"",
        leaf_hash=b"",
    )


def _events() -> list[RecordedEvent]:
    made = [
        TokenCreated(token_id="tok_a", role="admin", name=None, token_hash=hash_token("a")),
        TokenCreated(
            token_id="tok_l", role="team_leader", name="L", token_hash=hash_token("l"), team="t1"
        ),
        TokenCreated(
            token_id="tok_s", role="spotter", name="S", token_hash=hash_token("s"), post="p1"
        ),
        TokenCreated(
            token_id="tok_m", role="mirror", name="M", token_hash=hash_token("m"), sealed_to="k"
        ),
    ]
    revoked = TokenRevoked(token_id="tok_l", reason="lost")
    later = TokenCreated(token_id="tok_b", role="public", name=None, token_hash=hash_token("b"))
    events: list[Event] = [*made, revoked, later]
    return [_recorded(seq, event) for seq, event in enumerate(events, start=100)]


def _projected(service: Service, apply: Any) -> dict[str, list[tuple[Any, ...]]]:
    with service.engine.connect() as conn:
        transaction = conn.begin()
        try:
            apply(conn)
            return snapshot(conn, REGISTRY)
        finally:
            transaction.rollback()


def test_a_run_of_token_events_replayed_at_once_gives_the_rows_of_one_by_one(
    service: Service,
) -> None:
    events = _events()
    assert getattr(REGISTRY.projectors[TokenCreated.type], "many", None) is not None

    def one_by_one(conn: Any) -> None:
        for event in events:
            REGISTRY.apply(conn, event)

    expected = _projected(service, one_by_one)
    got = _projected(service, lambda conn: replay(conn, REGISTRY, events))
    assert got == expected
    rows = {row[0]: row for row in got["tokens"]}
    assert {"tok_a", "tok_l", "tok_s", "tok_m", "tok_b"} <= set(rows)
    assert rows["tok_l"][-1] == events[4].time  # revoked after the run that created it
    assert [row[:2] for row in got["leader_teams"]] == [("tok_l", "t1")]
    assert [row[:2] for row in got["spotter_posts"]] == [("tok_s", "p1")]
    assert [row[:2] for row in got["mirror_keys"]] == [("tok_m", "k")]
