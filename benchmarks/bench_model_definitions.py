"""Models as data: specification models against their compiled C++ twins.

    python benchmarks/bench_model_definitions.py              # 1000 patients, best of 3
    python benchmarks/bench_model_definitions.py --patients 5000 --repeats 5 --threads 2
    python benchmarks/bench_model_definitions.py --backend bytecode   # the interpreter only
    python benchmarks/bench_model_definitions.py --backend both --update-docs  # docs/benchmarks.md

Defines ``benchmarks/models/esketamine_otto2021.toml`` and ``reynolds2006.toml`` (the compiled
models written as specifications), times their one-time compilation (sympy imported beforehand),
then simulates the same cohort with the built-in model and with the specification, per solver
method, alternating the two so that machine load hits both alike: Otto with weights 45-130 kg,
bolus 0.25 mg/kg + 0.07 mg/kg/h for 72 h, hourly grid to 96 h; Reynolds with pathogen loads
P0 0.5-1.5 and growth rates k_pg 0.2-0.6, hourly grid to 168 h. Same tolerances and grid for both
twins. Reports patients/s, the time ratio (spec / built-in), the largest difference relative to
each observable's peak, and steps and right-hand-side evaluations of one typical patient (the stiff
solver uses the specification's symbolic Jacobian and the built-in's finite differences; an
analytic Jacobian counts as one evaluation). Timing is never asserted in unit tests; this script is
the measurement.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sympy  # noqa: F401  (imported before the timed compilation)

import septrial
from septrial import _core
from septrial.covariates import covariate_columns
from septrial.modeldef import native
from septrial.simulation import _regimen, _solver

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "benchmarks" / "models"
sys.path.insert(0, str(REPO / "benchmarks"))
import doc_sections  # noqa: E402

SECTION = "model-definitions"


def cases(n: int) -> list[dict]:
    rng = np.random.default_rng(1)
    weights = pd.DataFrame({"weight_kg": rng.uniform(45, 130, n)})
    return [
        {
            "builtin": "esketamine_otto2021",
            "file": MODELS / "esketamine_otto2021.toml",
            "covariates": weights,
            "params": None,
            "doses": [
                septrial.Bolus("esketamine", 0.25, "mg/kg", 0),
                septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72),
            ],
            "grid": np.arange(0.0, 97.0),
        },
        {
            "builtin": "reynolds2006",
            "file": MODELS / "reynolds2006.toml",
            "covariates": pd.DataFrame({"weight_kg": np.full(n, 70.0)}),
            "params": {"P0": rng.uniform(0.5, 1.5, n), "k_pg": rng.uniform(0.2, 0.6, n)},
            "doses": [],
            "grid": np.arange(0.0, 169.0),
        },
    ]


def work(model: str, case: dict, method: str, rtol: float, atol: float) -> tuple[int, int]:
    """Steps and right-hand-side evaluations of a typical patient."""
    info = septrial.model_info(model)
    _, steps, evals = _core.solve_statistics(
        model,
        covariate_columns({"weight_kg": 70.0})[0],
        [p["value"] for p in info.parameters],
        _regimen(case["doses"], info),
        list(case["grid"]),
        _solver(method, rtol, atol, 200_000),
    )
    return steps, evals


def run(args: argparse.Namespace, backend: str) -> list[dict]:
    """Every case and method with one specification backend; prints a line per row."""
    rows = []
    print(
        f"{args.patients} patients, rtol {args.rtol}, atol {args.atol}, "
        f"{args.threads} thread(s), specification backend: {backend}"
    )
    print(
        f"{'model':20} {'method':12} {'built-in p/s':>13} {'spec p/s':>10} {'ratio':>6}"
        f" {'max diff':>9} {'steps b/s':>11} {'rhs evals b/s':>15}"
    )
    for case in cases(args.patients):
        start = time.perf_counter()
        spec = septrial.define_model(case["file"], replace=True, backend=backend).name
        compile_s = time.perf_counter() - start
        builtin = case["builtin"]
        for method in args.methods.split(","):
            kwargs = dict(
                doses=case["doses"],
                times_h=case["grid"],
                method=method,
                rtol=args.rtol,
                atol=args.atol,
                threads=args.threads,
            )
            best = {builtin: np.inf, spec: np.inf}
            frames = {}
            for model in best:  # warm-up
                septrial.simulate(model=model, covariates=case["covariates"].iloc[:1], **kwargs)
            for _ in range(args.repeats):
                for model in best:
                    t0 = time.perf_counter()
                    frames[model] = septrial.simulate(
                        model=model, covariates=case["covariates"], params=case["params"], **kwargs
                    )
                    best[model] = min(best[model], time.perf_counter() - t0)
            a, b = frames[builtin], frames[spec]
            observables = [c for c in a.columns if c not in ("patient", "time_h")]
            diff = max(
                float(np.max(np.abs(b[o] - a[o])) / np.max(np.abs(a[o]))) for o in observables
            )
            w = {m: work(m, case, method, args.rtol, args.atol) for m in best}
            ratio = best[spec] / best[builtin]
            rows.append(
                {
                    "model": builtin,
                    "backend": backend,
                    "compile_s": compile_s,
                    "method": method,
                    "builtin_s": best[builtin],
                    "spec_s": best[spec],
                    "ratio": ratio,
                    "max_diff_of_peak": diff,
                    "steps": {"builtin": w[builtin][0], "spec": w[spec][0]},
                    "rhs_evals": {"builtin": w[builtin][1], "spec": w[spec][1]},
                }
            )
            print(
                f"{builtin:20} {method:12} {args.patients / best[builtin]:13.0f}"
                f" {args.patients / best[spec]:10.0f} {ratio:6.2f} {diff:9.1e}"
                f" {w[builtin][0]:5d}/{w[spec][0]:<5d} {w[builtin][1]:7d}/{w[spec][1]:<7d}"
            )
        print(f"{'':20} compilation of {spec}: {compile_s:.3f} s")
    return rows


def render(result: dict) -> str:
    """The docs/benchmarks.md section: ratio spec / built-in per model, method and backend."""
    start, end = doc_sections.markers(SECTION)
    backends = sorted({r["backend"] for r in result["rows"]})
    lines = [
        start,
        "## Models as data: specifications against their compiled twins",
        "",
        "Written by `python benchmarks/bench_model_definitions.py --backend both --update-docs`; "
        "do not edit by hand.",
        "",
        f"- {result['patients']} patients with their own parameters, rtol {result['rtol']}, "
        f"atol {result['atol']}, {result['threads']} thread(s), best of {result['repeats']}; "
        "the compiled model and its specification alternate, so load hits both alike.",
        f"- Machine: {result['machine']}; {result['date']}; 1-min load average "
        f"{result['load'][0]:.2f} at start, {result['load'][1]:.2f} at end.",
        "- *ratio* = time of the specification ÷ time of the compiled C++ model (target ≤ 1.5); "
        "*compile* = one-time compilation of the specification (target < 1 s); *max diff* = "
        "largest difference relative to each output's peak.",
        "",
        "| model | method | compiled patients/s | "
        + " | ".join(f"ratio ({b})" for b in backends)
        + " | "
        + " | ".join(f"compile s ({b})" for b in backends)
        + " | max diff |",
        "|---|---|---:|" + "---:|" * (2 * len(backends)) + "---:|",
    ]
    keys = dict.fromkeys((r["model"], r["method"]) for r in result["rows"])
    for model, method in keys:
        by = {
            r["backend"]: r for r in result["rows"] if (r["model"], r["method"]) == (model, method)
        }
        first = next(iter(by.values()))
        ratios = " | ".join(f"{by[b]['ratio']:.2f}" if b in by else "–" for b in backends)
        compiles = " | ".join(f"{by[b]['compile_s']:.2f}" if b in by else "–" for b in backends)
        diff = max(r["max_diff_of_peak"] for r in by.values())
        lines.append(
            f"| {model} | {method} | {result['patients'] / first['builtin_s']:,.0f} | "
            f"{ratios} | {compiles} | {diff:.1e} |"
        )
    lines += ["", end, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default="dopri5,rosenbrock4,hybrid")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-9)
    parser.add_argument(
        "--backend",
        default="auto",
        help="auto, native (llvmlite), bytecode (interpreter) or both (one run each)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the numbers as JSON")
    parser.add_argument(
        "--update-docs", action="store_true", help="rewrite its section of docs/benchmarks.md"
    )
    args = parser.parse_args(argv)

    if args.backend == "both":
        backends = ["bytecode", "native"] if native.available() else ["bytecode"]
    elif args.backend == "auto":
        backends = ["native" if native.available() else "bytecode"]
    else:
        backends = [args.backend]
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    rows = [row for backend in backends for row in run(args, backend)]
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),)
    result = {
        "patients": args.patients,
        "repeats": args.repeats,
        "threads": args.threads,
        "rtol": args.rtol,
        "atol": args.atol,
        "backend": args.backend,
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": [load0[0], load1[0]],
        "rows": rows,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.update_docs:
        doc_sections.update(SECTION, render(result))
        print(f"wrote the {SECTION!r} section of {doc_sections.DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
