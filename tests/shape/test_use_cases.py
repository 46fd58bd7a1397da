"""The HTTP routes and the CLI run no SQL of their own: they call the domains' use cases
(`hanano/<domain>/api.py`), whose views and commands hold the queries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "hanano"
SQL_NAMES = {"select", "insert", "update", "delete", "text"}


def _front_modules() -> list[Path]:
    found = set(ROOT.joinpath("web").rglob("*.py"))
    for domain in ROOT.iterdir():
        if domain.is_dir():
            found.update(domain.glob("routes.py"))
            found.update(domain.glob("cli.py"))
            found.update(domain.glob("*_routes.py"))
            found.update(domain.glob("*_cli.py"))
    return sorted(found)


def sql_in(source: str) -> list[str]:
    """Where a module imports SQLAlchemy's statement builders or executes SQL itself."""
    faults = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names = sorted(a.name for a in node.names if a.name in SQL_NAMES)
            if names:
                faults.append(f"line {node.lineno}: imports {', '.join(names)} from sqlalchemy")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, target = node.func.attr, node.func.value
            owner = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if method == "exec_driver_sql" or (method == "execute" and owner == "conn"):
                faults.append(f"line {node.lineno}: calls {method}")
    return faults


@pytest.mark.parametrize("path", _front_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_in_routes_or_cli(path: Path) -> None:
    assert sql_in(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_sql() -> None:
    source = (
        "from sqlalchemy import select, Connection\n"
        "def f(conn):\n"
        "    conn.execute(select(1))\n"
        "    conn.exec_driver_sql('SELECT 1')\n"
    )
    assert len(sql_in(source)) == 3
    assert (
        sql_in("from sqlalchemy import Connection\ndef f(service):\n    service.execute(1)\n") == []
    )


def test_front_modules_are_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in _front_modules()}
    assert {"web/stream.py", "dispatch/routes.py", "dispatch/cli.py", "access/cli.py"} <= names


def connections_in(source: str) -> list[str]:
    """Where a module opens a database connection of its own (`….engine.connect()`)."""
    faults = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if node.func.attr in ("connect", "begin") and getattr(target, "attr", None) == "engine":
                faults.append(f"line {node.lineno}: opens a connection")
    return faults


@pytest.mark.parametrize(
    "path",
    [p for p in _front_modules() if not p.name.endswith("cli.py")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_routes_read_through_use_cases(path: Path) -> None:
    """A route reads through its domain's use case, never a connection it opens itself."""
    assert connections_in(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_a_connection() -> None:
    source = "def f(service):\n    with service.engine.connect() as conn:\n        return conn\n"
    assert connections_in(source) == ["line 2: opens a connection"]
    assert connections_in("def f(service):\n    return api.tracks(service)\n") == []
