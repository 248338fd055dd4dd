#!/usr/bin/env python
"""The full default patient (``sepsis_esketamine``: esketamine PK, drug effect, immune module) in
septrial and in libroadrunner, which runs the SBML that ``septrial.export_sbml`` writes from the
patient's specifications (the Otto PK twin ``benchmarks/models/esketamine_otto2021.toml`` and the
built-in specification modules ``drug_effect_emax``, ``sepsis_immune`` and ``hla_dr_percent``,
merged): same per-patient parameters,
tolerances (rtol 1e-6, atol 1e-9), dose and output grid, timed in one run; agreement is checked,
so the timed work is the same computation.

    python benchmarks/bench_patient.py           # -> its section of docs/benchmarks.md
    python benchmarks/bench_patient.py --quick   # seconds; -> benchmarks/results/*_quick.*
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import bench_peers as bp  # noqa: E402
import doc_sections  # noqa: E402
import models_sbml as ms  # noqa: E402

import septrial  # noqa: E402
from septrial.modeldef.merge import merge_specifications  # noqa: E402

START, END = doc_sections.markers("patient-sbml")
MODELS = HERE / "models"
MODEL = "sepsis_esketamine"
WEIGHT_KG = 70.0  # the reference patient: the exported covariate relations are the identity
BOLUS_MG, RATE_MG_H, STOP_H, END_H = 17.5, 10.5, 72.0, 168.0  # 0.25 mg/kg + 0.15 mg/kg/h
GRID = np.arange(0.0, END_H + 1.0, 1.0)
I_STOP = int(np.searchsorted(GRID, STOP_H))
#: continuous outputs compared (SOFA is rounded: a 1e-6 difference can move it by a point)
OUTPUTS = (
    "esketamine_ng_ml",
    "il6_pg_ml",
    "tnf_pg_ml",
    "il10_pg_ml",
    "hla_dr_abc",
    "hla_dr_pct",
    "cd4_per_ul",
    "cum_hazard",
    "P",
    "N",
    "D",
    "CA",
)
#: the immune parameters with between-patient variability in the compiled model
IMMUNE_VARIED = (
    "P0",
    "k_pg",
    "s_nr",
    "k_cn",
    "a_6",
    "a_T",
    "a_10N",
    "k_res",
    "SOFA_chronic",
    "D_H",
    "L_n",
)


def patients(n: int, seed: int) -> dict[str, np.ndarray]:
    """Per-patient values, by immune parameter name and PK name (Otto 2021 IIV covariance):
    typical x exp(eta) with the compiled model's variances (septic k_pg 0.6 as the median)."""
    info = septrial.model_info(MODEL)
    typical = {**info.defaults(), "k_pg": 0.6}
    rng = np.random.default_rng(seed + 1)
    out = {k: v for k, v in ms.otto_patients(n, seed).items()}
    for name in IMMUNE_VARIED:
        omega2 = typical[f"omega2_{name}"]
        out[name] = typical[name] * np.exp(rng.normal(0.0, np.sqrt(omega2), size=n))
    return out


def _septrial_params(p: dict[str, np.ndarray], n: int, pk_prefix: str) -> dict[str, np.ndarray]:
    return {(f"{pk_prefix}{k}" if k in ms.OTTO_VARIED else k): v[:n] for k, v in p.items()}


def run_septrial(model: str, p, n: int, method: str, threads: int, pk_prefix: str):
    params = _septrial_params(p, n, pk_prefix)
    covariates = pd.DataFrame({"weight_kg": np.full(n, WEIGHT_KG)})
    doses = [
        septrial.Bolus("esketamine", BOLUS_MG, "mg", 0),
        septrial.Infusion("esketamine", RATE_MG_H, "mg/h", 0, STOP_H),
    ]

    def go():
        return septrial.simulate(
            model,
            covariates=covariates,
            doses=doses,
            times_h=GRID,
            params=params,
            method=method,
            rtol=bp.RTOL,
            atol=bp.ATOL,
            threads=threads,
        )

    def finish(df):
        if df.attrs["failures"]:
            raise RuntimeError(f"septrial failed: {next(iter(df.attrs['failures'].items()))}")
        out = df[list(OUTPUTS)].to_numpy().reshape(n, len(GRID), len(OUTPUTS))
        return out, float(np.mean(df.attrs["steps"]))

    return go, finish


