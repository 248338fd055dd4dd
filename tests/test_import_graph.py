"""The package's import structure: no import cycle between modules, no ``septrial`` import hidden
inside a function body, and the specification (``Scenario``) independent of the simulation
pipeline. Read from the sources with ``ast`` (nothing is imported)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "septrial"
#: The simulation pipeline: a scenario must be loadable and checkable without any of these.
PIPELINE = {
    "septrial.study",
    "septrial.trial",
    "septrial.power_curves",
    "septrial.power_pools",
    "septrial.power_fresh",
    "septrial.chunks",
    "septrial.enrolment",
    "septrial.outcomes",
    "septrial.screening_run",
    "septrial.effects",
    "septrial.cli",
    "septrial.executor",
    "septrial.cohort.frame",
    "septrial.calibrate",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _target(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """septrial modules an import statement loads (``from a import b``: a.b when b is a module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "septrial"]
    base = node.module or ""
    if node.level:
        package = module.split(".")
        is_package = MODULES[module].name == "__init__.py"
        anchor = package if is_package else package[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    if base.split(".")[0] != "septrial":
        return []
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return found or [base]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> tuple[set[str], list[str]]:
    """(septrial modules imported when the module loads, septrial imports inside functions)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top: set[str] = set()
    hidden: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                targets = _target(module, child)
                if in_function and targets:
                    hidden.append(f"{module}:{child.lineno} imports {', '.join(targets)}")
                elif not in_function:
                    top.update(t for t in targets if t in MODULES and t != module)
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, inner)

    visit(tree, False)
    return top, hidden


GRAPH = {m: _imports(m)[0] for m in MODULES}


def test_no_septrial_import_hides_in_a_function_body():
    hidden = [h for m in MODULES for h in _imports(m)[1]]
    assert not hidden, "imports inside function bodies:\n" + "\n".join(hidden)


def test_the_import_graph_has_no_cycle():
    try:
        tuple(graphlib.TopologicalSorter(GRAPH).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def _closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for t in GRAPH.get(m, ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


@pytest.mark.parametrize("module", ["septrial.spec.scenario", "septrial.scenario"])
def test_the_scenario_imports_nothing_from_the_pipeline(module):
    assert not (_closure(module) & PIPELINE), sorted(_closure(module) & PIPELINE)


def test_the_check_can_fail():
    """The checker itself sees a cycle and a hidden import when there is one."""
    graph = {"a": {"b"}, "b": {"a"}}
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
    tree = ast.parse("def f():\n    import septrial.trial\n")
    func = tree.body[0]
    assert isinstance(func.body[0], ast.Import) and _target("septrial", func.body[0])
