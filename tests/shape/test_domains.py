"""Every domain has the same shape, and a new domain is one package and one line."""

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Connection, MetaData, String, Table, select

from hanano.cli import add_domain_commands
from hanano.clock import ManualClock
from hanano.domain import Domain, events_of, tables_of
from hanano.domains import DOMAINS, REGISTRY
from hanano.events import EVENT_TYPES, OPERATIONAL, Audience, Event, register
from hanano.service import Service
from hanano.settings import Settings
from hanano.store.migrations import Migration
from hanano.store.records import RecordedEvent
from hanano.store.registry import Handlers
from hanano.store.schema import metadata

HANANO = Path(__file__).parents[2] / "hanano"
SHAPE = (
    "events.py",
    "tables.py",
    "migrations.py",
    "handlers.py",
    "api.py",
    "routes.py",
    "cli.py",
    "domain.py",
)


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_each_domain_is_a_package_of_the_same_shape(domain: Domain) -> None:
    package = HANANO / domain.name
    assert [p for p in SHAPE if not (package / p).is_file()] == []
    record = importlib.import_module(f"hanano.{domain.name}.domain").DOMAIN
    assert record is domain
    assert domain.handlers.domain == domain.name
    assert domain.events, "a domain without events has nothing to log"
    assert domain.migrations, "a domain's tables come from its own migrations"


def test_every_event_type_belongs_to_exactly_one_domain() -> None:
    owners: dict[str, list[str]] = {}
    for domain in DOMAINS:
        for event in domain.events:
            owners.setdefault(event.type, []).append(domain.name)
    assert {t: o for t, o in owners.items() if len(o) > 1} == {}
    assert sorted(set(EVENT_TYPES) - set(owners)) == []


def test_every_table_belongs_to_exactly_one_domain() -> None:
    names = [t.name for d in DOMAINS for t in d.tables]
    assert len(names) == len(set(names))
    store_tables = {"events", "sealed_fields", "schema_migrations", "domain_migrations"}
    assert sorted(set(metadata.tables) - set(names) - store_tables) == []


def test_every_projector_is_for_an_event_of_its_domain() -> None:
    for domain in DOMAINS:
        own = {e.type for e in domain.events}
        assert sorted(set(domain.handlers.projectors) - own) == [], domain.name
    assert set(REGISTRY.projectors) <= set(EVENT_TYPES)
    assert set(REGISTRY.reactions) <= set(EVENT_TYPES)


# --- a domain added: one package (here, this module) and one line ---------------------------

SHAPE_PROBES = MetaData()
shape_probes = Table("shape_probes", MetaData(), Column("probe_id", String(20), primary_key=True))
HANDLERS = Handlers("shape_probes")


class KitchenOpened(Event):
    type: ClassVar[str] = "shape_probes.opened"
    audience: ClassVar[Audience] = OPERATIONAL
    probe_id: str


def _shape_probes_v1(conn: Connection) -> None:
    Table("shape_probes", SHAPE_PROBES, Column("probe_id", String(20), primary_key=True))
    SHAPE_PROBES.create_all(conn)


@HANDLERS.projects(KitchenOpened)
def _opened(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(shape_probes.insert().values(probe_id=event.data["probe_id"]))


@pytest.fixture
def shape_probes_domain() -> Iterator[Domain]:
    register(KitchenOpened)
    try:
        yield Domain(
            name="shape_probes",
            events=events_of(__name__.rsplit(".", 1)[0]),
            tables=tables_of(importlib.import_module(__name__)),
            migrations=(Migration(1, "shape_probes", _shape_probes_v1),),
            handlers=HANDLERS,
        )
    finally:
        EVENT_TYPES.pop(KitchenOpened.type)


def test_a_new_domain_is_migrated_projected_and_rebuilt(
    shape_probes_domain: Domain, db_url: str, clock: ManualClock
) -> None:
    service = Service(Settings(database_url=db_url), clock, domains=(*DOMAINS, shape_probes_domain))
    with service:
        service.execute(lambda tx: tx.append("test", KitchenOpened(probe_id="K-1")))
        assert service.rebuild() >= 1
        with service.engine.connect() as conn:
            assert conn.execute(select(shape_probes.c.probe_id)).scalars().all() == ["K-1"]


def test_a_new_domain_s_commands_join_hanano() -> None:
    @click.group("city")
    def city() -> None:
        """More names for places."""

    @city.command("shape_probes")
    def list_shape_probes() -> None:
        click.echo("K-1")

    @click.group()
    def main() -> None:
        pass

    add_domain_commands(main, DOMAINS)
    add_domain_commands(main, (Domain("x", (), (), (), Handlers("x"), commands=(city,)),))
    result = CliRunner().invoke(main, ["city", "shape_probes"])
    assert result.output == "K-1\n"
    assert "import-neighbourhoods" in main.commands["city"].commands  # type: ignore[attr-defined]


def test_a_table_rebuild_keeps_says_why() -> None:
    kept = {t.name: t.info["kept"] for d in DOMAINS for t in d.tables if "kept" in t.info}
    assert kept, "the log's own tree and signed checkpoints are kept, at least"
    assert {name: why for name, why in kept.items() if not str(why).strip()} == {}
    assert "incidents" not in kept and "checkpoints" in kept
