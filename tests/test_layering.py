"""The layers import one way (docs: ARCHITECTURE): routers → views/services → models, and the
scoring core needs no database. Read from the source, so a new module cannot quietly cross."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, also inside functions (a lazy import is still a
    dependency)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules_in(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules_in("routers"), ids=lambda p: p.name)
def test_no_router_imports_another(path: Path) -> None:
    assert not {m for m in imported_modules(path) if m.startswith("app.routers")}


@pytest.mark.parametrize(
    "path", modules_in("services") + modules_in("models"), ids=lambda p: str(p.relative_to(APP))
)
def test_services_and_models_never_import_routers(path: Path) -> None:
    assert not {m for m in imported_modules(path) if m.startswith("app.routers")}


@pytest.mark.parametrize("path", modules_in("matching"), ids=lambda p: p.name)
def test_the_scoring_core_touches_no_database(path: Path) -> None:
    forbidden = ("sqlalchemy", "sqlmodel", "app.db", "app.models", "app.services", "app.routers")
    assert not {m for m in imported_modules(path) if m.startswith(forbidden)}
