"""Versioned schema migrations: named, ordered functions, each applied once and recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, column, func, inspect, select, table, update

from hanano.clock import SystemClock, canonical_time, isoformat
from hanano.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    tables = [
        schema.events,
        schema.sealed_fields,
        schema.tokens,
        schema.neighbourhoods,
        schema.aliases,
        schema.incidents,
        schema.reports,
    ]
    schema.metadata.create_all(conn, tables=tables)


def _evidence_log(conn: Connection) -> None:
    from hanano.evidence.tables import EVIDENCE_TABLES

    schema.metadata.create_all(conn, tables=list(EVIDENCE_TABLES))


def _dispatch(conn: Connection) -> None:
    from hanano.dispatch.tables import ALL_TABLES

    schema.metadata.create_all(conn, tables=list(ALL_TABLES))


def _incidents_by_latitude(conn: Connection) -> None:
    # Linking looks for open incidents within a box around each report.
    conn.exec_driver_sql("CREATE INDEX ix_incidents_lat ON incidents (lat)")


def _witnesses_and_time(conn: Connection) -> None:
    from hanano.evidence.tables import WITNESS_AND_TIME_TABLES

    schema.metadata.create_all(conn, tables=list(WITNESS_AND_TIME_TABLES))


def _warning(conn: Connection) -> None:
    from hanano.warning.tables import create_tables

    create_tables(conn)


def _media(conn: Connection) -> None:
    from hanano.evidence.media import create_tables

    create_tables(conn)


def _users(conn: Connection) -> None:
    from hanano.access.users import USER_TABLES

    schema.metadata.create_all(conn, tables=list(USER_TABLES))


def _incidents_by_zone_and_time(conn: Connection) -> None:
    # Text-only reports look for the latest live incident in their zone.
    conn.exec_driver_sql("CREATE INDEX ix_incidents_zone_time ON incidents (pcode, last_report_at)")


def _login_failures(conn: Connection) -> None:
    from hanano.access.login_limit import login_failures

    schema.metadata.create_all(conn, tables=[login_failures])


def _deliveries_and_feeds(conn: Connection) -> None:
    from hanano.warning.feeds import create_tables as create_feed_tables
    from hanano.warning.outbox import create_tables as create_outbox_tables

    create_outbox_tables(conn)
    create_feed_tables(conn)


def _signed_feeds(conn: Connection) -> None:
    from hanano.warning.feeds import add_signing_tables

    add_signing_tables(conn)


def _spotter_posts(conn: Connection) -> None:
    from hanano.access.tokens import spotter_posts

    schema.metadata.create_all(conn, tables=[spotter_posts])


def _leader_teams(conn: Connection) -> None:
    from hanano.access.tokens import leader_teams

    schema.metadata.create_all(conn, tables=[leader_teams])


# Times that clients claim, as projections hold them. Before the year was zero-padded, a year
# before 1000 was written with fewer digits ("500-01-01T..."), which sorts after every real date.
_CLAIMED_TIMES = (
    ("reports", "observed_at"),
    ("dispatch_teams", "position_at"),
    ("warning_sightings", "observed_at"),
    ("warning_tracks", "started_at"),
    ("warning_tracks", "at"),
    ("warning_foreign_alerts", "sent"),
    ("warning_foreign_alerts", "expires"),
)


def _pad_short_years(conn: Connection) -> None:
    for table_name, column_name in _CLAIMED_TIMES:
        # Bare names, not today's Table objects: the migration sees the schema as it was.
        stored = table(table_name, column(column_name))
        time = stored.c[column_name]
        short = conn.execute(
            select(time).distinct().where(time.is_not(None), func.substr(time, 5, 1) != "-")
        )
        for value in short.scalars().all():
            try:
                padded = canonical_time(value)
            except ValueError:
                continue  # not a time this version wrote; left as it is rather than guessed
            conn.execute(update(stored).where(time == value).values({column_name: padded}))


def _delay_from_receipt(conn: Connection) -> None:
    # The public delay counted from the earliest time a report claimed, which a backdated report
    # moves at will; it now counts from when the server received the first report.
    if "first_received_at" not in {c["name"] for c in inspect(conn).get_columns("incidents")}:
        conn.exec_driver_sql("ALTER TABLE incidents ADD COLUMN first_received_at VARCHAR(40)")
    _pad_short_years(conn)
    # As the projection computes them. An incident merged into another holds no reports any
    # more; it is never shown to the public, and keeps its opening time.
    conn.exec_driver_sql(
        "UPDATE incidents SET "
        "first_received_at = COALESCE((SELECT MIN(r.received_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), opened_at), "
        "first_report_at = COALESCE((SELECT MIN(r.observed_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), first_report_at), "
        "last_report_at = COALESCE((SELECT MAX(r.observed_at) FROM reports r "
        "WHERE r.incident_id = incidents.incident_id), last_report_at)"
    )


def _log_identity(conn: Connection) -> None:
    from hanano.evidence.tables import log_identity

    schema.metadata.create_all(conn, tables=[log_identity])


# Versions are taken in order, one per change of schema; never edit an applied migration,
# add the next one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "events, sealed fields, intake", _initial),
    Migration(2, "evidence log: subtree hashes, checkpoints", _evidence_log),
    Migration(3, "dispatch: teams, tasks, worksites, victims, roads", _dispatch),
    Migration(5, "intake: incidents indexed by latitude", _incidents_by_latitude),
    Migration(9, "intake: incidents indexed by zone and time", _incidents_by_zone_and_time),
    Migration(10, "early warning: delivery outbox, foreign CAP feeds", _deliveries_and_feeds),
    Migration(4, "early warning: posts, sightings, tracks, alerts, channels", _warning),
    Migration(8, "operations room: users and sessions", _users),
    Migration(6, "evidence log: witnesses, cosignatures, RFC 3161 timestamps", _witnesses_and_time),
    Migration(7, "evidence media: originals, custody, device keys", _media),
    Migration(11, "access: team leaders bound to their team", _leader_teams),
    Migration(13, "operations room: failed logins counted", _login_failures),
    Migration(14, "evidence log: the key that signs it, recorded", _log_identity),
    Migration(15, "intake: public delay from receipt, four-digit years", _delay_from_receipt),
    Migration(
        16, "early warning: feeds' signing certificates, refused foreign alerts", _signed_feeds
    ),
    Migration(17, "access: spotters bound to their observation post", _spotter_posts),
)


def applied_versions(conn: Connection) -> set[int]:
    if not inspect(conn).has_table("schema_migrations"):
        return set()
    return set(conn.execute(select(schema.schema_migrations.c.version)).scalars())


def current_version(conn: Connection) -> int:
    return max(applied_versions(conn), default=0)


def migrate(engine: Engine) -> list[Migration]:
    """Apply every migration not yet applied, each in its own transaction; return those applied."""
    applied: list[Migration] = []
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[schema.schema_migrations])
    versions = [m.version for m in MIGRATIONS]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"migration versions are not unique: {sorted(versions)}")
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        with engine.begin() as conn:
            # Each version is checked on its own: one merged late still applies.
            if migration.version in applied_versions(conn):
                continue
            migration.apply(conn)
            conn.execute(
                schema.schema_migrations.insert().values(
                    version=migration.version,
                    name=migration.name,
                    applied_at=isoformat(SystemClock().now()),
                )
            )
            applied.append(migration)
    return applied
