"""Grid quadrature of the same assurance (the scenario's uncertainty.grid, pool method), for
comparison with the Monte Carlo figure of benchmarks/assurance_prior.py: value, discretisation
error (every other grid point dropped) and run time.

    python benchmarks/assurance_grid_check.py     # a few minutes on 2 cores
"""

from __future__ import annotations

import json
import time

import septrial
from septrial.power_curves import assurance, power_grid


def main() -> int:
    sc = septrial.Scenario.load("nct04843982")
    t0 = time.perf_counter()
    pg = power_grid(sc, n_per_arm=[50, 100], n_trials=400, seed=2026, method="pool", threads=2)
    a = assurance(sc, power=pg)
    cols = ["n_per_arm", "assurance", "mc_se", "grid_error", "assurance_ci_low"]
    cols += ["assurance_ci_high", "ci_method"]
    out = {
        "grid": {k: list(v) for k, v in sc.uncertainty.grid.items()},
        "wall_s": time.perf_counter() - t0,
        "rows": a[cols].to_dict(orient="records"),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