def run_roadrunner(sbml: str, p, n: int, settings: dict):
    """Expert use: one instance, selections set once, per patient one
    ``setGlobalParameterValues`` by precomputed indices and ``reset()``, and two ``simulate``
    calls split at the end of the infusion (the exported infusion-rate input is set to 0)."""
    rr = bp._roadrunner().RoadRunner(sbml)
    rr.setIntegrator("cvode")
    rr.integrator.relative_tolerance = bp.RTOL
    rr.integrator.absolute_tolerance = bp.ATOL
    for key, value in settings.items():
        setattr(rr.integrator, key, value)
    rr["init(A1)"] = BOLUS_MG  # initial values before parameters: setting one resets them
    selections = ["cum_hazard_state" if o == "cum_hazard" else o for o in OUTPUTS]
    rr.timeCourseSelections = ["time", *selections]
    # Individual values and their typical twins (equal at 70 kg and D_H_age_effect 0), so that
    # the initial assignments of the covariate relations give the same value if re-evaluated.
    ids = list(rr.model.getGlobalParameterIds())
    names, columns = [], []
    for k, v in p.items():
        for sid in (k, f"{k}_typical"):
            if sid in ids:
                names.append(sid)
                columns.append(v[:n])
    names.append("esketamine_infusion_mg_h")
    columns.append(np.full(n, RATE_MG_H))
    idx = np.array([ids.index(k) for k in names], dtype=np.int32)
    values = np.ascontiguousarray(np.column_stack(columns))
    rate = np.array([ids.index("esketamine_infusion_mg_h")], dtype=np.int32)
    zero = np.zeros(1)
    model = rr.model

    def go():
        out = np.empty((n, len(GRID), len(OUTPUTS)))
        for i in range(n):
            # parameters first: reset() then re-evaluates the initial assignments that read
            # them (P(0) = P0, CD4(0) = L_n, ...); it keeps parameter values
            model.setGlobalParameterValues(idx, values[i])
            rr.reset()
            out[i, : I_STOP + 1] = rr.simulate(0.0, STOP_H, I_STOP + 1)[:, 1:]
            model.setGlobalParameterValues(rate, zero)
            out[i, I_STOP:] = rr.simulate(STOP_H, END_H, len(GRID) - I_STOP)[:, 1:]
        return out

    def finish(out):
        return out, None

    return go, finish


