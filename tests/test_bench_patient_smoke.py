"""Smoke test of benchmarks/bench_patient.py (the full patient in septrial and, through its SBML
export, in libroadrunner): it runs, the tools compute the same thing, and it writes its section.
Timing is never asserted here."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import septrial

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "bench_patient.py"
HAVE_ROADRUNNER = importlib.util.find_spec("roadrunner") is not None


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench_patient")
    md, js = out_dir / "benchmarks.md", out_dir / "bench.json"
    md.write_text("# Benchmarks\n\nkept\n", encoding="utf-8")
    env = dict(os.environ)
    package_root = str(Path(septrial.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    args = ["--quick", "--silent", "--out", str(md), "--json", str(js)]
    args += ["--n-septrial", "6", "--n-roadrunner", "2", "--repeats", "1"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return md.read_text(encoding="utf-8"), json.loads(js.read_text(encoding="utf-8"))


def test_section_written_and_the_rest_kept(run):
    text, result = run
    assert text.startswith("# Benchmarks\n\nkept\n")
    assert "<!-- patient-sbml:start -->" in text and "<!-- patient-sbml:end -->" in text
    assert "## Full patient: septrial and libroadrunner (SBML export)" in text
    assert all(r["patients_per_s"] > 0 for r in result["rows"])


def test_septrial_twins_agree(run):
    _, result = run
    for r in result["rows"]:
        if r["tool"] == "septrial" and r["label"] != "septrial":
            assert r["agreement"] < 1e-3, (r["solver"], r["agreement"])


@pytest.mark.skipif(not HAVE_ROADRUNNER, reason="libroadrunner is only in the 'bench' extra")
def test_roadrunner_runs_the_exported_patient(run):
    _, result = run
    rows = [r for r in result["rows"] if r["tool"] == "libroadrunner"]
    assert len(rows) == 3
    assert all(r["agreement"] < 1e-3 for r in rows), [r["agreement"] for r in rows]
    assert result["vs_best_roadrunner"] > 0
