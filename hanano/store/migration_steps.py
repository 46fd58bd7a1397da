"""Steps that migrations of several domains share."""

from sqlalchemy import Connection, column, func, inspect, select, table, update

from hanano.clock import canonical_time


def pad_short_years(conn: Connection, times: tuple[tuple[str, str], ...]) -> None:
    """Zero-pad the years of stored times: before the year was padded, a year before 1000 was
    written with fewer digits ("500-01-01T..."), which sorts after every real date."""
    for table_name, column_name in times:
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


def add_missing_columns(conn: Connection, added: tuple[tuple[str, str, str], ...]) -> None:
    """ALTER TABLE ... ADD COLUMN for each (table, column, SQL type) the table lacks yet."""

    for table_name, column_name, kind in added:
        if column_name not in {c["name"] for c in inspect(conn).get_columns(table_name)}:
            conn.exec_driver_sql(f"ALTER TABLE {table_name} ADD COLUMN {column_name} {kind}")
