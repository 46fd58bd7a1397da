"""No module in hanano/ over 500 lines and no function or method over 50 lines.

Small modules named for what they hold and short functions named for what they do keep the code
readable; the limit is checked here so that it holds as the code grows. Generated data is exempt:
the frozen table definitions of each domain's migrations.py sit at module level, outside any
function, so only their module length could count, and none is near it.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "hanano"
MODULE_LIMIT = 500
FUNCTION_LIMIT = 50


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            if length > FUNCTION_LIMIT:
                found.append(f"{name_of(path)}:{node.lineno} {node.name} has {length} lines")
    return found


def test_the_package_is_found() -> None:
    assert len(python_files()) > 50


def test_no_module_is_over_500_lines() -> None:
    long_modules = []
    for path in python_files():
        length = len(path.read_text(encoding="utf-8").splitlines())
        if length > MODULE_LIMIT:
            long_modules.append(f"{name_of(path)} has {length} lines")
    assert not long_modules, "\n".join(long_modules)


def test_no_function_is_over_50_lines() -> None:
    found = []
    for path in python_files():
        found.extend(long_functions(path))
    assert not found, "\n".join(found)
