"""The layers import one way (docs: ARCHITECTURE): routers → views/services → models, and the
scoring core needs no database; routers build no rows (that is app/views/). Read from the
source, so a new module cannot quietly cross."""

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


# --- routers build no rows -------------------------------------------------------------------

ROUTE_METHODS = {"get", "post", "put", "patch", "delete"}
ENVELOPES = {"Page"}  # a list envelope around rows the views built


def _is_route(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ROUTE_METHODS
        for d in node.decorator_list
    )


def _response_models(tree: ast.Module) -> set[str]:
    """The response models the module imports from app/schemas/ (classes; not request
    bodies, which end in `In`, nor the page envelope)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.schemas")
        for alias in node.names
        if alias.name[:1].isupper()
        and not alias.name.endswith("In")
        and alias.name not in ENVELOPES
    }


def _built(node: ast.AST, models: set[str]) -> str | None:
    """The response model this expression constructs (`Model(...)`, `Model[...](...)`,
    `Model.model_validate(...)`), if any."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr.startswith("model_validate"):
        func = func.value
    if isinstance(func, ast.Subscript):
        func = func.value
    return func.id if isinstance(func, ast.Name) and func.id in models else None


def row_builders(path: Path) -> list[str]:
    """Where a router builds a response model outside a route's own body: in a helper
    function, a nested function or a lambda (a row builder, which belongs in app/views/)."""
    tree = ast.parse(path.read_text())
    models = _response_models(tree)
    found: list[str] = []

    def visit(node: ast.AST, where: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "route" if where is None and _is_route(child) else "helper"
                name = getattr(child, "name", "<lambda>")
                visit(child, inner if inner == "route" else f"{name} (line {child.lineno})")
                continue
            built = _built(child, models)
            if built and where != "route":
                found.append(f"{built} built in {where or 'module level'}")
            visit(child, where)

    visit(tree, None)
    return found


@pytest.mark.parametrize("path", modules_in("routers"), ids=lambda p: p.name)
def test_routers_build_no_rows(path: Path) -> None:
    """A route parses, calls services and returns what app/views/ builds; it may construct
    its own answer in its body, but a helper, nested function or lambda that builds a
    response model is a row builder, which lives in app/views/."""
    assert row_builders(path) == []


@pytest.mark.parametrize("path", modules_in("routers"), ids=lambda p: p.name)
def test_routers_define_no_schemas(path: Path) -> None:
    """Request and response models live in app/schemas/."""
    tree = ast.parse(path.read_text())
    assert not [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "BaseModel" for b in node.bases)
    ]


def test_the_row_builder_check_sees_a_helper_and_a_lambda(tmp_path: Path) -> None:
    """The check itself: a helper and a lambda building a response model are found."""
    router = tmp_path / "router.py"
    router.write_text(
        "from app.schemas.matches import MatchOut, SwipeIn\n"
        "from app.schemas.common import Page\n"
        "def _row(m):\n    return MatchOut(id=m.id)\n"
        "@router.get('/x')\n"
        "def route(rows):\n"
        "    items = list(map(lambda m: MatchOut.model_validate(m), rows))\n"
        "    return Page[MatchOut](items=[MatchOut(id=1)], next_cursor=SwipeIn())\n"
    )
    assert row_builders(router) == [
        "MatchOut built in _row (line 3)",
        "MatchOut built in <lambda> (line 7)",
    ]
