"""The layering rules of README « Architecture », checked on the source tree.

Read with :mod:`ast` (nothing is imported): every module of ``segur_app`` and
the imports it makes at module level (``if TYPE_CHECKING:`` blocks excepted,
imports inside functions counted separately where a rule says so).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "segur_app"
MAX_LINES = 400


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    # segur_app modules imported at module level (for cycles).
    top_imports: set[str] = field(default_factory=set)
    # Every segur_app module imported anywhere in the file, with the names taken.
    imports: list[tuple[str, list[str]]] = field(default_factory=list)
    external: set[str] = field(default_factory=set)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _scan(path: Path, known: set[str]) -> Module:
    source = path.read_text(encoding="utf-8")
    name = _module_name(path)
    is_package = path.name == "__init__.py"
    module = Module(name, path, source.count("\n") + 1)
    tree = ast.parse(source, filename=str(path))

    def targets(node: ast.AST) -> list[tuple[str, list[str]]]:
        found: list[tuple[str, list[str]]] = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, []))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, node, is_package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    found.append((submodule, []))
                else:
                    found.append((base, [alias.name]))
        return found

    def visit(nodes, top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target, names in targets(node):
                    if target.split(".")[0] == "segur_app":
                        module.imports.append((target, names))
                        if top:
                            module.top_imports.add(target)
                    else:
                        module.external.add(target.split(".")[0])
            for child_field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, child_field, None)
                if isinstance(children, list):
                    nested_top = top and not isinstance(
                        node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
                    visit(children, nested_top)

    visit(tree.body, True)
    return module


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    paths = sorted(PACKAGE_ROOT.rglob("*.py"))
    known = {_module_name(path) for path in paths}
    return {m.name: m for m in (_scan(path, known) for path in paths)}


def _layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_scanner_sees_the_tree(modules):
    # A scanner that found nothing would make every rule below pass.
    assert len(modules) > 100
    assert "segur_app.domain.access" in modules
    assert modules["segur_app.state.base"].top_imports
    assert "reflex" in modules["segur_app.state.base"].external


def test_domain_never_imports_reflex(modules):
    offenders = sorted(m.name for m in modules.values()
                       if _layer(m.name) == "domain" and "reflex" in m.external)
    assert offenders == []


def test_api_and_state_never_import_each_other(modules):
    offenders = sorted(
        f"{m.name} -> {target}"
        for m in modules.values()
        for target, _names in m.imports
        if {_layer(m.name), _layer(target)} == {"api", "state"}
    )
    assert offenders == []


def test_domain_imports_no_upper_layer(modules):
    upper = {"state", "pages", "components", "api"}
    offenders = sorted(
        f"{m.name} -> {target}"
        for m in modules.values() if _layer(m.name) == "domain"
        for target, _names in m.imports if _layer(target) in upper
    )
    assert offenders == []


def test_no_module_imports_another_modules_private_names(modules):
    offenders = sorted(
        f"{m.name} imports {target}.{name}"
        for m in modules.values()
        for target, names in m.imports
        for name in names
        if name.startswith("_") and not name.startswith("__") and target != m.name
    )
    assert offenders == []


def test_no_import_cycle_at_module_level(modules):
    graph = {name: {t for t in m.top_imports if t in modules and t != name}
             for name, m in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target):], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_every_module_stays_readable(modules):
    offenders = sorted(f"{m.name}: {m.lines} lines" for m in modules.values()
                       if m.lines > MAX_LINES)
    assert offenders == []


def test_every_module_says_what_it_is_for(modules):
    missing = sorted(m.name for m in modules.values()
                     if m.lines > 1 and ast.get_docstring(ast.parse(m.path.read_text())) is None)
    assert missing == []


FEATURES = ("accounts", "assistance", "enrolment", "funding")
# The only imports from one feature package into another, each with its reason.
FEATURE_DEPENDENCIES = {
    # A staff decision on an enrolment is recorded in the audit log (AuditEvent).
    ("segur_app.domain.enrolment.decision", "segur_app.domain.accounts.events"),
    # A ticket stored or changed is recorded in the audit log (AuditEvent).
    ("segur_app.domain.assistance.tickets", "segur_app.domain.accounts.events"),
}


def _feature(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 2 and parts[1] == "domain" and parts[2] in FEATURES:
        return parts[2]
    return ""


def test_feature_packages_do_not_import_each_other(modules):
    # What two features share lives next to them in domain/ (lists.py, paging.py,
    # dossier_views.py, refusals.py…), not in one of them.
    found = {
        (m.name, target)
        for m in modules.values() if _feature(m.name)
        for target, _names in m.imports
        if _feature(target) and _feature(target) != _feature(m.name)
    }
    assert sorted(found - FEATURE_DEPENDENCIES) == []
    # An exception no longer needed is removed from the list.
    assert sorted(FEATURE_DEPENDENCIES - found) == []
