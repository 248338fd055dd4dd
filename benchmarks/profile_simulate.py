#!/usr/bin/env python
"""One `septrial.simulate` call as `bench_peers.py` makes it, for profiling (simulate_profile.md).

    python benchmarks/profile_simulate.py otto 500         # warm-up (2 patients), 1 measured call
    python benchmarks/profile_simulate.py reynolds 500 --calls 3 --time
    valgrind --tool=callgrind python benchmarks/profile_simulate.py otto 500

Per-patient instruction counts are the difference of two callgrind runs with different cohort
sizes (the per-call cost cancels); `--n 0` runs everything but the measured call.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import models_sbml as ms  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import septrial  # noqa: E402

SEED = 20240601


def case(name: str):
    if name == "otto":
        dose = septrial.Infusion(
            drug="esketamine",
            rate=ms.OTTO_RATE_MG_H,
            unit="mg/h",
            start_h=0,
            duration_h=ms.OTTO_INFUSION_END_H,
        )
        return "esketamine_otto2021", np.arange(0.0, 97.0, 1.0), ms.otto_patients, {"doses": [dose]}
    return "reynolds2006", np.arange(0.0, 337.0, 2.0), ms.reynolds_patients, {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["otto", "reynolds"])
    ap.add_argument("n", type=int)
    ap.add_argument("--method", default="dopri5")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--calls", type=int, default=1)
    ap.add_argument("--time", action="store_true", help="print wall and CPU time per call")
    args = ap.parse_args()
    model, grid, patients, extra = case(args.model)
    p = patients(max(args.n, 2), SEED)

    def call(n: int):
        return septrial.simulate(
            model,
            times_h=grid,
            params={k: v[:n] for k, v in p.items()},
            covariates=pd.DataFrame({"weight_kg": np.full(n, 70.0)}),
            method=args.method,
            rtol=1e-6,
            atol=1e-9,
            threads=args.threads,
            **extra,
        )

    call(2)  # warm-up: imports, model lookup, first-use paths
    for _ in range(args.calls if args.n > 0 else 0):
        w0, c0 = time.perf_counter(), time.process_time()
        df = call(args.n)
        w1, c1 = time.perf_counter(), time.process_time()
        if args.time:
            steps = float(np.mean(df.attrs["steps"]))
            print(
                f"{model} {args.method} n={args.n}: wall {1e3 * (w1 - w0):.1f} ms, "
                f"CPU {1e3 * (c1 - c0):.1f} ms, {steps:.0f} steps/patient, "
                f"load {os.getloadavg()[0]:.2f}"
            )


if __name__ == "__main__":
    main()
