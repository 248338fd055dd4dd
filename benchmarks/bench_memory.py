"""Memory benchmark: peak resident memory above the interpreter of large endpoint-only runs.

    python benchmarks/bench_memory.py                        # simulate 10^6, screen 10^5
    python benchmarks/bench_memory.py --simulate 1000000 --screen 1000000 --threads 2
    python benchmarks/bench_memory.py --json /tmp/mem.json   # also write the figures as JSON

Each case runs in a fresh subprocess. The child imports septrial, runs a tiny call of the same
kind (so that libraries, the extension and lazily imported modules are loaded), reads its resident
set size (``VmRSS`` in /proc/self/status) as the *interpreter baseline*, runs the case, then reads
its peak resident set size (``resource.getrusage(...).ru_maxrss``, the high-water mark of the whole
process). The figure reported is peak minus baseline: what the run itself needed, inputs (the
covariate table built inside the case) and outputs included. Never asserted in unit tests: this
script is the measurement (targets: simulate 10^6 patients < 300 MB, screen 10^6 admissions < 1 GB;
screening cost grows linearly with admissions, so the 10^6 figure may be extrapolated from the
per-admission slope between two smaller runs, which the report then says).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

MB = 1024.0 * 1024.0


def _rss_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def _peak_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def _cohort(n: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "weight_kg": rng.uniform(50, 110, n),
            "age_y": rng.uniform(20, 85, n),
            "height_cm": rng.uniform(150, 195, n),
            "sex": np.where(rng.uniform(size=n) < 0.5, "male", "female"),
        }
    )


def _simulate(n: int, threads: int) -> dict:
    """Endpoint-only cohort simulation: one output time (72 h) per patient, with variability."""
    import septrial

    cov = _cohort(n)
    dose = septrial.Infusion(drug="esketamine", rate=0.07, unit="mg/kg/h", start_h=0, duration_h=72)
    df = septrial.simulate(
        "esketamine_otto2021",
        covariates=cov,
        doses=[dose],
        times_h=[72.0],
        variability=True,
        seed=1,
        threads=threads,
    )
    return {"rows": len(df), "failures": len(df.attrs["failures"])}


def _screen(n: int, threads: int) -> dict:
    import septrial

    run = septrial.screen(septrial.Scenario.load("nct04843982"), n=n, seed=1, threads=threads)
    return {"randomisable": int(run.report.n_consented)}


CASES = {"simulate": _simulate, "screen": _screen}


def child(case: str, n: int, threads: int) -> dict:
    import septrial  # noqa: F401  (loaded before the baseline)

    interpreter = _rss_bytes()
    CASES[case](8, 1)  # warm-up: extension, lazily imported modules, scenario caches
    baseline = _rss_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    info = CASES[case](n, threads)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _peak_bytes()
    return {
        "case": case,
        "n": n,
        "threads": threads,
        "interpreter_rss_mb": interpreter / MB,
        "baseline_rss_mb": baseline / MB,
        "peak_rss_mb": peak / MB,
        "above_baseline_mb": (peak - baseline) / MB,
        "bytes_per_item": (peak - baseline) / n,
        "wall_s": wall,
        "cpu_s": cpu,
        **info,
    }


def run_case(case: str, n: int, threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, str(n), str(threads)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--simulate", type=int, default=1_000_000, help="patients (0: skip)")
    ap.add_argument("--screen", type=int, default=100_000, help="admissions (0: skip)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--child", nargs=3, metavar=("CASE", "N", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        case, n, threads = args.child
        print(json.dumps(child(case, int(n), int(threads))))
        return 0
    rows = []
    plan = [("simulate", args.simulate), ("screen", args.screen)]
    for case, n in plan:
        if n <= 0:
            continue
        rows.append(run_case(case, n, args.threads))
        if case == "screen" and n < 1_000_000:
            # The slope between n/2 and n admissions, to extrapolate to 10^6.
            half = run_case(case, n // 2, args.threads)
            rows.append(half)
            slope = (rows[-2]["peak_rss_mb"] - half["peak_rss_mb"]) / (n - n // 2)
            rows[-2]["extrapolated_1e6_mb"] = rows[-2]["above_baseline_mb"] + slope * (
                1_000_000 - n
            )
    load = os.getloadavg()
    print(f"# septrial memory ({platform.node()}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(
        "| case | n | threads | interpreter MB | baseline MB | peak MB | above baseline MB "
        "| bytes/item | wall s | cpu s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['n']} | {r['threads']} | {r['interpreter_rss_mb']:.0f} "
            f"| {r['baseline_rss_mb']:.0f} | {r['peak_rss_mb']:.0f} | {r['above_baseline_mb']:.0f} "
            f"| {r['bytes_per_item']:.0f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} |"
        )
        if "extrapolated_1e6_mb" in r:
            print(f"  extrapolated to 10^6 admissions: {r['extrapolated_1e6_mb']:.0f} MB")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"load": load, "rows": rows}, fh, indent=2)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
