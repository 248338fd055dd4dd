"""Models as data: a specification model against its compiled C++ twin.

    python benchmarks/bench_model_definitions.py              # 1000 patients, best of 3
    python benchmarks/bench_model_definitions.py --patients 5000 --repeats 5 --threads 2

Defines ``benchmarks/models/esketamine_otto2021.toml`` (the Otto 2021 model written as a
specification), times its one-time compilation, then simulates the same cohort (weights 45-130 kg,
bolus 0.25 mg/kg + 0.07 mg/kg/h for 72 h, hourly grid to 96 h, the same tolerances) with the
built-in ``esketamine_otto2021`` and with the specification, per solver method, alternating the two
so that machine load hits both alike. Reports patients/s, the time ratio (spec / built-in), the
largest relative difference, and steps and right-hand-side evaluations per patient (the stiff
solver uses the specification's symbolic Jacobian, the built-in's finite differences). Timing is
never asserted in unit tests; this script is the measurement.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

import septrial
from septrial import _core
from septrial.covariates import covariate_columns
from septrial.simulation import _regimen, _solver

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "benchmarks" / "models" / "esketamine_otto2021.toml"
BUILTIN = "esketamine_otto2021"
OBSERVABLES = ("esketamine_ng_ml", "norketamine_ng_ml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default="dopri5,rosenbrock4,hybrid")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-9)
    parser.add_argument("--out", type=Path, default=None, help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    info = septrial.define_model(SPEC, replace=True)
    compile_s = time.perf_counter() - start
    spec = info.name

    rng = np.random.default_rng(1)
    cohort = pd.DataFrame({"weight_kg": rng.uniform(45, 130, args.patients)})
    doses = [
        septrial.Bolus("esketamine", 0.25, "mg/kg", 0),
        septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72),
    ]
    grid = np.arange(0.0, 97.0)
    print(f"compile {spec}: {compile_s:.3f} s (sympy import included)")
    print(f"{args.patients} patients, {len(grid)} output times, rtol {args.rtol}, atol {args.atol}")
    header = f"{'method':12} {'built-in p/s':>13} {'spec p/s':>10} {'ratio':>6} {'max rel':>9}"
    print(header + f" {'steps b/s':>11} {'rhs evals b/s':>15}")
    rows = []
    for method in args.methods.split(","):
        best = {BUILTIN: np.inf, spec: np.inf}
        frames = {}
        kwargs = dict(doses=doses, times_h=grid, method=method, rtol=args.rtol, atol=args.atol)
        for model in best:  # warm-up (first-use costs, page faults)
            septrial.simulate(model=model, covariates=cohort.iloc[:20], threads=1, **kwargs)
        for _ in range(args.repeats):
            for model in best:
                t0 = time.perf_counter()
                frames[model] = septrial.simulate(
                    model=model, covariates=cohort, threads=args.threads, **kwargs
                )
                best[model] = min(best[model], time.perf_counter() - t0)
        a, b = frames[BUILTIN], frames[spec]
        rel = max(
            float(np.max(np.abs(b[o] - a[o]) / np.maximum(np.abs(a[o]), 1e-3 * a[o].max())))
            for o in OBSERVABLES
        )
        work = {}
        for model in best:
            m = septrial.model_info(model)
            _, steps, evals = _core.solve_statistics(
                model,
                covariate_columns({"weight_kg": 70.0})[0],
                [p["value"] for p in m.parameters],
                _regimen(doses, m),
                list(grid),
                _solver(method, args.rtol, args.atol, 200_000),
            )
            work[model] = (steps, evals)
        ratio = best[spec] / best[BUILTIN]
        rows.append(
            {
                "method": method,
                "builtin_s": best[BUILTIN],
                "spec_s": best[spec],
                "ratio": ratio,
                "max_rel_diff": rel,
                "steps": {"builtin": work[BUILTIN][0], "spec": work[spec][0]},
                "rhs_evals": {"builtin": work[BUILTIN][1], "spec": work[spec][1]},
            }
        )
        print(
            f"{method:12} {args.patients / best[BUILTIN]:13.0f} {args.patients / best[spec]:10.0f}"
            f" {ratio:6.2f} {rel:9.1e} {work[BUILTIN][0]:5d}/{work[spec][0]:<5d}"
            f" {work[BUILTIN][1]:7d}/{work[spec][1]:<7d}"
        )
    if args.out:
        args.out.write_text(
            json.dumps({"compile_s": compile_s, "patients": args.patients, "rows": rows}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
