"""The notebooks run top to bottom in a fresh ``python3`` kernel, in a temporary working folder.

Sizes come from each notebook's "parameters" cell, which reads ``SEPTRIAL_NOTEBOOK_SCALE``:
``reduced`` here (every run, CI included), ``full`` in the slow-marked run (``pytest -m slow``
outside CI; skipped when ``SEPTRIAL_REDUCED``/``CI`` asks for reduced runs).

They import the installed ``septrial`` (no ``sys.path`` changes inside them). For a source checkout
run with ``PYTHONPATH=python``: the kernel inherits the environment, with relative ``PYTHONPATH``
entries made absolute because the kernel starts in the temporary folder.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import REDUCED

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["quickstart", "dosing_variants", "screening_recruitment", "sample_size", "extending"]
CELL_TIMEOUT_S = 300
SCALE_VARIABLE = "SEPTRIAL_NOTEBOOK_SCALE"


def _kernel_env(scale: str) -> dict[str, str]:
    env = dict(os.environ)
    env[SCALE_VARIABLE] = scale
    if env.get("PYTHONPATH"):
        parts = [str(Path(p).resolve()) if p else p for p in env["PYTHONPATH"].split(os.pathsep)]
        env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def _read(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_stored_without_outputs(name: str) -> None:
    nb = _read(name)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{name}.ipynb cell {i}: stored with outputs; clear them"
            assert cell.execution_count is None, f"{name}.ipynb cell {i}: execution count stored"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_one_parameters_cell_reading_the_scale(name: str) -> None:
    nb = _read(name)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}.ipynb: one cell tagged 'parameters' expected"
    assert SCALE_VARIABLE in tagged[0].source
    others = [c for c in nb.cells if c is not tagged[0] and SCALE_VARIABLE in c.source]
    assert not others, f"{name}.ipynb: only the parameters cell reads {SCALE_VARIABLE}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    _run(name, "reduced", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_full_size(name: str, tmp_path: Path) -> None:
    if REDUCED:
        pytest.skip("full-size notebooks run with `pytest -m slow` outside CI")
    _run(name, "full", tmp_path)


def _run(name: str, scale: str, tmp_path: Path) -> None:
    nb = _read(name)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    try:
        client.execute(env=_kernel_env(scale))
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{name}.ipynb failed:\n{e}", pytrace=False)
    elapsed = time.perf_counter() - start
    print(f"{name}.ipynb ({scale}) ran in {elapsed:.1f} s")
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = "".join(o.get("text", "") for c in code for o in c.outputs)
    assert f"scale: {scale}" in printed, f"{name}.ipynb: the parameters cell did not read {scale}"

    images = sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    )
    assert images > 0, f"{name}.ipynb: no plot was displayed"