def bench(n_s: int, n_r: int, repeats: int, seed: int, log) -> dict[str, Any]:
    p = patients(max(n_s, n_r), seed)
    flat = merge_specifications(
        # the PK twin, then the built-in modules' own specifications (by name)
        [
            MODELS / "esketamine_otto2021.toml",
            "drug_effect_emax",
            "sepsis_immune",
            "hla_dr_percent",
        ],
        "sepsis_esketamine_flat",
        "the default patient's PK, drug effect, immune and read-out modules as one specification",
    )
    t0 = time.perf_counter()
    sbml = septrial.export_sbml(flat)
    export_s = time.perf_counter() - t0
    septrial.define_model(flat, replace=flat.name in septrial.models())
    specs = [
        ("septrial", "septrial", "dopri5, compiled model", 1, n_s,
         run_septrial(MODEL, p, n_s, "dopri5", 1, "esketamine.")),
        ("septrial_t2", "septrial", "dopri5, compiled model", 2, n_s,
         run_septrial(MODEL, p, n_s, "dopri5", 2, "esketamine.")),
        ("septrial_ros", "septrial", "rosenbrock4, compiled model", 1, n_s,
         run_septrial(MODEL, p, n_s, "rosenbrock4", 1, "esketamine.")),
        ("septrial_spec", "septrial", "dopri5, the exported specification", 1, n_s,
         run_septrial(flat.name, p, n_s, "dopri5", 1, "")),
    ]  # fmt: skip
    skipped = None
    if bp._roadrunner() is None:
        skipped = "libroadrunner is not installed (pip install septrial[bench])"
        log(f"  roadrunner skipped: {skipped}")
    else:
        for label, (solver, settings) in bp.RR_EXPERT.items():
            specs.append((label, "libroadrunner", solver, 1, n_r,
                          run_roadrunner(sbml, p, n_r, settings)))  # fmt: skip
    log("  warm-up ...")
    results = {label: runner[0]() for label, *_, runner in specs}
    times: dict[str, list[float]] = {label: [] for label, *_ in specs}
    for k in range(repeats):
        for label, *_, runner in specs:
            t0 = time.perf_counter()
            results[label] = runner[0]()
            times[label].append(time.perf_counter() - t0)
        log(f"  repeat {k + 1}/{repeats} done")
    rows, outputs = [], {}
    for label, tool, solver, threads, n, runner in specs:
        out, work = runner[1](results[label])
        outputs[label] = out
        median = statistics.median(times[label])
        rows.append({"label": label, "tool": tool, "solver": solver, "threads": threads, "n": n,
                     "seconds_median": median, "seconds_all": times[label],
                     "patients_per_s": n / median, "work_per_patient": work})  # fmt: skip
        log(f"    {tool} {solver} threads={threads} n={n}: {n / median:,.1f} patients/s")
    ref = outputs["septrial"]
    base = rows[0]["patients_per_s"]
    for r in rows:
        out = outputs[r["label"]]
        m = min(len(out), len(ref))
        r["agreement"] = 0.0 if r["label"] == "septrial" else bp.peak_scaled_diff(out[:m], ref[:m])
        r["ratio_septrial_over_tool"] = base / r["patients_per_s"]
    rr = [r for r in rows if r["tool"] == "libroadrunner"]
    return {
        "model": MODEL,
        "grid_points": len(GRID),
        "outputs": list(OUTPUTS),
        "export_seconds": export_s,
        "sbml_bytes": len(sbml.encode()),
        "rows": rows,
        "roadrunner_skipped": skipped,
        "vs_best_roadrunner": base / max(r["patients_per_s"] for r in rr) if rr else None,
    }


