"""The wheel, as a user gets it: built with ``python -m build --wheel``, installed into a fresh
venv (with its dependencies, from the wheel's own metadata) and smoke-tested there, away from the
source tree: ``import septrial``, the bundled scenarios and schemas, ``septrial list``, a tiny
simulation.

CI builds the wheel once, in the build tree that also serves the installed package and the C++
tests (.ci/run), and passes it as ``SEPTRIAL_WHEEL``. Without it this test builds one itself (no
build isolation: the build requirements are in the ``test`` extra) in a build directory kept
between sessions next to pytest's temporary directories, so later sessions rebuild incrementally.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, timeout: float, env: dict | None = None) -> str:
    proc = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    tail = "\n".join(proc.stdout.splitlines()[-80:])
    assert proc.returncode == 0, f"{' '.join(command)} failed ({proc.returncode}):\n{tail}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    given = os.environ.get("SEPTRIAL_WHEEL")
    if given:
        path = Path(given).resolve()
        assert path.is_file(), f"SEPTRIAL_WHEEL={given} does not exist"
        return path
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip(f"no source tree at {ROOT} to build a wheel from (an installed package)")
    pytest.importorskip("build", reason="pip install build (in the test extra)")
    pytest.importorskip("scikit_build_core", reason="pip install scikit-build-core (test extra)")
    key = hashlib.sha256(f"{ROOT}\n{sys.executable}".encode()).hexdigest()[:12]
    base = tmp_path_factory.getbasetemp()
    if pytestconfig.getoption("basetemp") is None:
        base = base.parent  # survives between sessions, like the C++ tests' build tree
    build_dir = base / f"septrial-wheel-build-{key}"
    out = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         f"-Cbuild-dir={build_dir}", str(ROOT)],
        cwd=ROOT,
        timeout=1800,
    )  # fmt: skip
    (path,) = out.glob("septrial-*.whl")
    return path


def test_wheel_carries_the_extension_and_every_bundled_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("septrial/_core") and n.endswith(".so") for n in names), names
    expected = {
        "septrial/data/" + p.relative_to(ROOT / "scenarios").as_posix()
        for p in (ROOT / "scenarios").rglob("*.json")
    }
    assert expected, "no scenario files found in the source tree"
    assert expected <= names, sorted(expected - names)
    assert "septrial/data/nct04843982.json" in names
    assert any(n.startswith("septrial/data/schema/") for n in names)
    py_sources = {
        "septrial/" + p.relative_to(ROOT / "python" / "septrial").as_posix()
        for p in (ROOT / "python" / "septrial").rglob("*")
        if p.suffix in (".py", ".pyi", ".typed") and "__pycache__" not in p.parts
    }
    assert py_sources <= names, sorted(py_sources - names)
    # The build tree it came from also holds the C++ tests: none of that may ship.
    assert not [n for n in names if "septrial_cpp_tests" in n or n.endswith((".o", ".a"))]


SMOKE = textwrap.dedent(
    """
    import json, pathlib, sys
    import numpy as np
    import septrial
    from septrial.resources import bundled_path, data_dirs

    prefix = pathlib.Path(sys.prefix).resolve()
    pkg = pathlib.Path(septrial.__file__).resolve().parent
    assert prefix in pkg.parents, (pkg, prefix)  # the wheel's copy, not the source tree
    scenario_file = bundled_path("", "nct04843982").resolve()
    assert prefix in scenario_file.parents, scenario_file
    sc = septrial.Scenario.load("nct04843982")
    schemas = sorted(p.name for d in data_dirs("schema") for p in d.glob("*.schema.json"))
    for d in data_dirs("schema"):
        assert prefix in d.resolve().parents, d
        for p in d.glob("*.json"):
            json.loads(p.read_text())
    dose = septrial.Infusion(drug="esketamine", rate=0.07, unit="mg/kg/h", start_h=0,
                             duration_h=72)
    df = septrial.simulate("esketamine_otto2021", covariates={"weight_kg": 70}, doses=[dose],
                           times_h=[0.0, 24.0, 72.0, 96.0])
    c = df["esketamine_ng_ml"].to_numpy()
    assert c[0] == 0 and (c[1:] > 0).all() and c[3] < c[2], c
    from septrial.modeldef.load import builtin_specification
    immune = builtin_specification("sepsis_immune")  # the patient's specification ships too
    assert immune is not None and prefix in immune.resolve().parents, immune
    print(json.dumps({"scenario": sc.name, "schemas": schemas, "models": septrial.models()}))
    """
)


def test_wheel_installs_into_a_fresh_venv_and_works(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, timeout=300)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        cwd=tmp_path,
        timeout=1800,
        env=env,
    )
    out = _run([str(python), "-c", SMOKE], cwd=tmp_path, timeout=600, env=env)
    info = json.loads(out.strip().splitlines()[-1])
    assert info["scenario"]
    expected_schemas = sorted(p.name for p in (ROOT / "scenarios" / "schema").glob("*.schema.json"))
    assert info["schemas"] == expected_schemas
    listing = _run([str(venv / "bin" / "septrial"), "list"], cwd=tmp_path, timeout=300, env=env)
    lines = dict(line.split(": ", 1) for line in listing.strip().splitlines())
    assert lines["models"].split(", ") == info["models"]
    assert "nct04843982" in lines["scenarios"].split(", ")
