"""Statements built and compiled once, then run straight on the driver's cursor.

The writer runs the same dozen statements for every report. Building, compiling and wrapping
SQLAlchemy expressions for each call cost more than the database work itself, so the hot path
keeps its statements here: compiled once per dialect and executed on the DBAPI cursor of the
same connection, inside the same transaction as everything else.
"""

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.sql import Executable

_Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any]]


class Rows:
    """The rows of one execution, with the few accessors the hot path needs."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def all(self) -> Sequence[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None


class Prepared:
    """One statement with named bind parameters, compiled lazily per dialect."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._row_types: dict[tuple[str, ...], Any] = {}

    def _compile(self, conn: Connection) -> _Compiled:
        name = conn.dialect.name
        found = self._compiled.get(name)
        if found is None:
            # Expanding IN lists are rendered at execution time, so prepared statements spell
            # such tests with OR instead.
            compiled = self.statement.compile(dialect=conn.dialect)  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup) if compiled.positional else None
            defaults = {k: v for k, v in compiled.params.items() if v is not None}
            found = (compiled.string, order, defaults)
            self._compiled[name] = found
        return found

    def _arguments(self, compiled: _Compiled, params: Mapping[str, Any] | None) -> Any:
        _, order, defaults = compiled
        values = {**defaults, **params} if params else defaults
        if order is not None:
            return tuple(values[k] for k in order)
        return values

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Rows:
        compiled = self._compile(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled[0], self._arguments(compiled, params))
            if cursor.description is None:
                return Rows(())
            row_type = self._row_type(tuple(d[0] for d in cursor.description))
            return Rows([row_type._make(r) for r in cursor.fetchall()])
        finally:
            cursor.close()

    def tuples(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The rows as the driver gives them (plain tuples): for loops over the whole log."""
        compiled = self._compile(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled[0], self._arguments(compiled, params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled = self._compile(conn)
        _, order, defaults = compiled
        if order is not None and not defaults:
            # The common bulk case (every column given, a positional driver): one tuple per
            # row, without merging each row into a fresh dict first.
            arguments: list[Any] = list(map(_row_getter(order), rows))
        else:
            arguments = [self._arguments(compiled, r) for r in rows]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled[0], arguments)
        finally:
            cursor.close()

    def _row_type(self, names: tuple[str, ...]) -> Any:
        found = self._row_types.get(names)
        if found is None:
            found = namedtuple("Row", names)  # type: ignore[misc, no-redef]
            self._row_types[names] = found
        return found


def _row_getter(order: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(order) == 1:
        (name,) = order
        return lambda row: (row[name],)
    return itemgetter(*order)


def insert_all(table: Table) -> Prepared:
    """INSERT of every column, each bound to a parameter named after it."""
    return Prepared(table.insert().values({c.name: bindparam(c.name) for c in table.columns}))


def savepoint(conn: Connection, name: str) -> None:
    _raw(conn, f"SAVEPOINT {name}")


def release(conn: Connection, name: str) -> None:
    _raw(conn, f"RELEASE SAVEPOINT {name}")


def rollback_to(conn: Connection, name: str) -> None:
    _raw(conn, f"ROLLBACK TO SAVEPOINT {name}")


def _raw(conn: Connection, sql: str) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()
