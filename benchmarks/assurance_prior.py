"""Assurance of NCT04843982's primary analysis under the whole drug-effect prior, beside the point
power at the in-vivo component and at the optimistic case, on the same simulated trials.

    python benchmarks/assurance_prior.py --n-trials 2000 --point-trials 1000   # ~10 min, 2 cores
    python benchmarks/assurance_prior.py --quick                               # seconds

Writes ``benchmarks/results/assurance_prior.json`` (or ``--out``): every figure with its interval
and run time. Monte Carlo assurance (one prior draw per fresh trial, Wilson interval), point power
by the fresh method with the same seed, so trial k has the same patients in every row.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import septrial
from septrial.io import write_text_atomic
from septrial.power_curves import assurance, power_curve
from septrial.stats import binomial_ci

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n-trials", type=int, default=2000, help="trials for assurance")
    p.add_argument("--point-trials", type=int, default=1000, help="trials per point power")
    p.add_argument("--n-list", type=int, nargs="+", default=[50, 100])
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="a few trials (smoke run)")
    p.add_argument("--out", type=Path, default=RESULTS / "assurance_prior.json")
    args = p.parse_args(argv)
    if args.quick:
        args.n_trials, args.point_trials = 8, 4
        args.out = args.out.with_name(args.out.stem + "_quick.json")
    sc = septrial.Scenario.load("nct04843982")
    optimistic = septrial.Scenario.load("nct04843982_optimistic")
    kw = dict(seed=args.seed, threads=args.threads, progress=True)
    report: dict = {
        "scenario": sc.name,
        "analysis": sc.analysis.primary[0].name,
        "seed": args.seed,
        "threads": args.threads,
        "septrial": septrial.__version__,
        "prior": sc.uncertainty.prior.to_dict(),
    }

    t0 = time.perf_counter()
    table, draws = assurance(sc, args.n_list, args.n_trials, return_draws=True, **kw)
    report["assurance"] = {
        "wall_s": time.perf_counter() - t0,
        "n_trials": args.n_trials,
        "rows": table.to_dict(orient="records"),
    }
    # success conditional on the IC50 component drawn (0: in vivo, 1: in vitro)
    by_component = []
    for comp, part in draws.groupby("IC50_component"):
        for n in args.n_list:
            k = int(part[f"rejected_{report['analysis']}_n{n}"].sum())
            lo, hi = binomial_ci(k, len(part))
            by_component.append(
                {
                    "component": sc.uncertainty.prior.parameters["IC50"].labels[int(comp)],
                    "n_per_arm": n,
                    "trials": len(part),
                    "success": k / len(part),
                    "ci_low": max(0.0, float(lo)),
                    "ci_high": min(1.0, float(hi)),
                }
            )
    report["assurance_by_component"] = by_component
    report["draws_summary"] = {
        "I_max_mean": float(draws["I_max"].mean()),
        "IC50_median": float(np.median(draws["IC50"])),
        "share_in_vivo": float((draws["IC50_component"] == 0).mean()),
    }

    in_vivo = {"I_max": 0.4, "IC50": 150.0}  # the model's defaults: the in-vivo component
    assert {k: sc.model_info.defaults()[k] for k in in_vivo} == in_vivo
    assert optimistic.params == {"I_max": 0.5, "IC50": 100.0}
    for name, params in (("in_vivo_point", in_vivo), ("optimistic", dict(optimistic.params))):
        t0 = time.perf_counter()
        pc = power_curve(sc, args.n_list, args.point_trials, method="fresh", params=params, **kw)
        cols = ["n_per_arm", "power", "power_ci_low", "power_ci_high", "n_trials"]
        report[name] = {
            "params": params,
            "wall_s": time.perf_counter() - t0,
            "rows": pc.table[cols].to_dict(orient="records"),
        }
    text = json.dumps(report, indent=2, default=float) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
