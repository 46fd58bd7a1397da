"""The import graph of hanano: no cycles, a store that knows no domain, few late imports.

Every import counts, including those inside functions and under TYPE_CHECKING: a cycle hidden
in a function body is still a cycle, only deferred to the first call.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hanano"

DOMAIN_PACKAGES = (
    "hanano.access",
    "hanano.city",
    "hanano.intake",
    "hanano.evidence",
    "hanano.warning",
    "hanano.dispatch",
    "hanano.field",
    "hanano.sim",
    "hanano.web",
    "hanano.domains",
    "hanano.domain",
)

# Deliberate late imports (heavy optional libraries, the service reading hanano.domains);
# lower this when one goes, never raise it without naming why in the noqa.
MAX_LATE_IMPORTS = 2


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The hanano modules `name` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `edges` as the list of modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_store_imports_no_domain() -> None:
    wrong = sorted(
        f"{source} -> {target}"
        for source, targets in graph().items()
        if in_package(source, "hanano.store")
        for target in targets
        if any(in_package(target, d) for d in DOMAIN_PACKAGES)
    )
    assert wrong == []


def test_late_imports_stay_few() -> None:
    count = sum(p.read_text().count("noqa: PLC0415") for p in PACKAGE.rglob("*.py"))
    assert count <= MAX_LATE_IMPORTS
