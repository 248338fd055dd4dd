"""Smoke test of benchmarks/bench_peers.py: it runs, the tools compute the same thing, and it writes
its report. Timing is never asserted here (performance lives in benchmarks/, not in unit tests)."""

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
SCRIPT = REPO / "benchmarks" / "bench_peers.py"
HAVE_ROADRUNNER = importlib.util.find_spec("roadrunner") is not None
NO_ROADRUNNER = "libroadrunner is not installed (it is only in the 'bench' extra)"
HAVE_NUMBALSODA = all(importlib.util.find_spec(m) for m in ("numba", "numbalsoda"))
HAVE_JAX = all(importlib.util.find_spec(m) for m in ("jax", "diffrax"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench")
    md, js = out_dir / "benchmarks.md", out_dir / "bench.json"
    env = dict(os.environ)
    # The subprocess must import the same septrial as this test process.
    package_root = str(Path(septrial.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--quick",
            "--silent",
            "--out",
            str(md),
            "--json",
            str(js),
            "--n-septrial",
            "12",
            "--n-roadrunner",
            "3",
            "--n-scipy",
            "2",
            "--n-numbalsoda",
            "3",
            "--n-jax",
            "3",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return md, json.loads(js.read_text(encoding="utf-8"))


def _rows(result, tool=None):
    return [
        (c["key"], r)
        for c in result["cases"]
        for r in c["rows"]
        if tool is None or r["tool"] == tool
    ]


def test_report_written(run):
    md, result = run
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert "| tool | solver | threads |" in text
    assert "## How measured" in text
    assert not list(md.parent.glob(".*.tmp"))  # atomic write left no temporary behind
    assert {c["key"] for c in result["cases"]} == {"otto2021", "reynolds2006"}
    assert result["machine"]["cpu"]
    for _, r in _rows(result):
        assert r["patients_per_s"] > 0 and len(r["seconds_all"]) == result["repeats"]


def test_septrial_matches_scipy_and_reference(run):
    _, result = run
    for key, r in _rows(result, "SciPy solve_ivp"):
        assert r["agreement"] < 1e-3, (key, r["solver"], r["agreement"])
        assert r["compared_patients"] >= 1
    for key, r in _rows(result, "septrial"):
        assert r["error_vs_reference"] < 1e-4, (key, r["solver"], r["error_vs_reference"])
        if r["label"] != "septrial":
            assert r["agreement"] < 1e-3, (key, r["solver"], r["agreement"])


def test_thread_count_does_not_change_results(run):
    _, result = run
    t2 = [r for _, r in _rows(result) if r["label"] == "septrial_t2"]
    assert t2 and all(r["bitwise_equal_to_1_thread"] for r in t2)


@pytest.mark.skipif(not HAVE_ROADRUNNER, reason=NO_ROADRUNNER)
def test_septrial_matches_roadrunner(run):
    _, result = run
    rows = _rows(result, "libroadrunner")
    solvers = ("CVODE BDF (stiff)", "CVODE Adams")
    solvers += tuple(f"{s}, expert" for s in (*solvers, "CVODE Adams max order 5"))
    assert {(k, r["solver"]) for k, r in rows} == {
        (k, s) for k in ("otto2021", "reynolds2006") for s in solvers
    }
    for key, r in rows:
        assert r["agreement"] < 1e-3, (key, r["solver"], r["agreement"])
    assert all("vs_best_roadrunner" in s for s in result["summary"].values())


@pytest.mark.skipif(HAVE_ROADRUNNER, reason="libroadrunner is installed; its rows are measured")
def test_roadrunner_absent_is_reported(run):
    md, result = run
    assert all(c["roadrunner_skipped"] for c in result["cases"])
    assert "libroadrunner rows skipped" in md.read_text(encoding="utf-8")


@pytest.mark.skipif(not HAVE_NUMBALSODA, reason="numbalsoda/numba are only in the 'bench' extra")
def test_septrial_matches_numbalsoda(run):
    _, result = run
    rows = _rows(result, "numbalsoda")
    assert {k for k, _ in rows} == {"otto2021", "reynolds2006"}
    for key, r in rows:
        assert r["agreement"] < 1e-3, (key, r["agreement"])
    assert all("vs_numbalsoda" in s for s in result["summary"].values())


@pytest.mark.skipif(not HAVE_JAX, reason="JAX/diffrax are only in the 'bench' extra")
def test_septrial_matches_jax(run):
    _, result = run
    rows = _rows(result, "JAX + diffrax")
    assert {(k, r["solver"]) for k, r in rows} == {
        (k, s) for k in ("otto2021", "reynolds2006") for s in ("Tsit5, vmap", "Kvaerno5, vmap")
    }
    for key, r in rows:
        assert r["agreement"] < 1e-3, (key, r["solver"], r["agreement"])
        assert r["compile_s"] > 0  # the first call is timed apart from the repeats


@pytest.mark.skipif(
    HAVE_NUMBALSODA and HAVE_JAX, reason="numbalsoda and JAX are installed; their rows are measured"
)
def test_missing_optional_peers_are_reported(run):
    md, result = run
    text = md.read_text(encoding="utf-8")
    for case in result["cases"]:
        if not HAVE_NUMBALSODA:
            assert "numbalsoda" in case["skipped"]
        if not HAVE_JAX:
            assert "JAX + diffrax" in case["skipped"]
    assert "rows skipped" in text
