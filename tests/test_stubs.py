"""The hand-written stubs python/septrial/_core.pyi against the compiled extension.

`mypy.stubtest` checks that every runtime name has a stub of the same kind (function, class,
property) and vice versa. pybind11 functions carry no ``__text_signature__``, so stubtest cannot
see their parameters; the second test reads them from pybind11's docstring signatures instead and
compares names, order and defaults with the stub.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from septrial import _core

STUB = Path(_core.__file__).with_name("_core.pyi")

# pybind11 classes have the metaclass pybind11_builtins.pybind11_type, which a stub cannot name;
# these entries silence only that class-level difference, not their members. The last two lines
# (regular expressions) silence pybind11 machinery: the conversion dunders of py::enum_ classes
# and the constructor-less __init__(*args) of classes built only by static factories.
ALLOWLIST = "".join(
    f"septrial._core.{name}\n"
    for name, obj in vars(_core).items()
    if isinstance(obj, type) and type(obj).__name__ == "pybind11_type"
) + (
    "septrial\\._core\\.(ValueKind|DistType|Formula|ExprOp)\\.__(int|index|members)__\n"
    "septrial\\._core\\.(Condition|LogitTerm|Distribution)\\.__init__\n"
)


def test_stubtest_passes(tmp_path: Path) -> None:
    pytest.importorskip("mypy.stubtest", reason="mypy is not installed (pip install mypy)")
    assert STUB.is_file(), f"missing stub file {STUB}"
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text(ALLOWLIST)
    config = tmp_path / "mypy.ini"  # not the project's [tool.mypy] (that one checks the package)
    config.write_text("[mypy]\n")
    # The subprocess must import the same septrial as this session (source tree or installed).
    package_parent = str(Path(_core.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    # A source tree must be on mypy's path; an installed package is found in site-packages,
    # which mypy refuses to see in MYPYPATH.
    if "site-packages" not in Path(package_parent).parts:
        env["MYPYPATH"] = package_parent
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "septrial._core"]
        + ["--allowlist", str(allowlist), "--mypy-config-file", str(config)],
        cwd=tmp_path,  # keeps .mypy_cache out of the repository
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---- parameters from pybind11's docstring signatures ----


def _split_top_level(text: str, sep: str) -> list[str]:
    """Splits at `sep` outside brackets: "a: dict[str, int], b: int" -> 2 parts."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _runtime_params(obj: object, name: str) -> list[tuple[str, str | None]]:
    """[(parameter, default source or None)] from the first line of a pybind11 docstring."""
    doc = obj.__doc__ or ""
    line = next((ln for ln in doc.splitlines() if ln.startswith(f"{name}(")), None)
    assert line is not None, f"{name}: no pybind11 signature in its docstring: {doc!r}"
    depth, end = 0, None
    for i, ch in enumerate(line):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch == ")":
            end = i
            break
    assert end is not None, line
    inner = line[len(name) + 1 : end].strip()
    params: list[tuple[str, str | None]] = []
    for item in _split_top_level(inner, ",") if inner else []:
        head, *default = _split_top_level(item, " = ")
        pname = head.split(":", 1)[0].strip()
        if pname != "self":
            params.append((pname, default[0].strip() if default else None))
    return params


REQUIRED = object()  # marks a stub parameter without a default


def _stub_params(fn: ast.FunctionDef) -> list[tuple[str, object]]:
    """[(parameter, default value or the marker REQUIRED)] of a stub function, without self."""
    args = fn.args
    assert not (args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs), fn.name
    names = [a.arg for a in args.args]
    defaults: list[object] = [REQUIRED] * (len(names) - len(args.defaults))
    defaults += [ast.literal_eval(d) for d in args.defaults]
    pairs = list(zip(names, defaults, strict=True))
    return [p for p in pairs if p[0] != "self"]


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(), filename=str(STUB))


def _callables() -> list[tuple[str, object, ast.FunctionDef]]:
    """(qualified name, runtime object, stub definition) of every stubbed function and method."""
    out = []
    for node in _stub_tree().body:
        if getattr(node, "name", "_").startswith("_"):
            continue  # stub-only helpers (_ModelInfo and friends)
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, getattr(_core, node.name), node))
        elif isinstance(node, ast.ClassDef):
            cls = getattr(_core, node.name)
            for item in node.body:
                name = getattr(item, "name", "")
                dunder = name.startswith("__") and name != "__init__"  # the enum protocol
                if (
                    isinstance(item, ast.FunctionDef)
                    and not dunder
                    and not any(
                        isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
                    )
                ):
                    out.append((f"{node.name}.{item.name}", getattr(cls, item.name), item))
    return out


@pytest.mark.parametrize("qualname", [q for q, _, _ in _callables()])
def test_stub_parameters_match_runtime(qualname: str) -> None:
    _, runtime, stub = next(c for c in _callables() if c[0] == qualname)
    name = stub.name
    got = _runtime_params(runtime, name)
    want = _stub_params(stub)
    assert [p for p, _ in got] == [p for p, _ in want], (
        f"{qualname}: parameter names or order differ"
    )
    for (pname, rt_default), (_, stub_default) in zip(got, want, strict=True):
        if rt_default is None:
            assert stub_default is REQUIRED, f"{qualname}({pname}): runtime has no default"
        else:
            assert stub_default is not REQUIRED, (
                f"{qualname}({pname}): runtime default {rt_default}"
            )
            assert ast.literal_eval(rt_default) == stub_default, f"{qualname}({pname}) default"


def test_every_runtime_name_is_stubbed() -> None:
    tree = _stub_tree()
    stubbed = {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    }
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public == stubbed
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in public:
            cls = getattr(_core, node.name)
            members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            # enum values (py::enum_) are stubbed as annotated class attributes
            members |= {
                n.target.id
                for n in node.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            }
            runtime = {n for n in vars(cls) if not n.startswith("_")}
            assert runtime == {m for m in members if not m.startswith("_")}, node.name