def render(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        START,
        "## Full patient: septrial and libroadrunner (SBML export)",
        "",
        "Written by `python benchmarks/bench_patient.py"
        + (" --quick" if result["quick"] else "")
        + "`; do not edit by hand. The default patient `sepsis_esketamine` (esketamine PK + "
        "propofol PK + drug effect + immune module + % HLA-DR read-out, 20 states) in septrial; "
        "in libroadrunner the SBML that `septrial.export_sbml` writes from its specifications "
        "(the Otto 2021 PK twin and the built-in specification modules `drug_effect_emax`, "
        "`sepsis_immune` and `hla_dr_percent`, merged into one model, 16 states: propofol, "
        "never dosed here and without immune effect by default, is left out, which spares "
        "libroadrunner four states). Per patient: log-normal PK (Otto "
        "2021 IIV covariance) and the eleven immune parameters with the compiled model's "
        f"variances around the septic case (k_pg 0.6); {BOLUS_MG:g} mg bolus + {RATE_MG_H:g} "
        f"mg/h for {STOP_H:g} h (70 kg), "
        f"hourly outputs 0-{END_H:g} h; rtol {bp.RTOL:g}, atol {bp.ATOL:g}. libroadrunner runs in "
        "expert use (one instance, selections set once, per patient "
        "`setGlobalParameterValues` by precomputed indices then `reset()` (which re-evaluates "
        "the initial values that read them, such as P(0) = P0), two `simulate` calls split at the "
        "end of the infusion, where the exported infusion-rate input is set to 0; septrial "
        "integrates to the same breakpoint). Agreement: max |x - x_septrial| / peak over the "
        "continuous outputs (SOFA is rounded and left out).",
        "",
        f"- Machine: {m['cpu']}, {m['usable_cpus']} usable CPUs; date {m['date_utc']}; median of "
        f"{result['repeats']} repeats after a warm-up; export of the SBML took "
        f"{result['export_seconds']:.2f} s ({result['sbml_bytes'] / 1e3:.0f} kB)"
        + (
            f"; 1-min load average {m['load_average_1_5_15min'][0]:.2f} at start (a shared "
            "machine; the repeats of all tools are interleaved)"
            if m.get("load_average_1_5_15min")
            else ""
        ),
        "",
        "| tool | solver | threads | patients | patients/s | septrial ÷ tool | agreement with "
        "septrial | steps / patient |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        ratio = (
            "1 (reference)" if r["label"] == "septrial" else f"{r['ratio_septrial_over_tool']:.1f}×"
        )
        agree = "–" if r["label"] == "septrial" else f"{r['agreement']:.1e}"
        work = "–" if r["work_per_patient"] is None else f"{r['work_per_patient']:,.0f}"
        lines.append(
            f"| {r['tool']} | {r['solver']} | {r['threads']} | {r['n']:,} | "
            f"{bp._fmt_rate(r['patients_per_s'])} | {ratio} | {agree} | {work} |"
        )
    if result["vs_best_roadrunner"] is not None:
        got = result["vs_best_roadrunner"]
        verdict = "met" if got >= 10 else "not met"
        lines += ["", f"Target ≥ 10× libroadrunner per core on the full patient: **{verdict}** "
                  f"({got:.1f}× its fastest configuration)."]  # fmt: skip
    else:
        lines += ["", f"libroadrunner rows skipped: {result['roadrunner_skipped']}."]
    lines += [
        "",
        "What SBML does not carry (docs/sbml.md): the per-patient death time located from a "
        "uniform draw on the cumulative hazard, the dosing journey (doses, pump logs), the "
        "between-patient variability and the assay errors, and the roles the trial engine reads; "
        "libroadrunner integrates the equations only.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny cohorts (smoke test, seconds)")
    ap.add_argument("--n-septrial", type=int, default=None)
    ap.add_argument("--n-roadrunner", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, default=None, help="markdown file to update")
    ap.add_argument("--json", type=Path, default=None, help="raw results")
    ap.add_argument("-q", "--silent", action="store_true")
    args = ap.parse_args(argv)
    n_s = args.n_septrial or (20 if args.quick else 1000)
    n_r = args.n_roadrunner or (4 if args.quick else 100)
    if min(n_s, n_r, args.repeats) < 1:
        ap.error("--n-septrial, --n-roadrunner, --repeats: must be >= 1")
    suffix = "_quick" if args.quick else ""
    out = args.out or (
        HERE / "results" / "patient_quick.md" if args.quick else REPO / "docs" / "benchmarks.md"
    )

    def log(msg: str) -> None:
        if not args.silent:
            print(msg, file=sys.stderr, flush=True)

    result = {
        "quick": args.quick,
        "repeats": args.repeats,
        "seed": args.seed,
        "rtol": bp.RTOL,
        "atol": bp.ATOL,
        "machine": bp.machine_facts(),
        **bench(n_s, n_r, args.repeats, args.seed, log),
    }
    json_path = args.json or HERE / "results" / f"bench_patient{suffix}.json"
    bp.write_atomic(json_path, json.dumps(result, indent=2) + "\n")
    section = render(result)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    bp.write_atomic(out, doc_sections.replace(old, "patient-sbml", section))
    log(f"wrote {out}")
    worst = max(r["agreement"] for r in result["rows"])
    if worst >= bp.AGREEMENT_LIMIT:
        log(f"ERROR: tools disagree (agreement {worst:.2e} >= {bp.AGREEMENT_LIMIT:g})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
