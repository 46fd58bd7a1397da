"""Replay applies runs of one event type through a batch projector, never across another type,
and leaves the tables as the event-by-event projectors do."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select

from hanano.access.events import TokenCreated
from hanano.access.tables import leader_teams, mirror_keys, spotter_posts
from hanano.access.tokens import create_token, revoke_token
from hanano.domains import REGISTRY
from hanano.service import Service
from hanano.store import replay as replay_module
from hanano.store.rebuild import rebuild, snapshot
from hanano.store.records import RecordedEvent, read_events
from hanano.store.registry import Handlers, Registry
from hanano.store.replay import replay
from hanano.warning.posts import register_post
from tests.dispatch.support import make_team


def _event(seq: int, kind: str) -> RecordedEvent:
    return RecordedEvent(seq, "2026-01-01T00:00:00Z", "test", kind, 1, {}, b"", b"")


def _recording_registry(calls: list[tuple[str, list[int]]]) -> Registry:
    handlers = Handlers("test")

    @handlers.projects("test.a")
    def _one_a(conn: Connection, event: RecordedEvent) -> None:
        calls.append(("a", [event.seq]))

    @handlers.projects_many("test.a")
    def _many_a(conn: Connection, events: Any) -> None:
        calls.append(("a*", [e.seq for e in events]))

    @handlers.projects("test.b")
    def _one_b(conn: Connection, event: RecordedEvent) -> None:
        calls.append(("b", [event.seq]))

    return Registry.merge([handlers])


def test_runs_of_one_type_go_in_batches_in_log_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module, "RUN", 3)
    calls: list[tuple[str, list[int]]] = []
    kinds = ["test.a"] * 4 + ["test.b", "test.a", "test.c", "test.b", "test.a", "test.a"]
    events = [_event(seq, kind) for seq, kind in enumerate(kinds, start=1)]
    count = replay(None, _recording_registry(calls), events)  # type: ignore[arg-type]
    assert count == 10
    assert calls == [
        ("a*", [1, 2, 3]),
        ("a*", [4]),
        ("b", [5]),
        ("a*", [6]),
        ("b", [8]),
        ("a*", [9, 10]),
    ]


def test_a_batch_projector_without_a_projector_is_refused() -> None:
    handlers = Handlers("test")

    @handlers.projects_many("test.a")
    def _many_a(conn: Connection, events: Any) -> None:
        return None

    with pytest.raises(ValueError, match="batch projector for 'test\\.a' but no projector"):
        Registry.merge([handlers])


def test_rebuild_through_batches_leaves_the_tables_the_writer_made(
    service: Service,
    client: TestClient,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replay_module, "RUN", 2)
    team = make_team(client, tokens["dispatcher"], "Hanano-1")["id"]
    service.execute(lambda tx: register_post(tx, "test", "P-1", "Roof", 36.2, 37.1))
    made = [
        service.execute(lambda tx, i=i: create_token(tx, "test", "public", f"kiosk {i}"))
        for i in range(5)
    ]
    service.execute(lambda tx: create_token(tx, "test", "team_leader", "Khaled", team=team))
    service.execute(lambda tx: create_token(tx, "test", "spotter", "roof", post="P-1"))
    service.execute(lambda tx: revoke_token(tx, "test", made[1].token_id, "lost"))
    service.execute(lambda tx: create_token(tx, "test", "auditor", "late"))
    with service.engine.connect() as conn:
        before = snapshot(conn, REGISTRY)
        types = [e.type for e in read_events(conn)]
    assert types.count(TokenCreated.type) >= 12
    rebuild(service.engine, REGISTRY)
    with service.engine.connect() as conn:
        assert snapshot(conn, REGISTRY) == before
        assert conn.execute(select(leader_teams.c.team_id)).scalars().all() == [team]
        assert conn.execute(select(spotter_posts.c.post_id)).scalars().all() == ["P-1"]
        assert len(conn.execute(select(mirror_keys)).all()) == 1
