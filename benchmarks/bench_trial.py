"""Trial-engine benchmark: screening admissions and following enrolled patients for 28 days.

    python benchmarks/bench_trial.py                      # scenario's solver, 1 and 2 threads
    python benchmarks/bench_trial.py --methods rosenbrock4,hybrid --admissions 2000 --patients 200
    python benchmarks/bench_trial.py --update-docs        # also rewrites the "Trial engine" section
                                                          # of docs/benchmarks.md

Times the engine calls of a trial on a bundled scenario (default nct04843982): phase A
(``TrialEngine.screen``: infection -> ICU -> screening for N admissions, every rejected infection
included) and phase B (``TrialEngine.treat``: the first M eligible patients followed in every arm to
the end of follow-up). Reports admissions/s, patient-follow-ups/s, the end-to-end rate (every
admission and every follow-up counted as one patient simulation), steps and right-hand-side
evaluations per patient, and whether eligibility matches across solver methods. Timing is never
asserted in unit tests; this script is the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from septrial import Scenario
from septrial.cohort.frame import Frame
from septrial.covariates import covariate_columns
from septrial.screening.funnel import screen_table
from septrial.study import Study

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_sections  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
START, END = doc_sections.markers("trial-engine")
PROFILE = REPO / "benchmarks" / "results" / "trial_profile.md"
METHODS_NOTE = [
    "*rosenbrock4* is the engine before this work (stiff, finite-difference Jacobian, ublas LU). "
    "*hybrid* solves the linear PK modules (esketamine, propofol) in closed form between dose "
    "changes (eigendecomposition, as `exact`) and feeds their concentrations as known functions "
    "of time to the immune model, which dopri5 integrates with error control on its own states; "
    "the propofol eigenvalues (~-50/h) that made the whole system stiff never reach the stepper. "
    "Accuracy against dopri5 at rtol 1e-10: `tests/test_solver_paths.py`.",
]


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def work(status: list[dict]) -> tuple[float, float]:
    """Mean accepted steps and right-hand-side evaluations per patient over the engine's status
    tables (arrays per patient; nan when there are no patients)."""
    steps = np.concatenate([s["steps"] for s in status]) if status else np.zeros(0)
    rhs = np.concatenate([s["rhs_evals"] for s in status]) if status else np.zeros(0)
    if steps.size == 0:
        return float("nan"), float("nan")
    return float(np.mean(steps)), float(np.mean(rhs))


def study_for(scenario: str, method: str | None) -> Study:
    sc = Scenario.load(scenario)
    if method is None:
        return Study(sc)
    data = sc.to_dict()
    data["solver"] = {**data["solver"], "method": method}
    return Study(Scenario.from_dict(data, folder=sc._folder))


def run_screen(study: Study, covariates: pd.DataFrame, seed: int, threads: int):
    cov, _ = covariate_columns(covariates.assign(opioids=study.opioids))
    indices = covariates["patient"].to_numpy(dtype=np.uint64)
    t0, c0 = time.perf_counter(), time.process_time()
    values, states, status = study.engine.screen(cov, indices, seed, threads, None)
    dt = (time.perf_counter() - t0, time.process_time() - c0)
    screen = pd.DataFrame(values, columns=list(study.engine.screen_columns))
    ok = np.asarray(status["ok"], dtype=bool)
    screen["alive"] = (screen["alive"].fillna(0).to_numpy() == 1) & ok
    screen["intubated"] = screen["intubated"].fillna(0).astype(bool)
    screen["ventilated"] = screen["intubated"]
    screen["attempts"] = screen["attempts"].fillna(0).astype(int)
    table = pd.concat([covariates.reset_index(drop=True), screen], axis=1)
    return dt, Frame(table, np.asarray(states), seed, list(study.engine.screen_columns)), [status]


def run_treat(study: Study, frame: Frame, seed: int, threads: int):
    n = len(frame)
    total, cpu, status, deaths = 0.0, 0.0, [], []
    for arm, _ in enumerate(study.engine.arm_names):
        t0, c0 = time.perf_counter(), time.process_time()
        values, _, st = study.engine.treat(
            **frame.engine_inputs(np.arange(n), study.opioids),
            arm=arm,
            override_names=[],
            overrides=np.zeros((n, 0)),
            grid_h=np.zeros(0),
            seed=seed,
            threads=threads,
            progress=None,
        )
        total += time.perf_counter() - t0
        cpu += time.process_time() - c0
        status.append(st)
        deaths.append(values[:, list(study.engine.treat_columns).index("death_rel_h")])
    return (total, cpu), status, np.concatenate(deaths)


def bench_method(args, method: str | None, log) -> dict[str, Any]:
    study = study_for(args.scenario, method)
    name = study.scenario.solver.method
    covariates = study.population.sample(args.admissions, args.seed, threads=1)
    rows: list[dict[str, Any]] = []
    eligible_ids = None
    for threads in args.threads:
        best_s = best_t = (float("inf"), float("inf"))
        for rep in range(args.repeats + 1):  # first run is an untimed warm-up
            ts, frame, st_screen = run_screen(study, covariates, args.seed, threads)
            alive = frame.table[frame.alive].reset_index(drop=True)
            report = screen_table(alive, study.criteria)
            eligible = alive.loc[report.eligible.to_numpy(dtype=bool), "patient"].to_numpy()
            rows_m = np.flatnonzero(np.isin(frame.table["patient"], eligible[: args.patients]))
            tt, st_treat, deaths = run_treat(study, frame.subset(rows_m), args.seed, threads)
            if rep > 0:  # best wall time, and the CPU time of that run
                best_s, best_t = min(best_s, ts), min(best_t, tt)
        eligible_ids = eligible
        n_adm, n_fol = len(covariates), 2 * len(rows_m)
        s_steps, s_rhs = work(st_screen)
        t_steps, t_rhs = work(st_treat)
        row = {
            "method": name,
            "threads": threads,
            "admissions": n_adm,
            "infections": int(n_adm + frame.table["attempts"].sum()),
            "eligible": int(len(eligible)),
            "followed": n_fol,
            "screen_s": best_s[0],
            "treat_s": best_t[0],
            "screen_cpu_s": best_s[1],
            "treat_cpu_s": best_t[1],
            "admissions_per_s": n_adm / best_s[0],
            "followups_per_s": n_fol / best_t[0],
            "end_to_end_per_s": (n_adm + n_fol) / (best_s[0] + best_t[0]),
            # per CPU-second: what one core delivers, whatever else runs on the machine
            "end_to_end_per_cpu_s": (n_adm + n_fol) / (best_s[1] + best_t[1]),
            "screen_steps": s_steps,
            "screen_rhs": s_rhs,
            "treat_steps": t_steps,
            "treat_rhs": t_rhs,
            "failed": int(
                sum((~np.asarray(s["ok"], dtype=bool)).sum() for s in st_screen + st_treat)
            ),
            "deaths": int(np.isfinite(deaths).sum()),
            "load": load(),
        }
        log(
            f"{name:12s} {threads} thr: {row['admissions_per_s']:9.0f} adm/s  "
            f"{row['followups_per_s']:8.0f} follow-ups/s  "
            f"end-to-end {row['end_to_end_per_s']:8.0f}/s "
            f"({row['end_to_end_per_cpu_s']:8.0f}/CPU-s)  "
            f"steps {t_steps:.0f} rhs {t_rhs:.0f}/follow-up  load {row['load']:.2f}"
        )
        rows.append(row)
    return {"method": name, "rows": rows, "eligible": [int(i) for i in eligible_ids]}


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "-uno"],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        START,
        "## Trial engine",
        "",
        "Written by `python benchmarks/bench_trial.py --update-docs`; do not edit by hand.",
        "",
        f"- Scenario `{result['scenario']}`, seed {result['seed']}: "
        f"{result['admissions']} admissions screened (phase A, every rejected infection "
        "simulated too), then the first "
        f"{result['patients']} eligible patients followed in each arm to the end of follow-up "
        "(phase B). Best of "
        f"{result['repeats']} timed runs after a warm-up; engine calls only (no pandas).",
        f"- Machine: {m['cpu']}, {m['cores']} logical CPUs; commit {m['commit']}; "
        f"1-min load average {m['load_start']:.2f} at start, {m['load_end']:.2f} at end "
        "(the machine is shared; compare ratios within one run).",
        "- *end-to-end* counts every admission screened and every follow-up as one patient "
        "simulation: (admissions + follow-ups) / (screening time + follow-up time); "
        "*/CPU-s* divides by the process's CPU time instead of wall time (one core's "
        "throughput even when other work shares the machine; with 2 threads it includes both).",
        "",
        "| solver | threads | admissions/s | follow-ups/s (28 d) | end-to-end /s "
        "| end-to-end /CPU-s | steps / admission "
        "| RHS / admission | steps / follow-up | RHS / follow-up | eligible | failed | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def f(x: float, d: int = 0) -> str:
        return "–" if not np.isfinite(x) else f"{x:,.{d}f}"

    for res in result["methods"]:
        for r in res["rows"]:
            lines.append(
                f"| {r['method']} | {r['threads']} | {f(r['admissions_per_s'])} | "
                f"{f(r['followups_per_s'])} | {f(r['end_to_end_per_s'])} | "
                f"{f(r['end_to_end_per_cpu_s'])} | {f(r['screen_steps'], 1)} | "
                f"{f(r['screen_rhs'], 1)} | {f(r['treat_steps'], 1)} | {f(r['treat_rhs'], 1)} | "
                f"{r['eligible']} | {r['failed']} | {r['load']:.2f} |"
            )
    lines.append("")
    for line in result["notes"]:
        lines.append(f"- {line}")
    lines += ["", *METHODS_NOTE]
    if PROFILE.exists():  # hand-written from a callgrind run (see that file)
        lines += ["", PROFILE.read_text(encoding="utf-8").strip()]
    lines += ["", END, ""]
    return "\n".join(lines)


def update_docs(section: str) -> None:
    doc_sections.update("trial-engine", section, DOCS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="nct04843982")
    ap.add_argument(
        "--methods", default="", help="comma-separated solver methods (default: scenario's)"
    )
    ap.add_argument("--admissions", type=int, default=1000)
    ap.add_argument("--patients", type=int, default=100, help="eligible patients followed per arm")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "bench_trial.md")
    ap.add_argument("--update-docs", action="store_true")
    args = ap.parse_args(argv)
    args.threads = [int(t) for t in args.threads.split(",")]

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    methods = [m.strip() for m in args.methods.split(",") if m.strip()] or [None]
    result: dict[str, Any] = {
        "scenario": args.scenario,
        "seed": args.seed,
        "admissions": args.admissions,
        "patients": args.patients,
        "repeats": args.repeats,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "commit": git_commit(),
            "load_start": load(),
        },
    }
    result["methods"] = [bench_method(args, m, log) for m in methods]
    result["machine"]["load_end"] = load()
    notes, scaling = [], []
    ref = result["methods"][0]
    for res in result["methods"][1:]:
        a, b = set(ref["eligible"]), set(res["eligible"])
        notes.append(
            f"eligibility {res['method']} vs {ref['method']}: {len(a & b)} common, "
            f"{len(a - b)} only with {ref['method']}, {len(b - a)} only with {res['method']}"
        )
        r1 = {r["threads"]: r for r in ref["rows"]}
        for r in res["rows"]:
            if r["threads"] in r1:
                q = r["end_to_end_per_s"] / r1[r["threads"]]["end_to_end_per_s"]
                notes.append(
                    f"{res['method']} ÷ {ref['method']}, {r['threads']} thread(s): "
                    f"{q:.1f}× end to end"
                )
    for res in result["methods"]:
        by = {r["threads"]: r for r in res["rows"]}
        if 1 in by and 2 in by:
            q = by[2]["end_to_end_per_s"] / by[1]["end_to_end_per_s"]
            notes.append(f"{res['method']}: 2 threads give {q:.2f}× one thread")
            scaling.append(q)
    cores = os.cpu_count() or 1
    # The load average counts this run's own threads too: a busy machine explains poor scaling
    # only when the scaling is poor.
    busy = max(result["machine"]["load_start"], result["machine"]["load_end"]) > cores - 1
    if busy and scaling and min(scaling) < 1.5:
        notes.append(
            f"the machine was busy (1-min load ≥ {cores - 1} on {cores} CPUs): a second thread "
            "finds no idle core, so wall-clock thread scaling is not measured by this run; "
            "equal */CPU-s* figures on 1 and 2 threads mean the engine adds no per-patient work "
            "when it runs in parallel"
        )
    result["notes"] = notes
    section = render(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(section, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.update_docs:
        update_docs(section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
