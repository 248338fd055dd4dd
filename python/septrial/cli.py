"""Command line: ``septrial run|screen|power|validate|list``.

Every command writes CSV tables, PNG plots and a JSON summary to ``--out`` (atomically) and prints
a short report. ``--seed`` makes runs reproducible; ``--threads`` sets engine threads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from septrial.cohort import available_populations
from septrial.io import save_figure_atomic, write_csv_atomic, write_text_atomic
from septrial.library import models
from septrial.plotting import plot
from septrial.plotting.power import plot_power_heatmap
from septrial.power_curves import METHODS, assurance, power_curve, power_grid
from septrial.scenario import Scenario, available_scenarios
from septrial.screening_run import screen
from septrial.simulation import simulate
from septrial.study import Study
from septrial.trial import run_trial


def _study(name: str) -> Study:
    return Study(Scenario.load(name))


def _figure(path: Path, axes: Any) -> None:
    import matplotlib.pyplot as plt

    fig = np.atleast_1d(axes)[0].figure
    save_figure_atomic(path, fig, dpi=110, bbox_inches="tight")
    plt.close(fig)


#: The patient shown by ``septrial run``: the PK models' reference weight (70 kg).
TYPICAL_PATIENT = {"weight_kg": 70.0, "age_y": 50.0}


def typical_pk(scenario, out: Path) -> dict[str, float]:
    """Concentrations of a typical patient on the treatment arm's doses and the background
    sedation, all from t = 0 (PK only, esketamine + propofol, solved exactly)."""
    times = np.arange(0.0, 97.0, 1.0)
    arm = next(a for a in scenario.arms if a.doses)
    doses = [*arm.doses, *scenario.background]
    res = simulate("esketamine_propofol", TYPICAL_PATIENT, doses, times, method="exact")
    write_csv_atomic(out / "pk_typical_patient.csv", res)
    axes = plot(res)
    axes[0].set_title(f"{arm.label or arm.name}: typical 70 kg patient")
    _figure(out / "pk_typical_patient.png", axes)
    at = res.set_index("time_h")
    rows = {
        "esketamine_ng_ml_at_72h": float(at.loc[72.0, "esketamine_ng_ml"]),
        "norketamine_ng_ml_at_72h": float(at.loc[72.0, "norketamine_ng_ml"]),
        "propofol_mg_l_at_72h": float(at.loc[72.0, "propofol_mg_l"]),
    }
    return rows


def cmd_run(args) -> dict[str, Any]:
    """The main job: PK, screening funnel, one trial and the power curve of a scenario."""
    study = _study(args.scenario)
    out = Path(args.out)
    summary: dict[str, Any] = {"scenario": study.name, "seed": args.seed}
    t0 = time.perf_counter()
    pk = typical_pk(study.scenario, out)
    summary["typical_patient_pk"] = pk
    print(
        f"Typical 70 kg patient: esketamine {pk['esketamine_ng_ml_at_72h']:.1f} ng/mL, "
        f"norketamine {pk['norketamine_ng_ml_at_72h']:.1f} ng/mL, "
        f"propofol {pk['propofol_mg_l_at_72h']:.2f} mg/L at 72 h"
    )
    summary.update(_screen(study, args, out))
    tr = run_trial(
        study,
        n_per_arm=args.n_per_arm,
        seed=args.seed,
        threads=args.threads,
        executor=args.executor,
    )
    write_csv_atomic(out / "trial_patients.csv", tr.patients)
    write_csv_atomic(out / "trial_analysis.csv", tr.analysis)
    _figure(out / "trial_endpoints.png", tr.plot())
    print(tr.summary())
    summary["trial"] = tr.analysis.to_dict(orient="records")
    summary.update(_power(study, args, out, grid=False))
    summary["wall_s"] = time.perf_counter() - t0
    return summary


def _screen(study: Study, args, out: Path) -> dict[str, Any]:
    run = screen(
        study,
        n=args.n_screen,
        seed=args.seed,
        threads=args.threads,
        progress=args.progress,
        executor=args.executor,
    )
    write_csv_atomic(out / "screening_funnel.csv", run.table)
    write_csv_atomic(out / "screening_criteria.csv", run.criteria_table())
    write_text_atomic(out / "screening.md", run.to_markdown())
    _figure(out / "screening_funnel.png", run.plot())
    rec = run.recruitment_time(study.scenario.registry.planned_n)
    findings = study.lint()
    print(run.table.to_string(index=False))
    print(f"Recruitment: {rec}")
    for f in findings:
        print(f"lint {f}")
    return {
        "screening": run.table.to_dict(orient="records"),
        "screen_to_enrol": run.screen_to_enrol,
        "recruitment_months_median": rec.median_months,
        "lint": [str(f) for f in findings],
    }


def _power(study: Study, args, out: Path, grid: bool) -> dict[str, Any]:
    kwargs = dict(
        n_per_arm=args.n_list,
        n_trials=args.n_trials,
        seed=args.seed,
        threads=args.threads,
        progress=args.progress,
        checkpoint=args.checkpoint,
        executor=args.executor,
        method=args.method,
    )
    pc = power_curve(study, analyses="all", **kwargs)
    write_csv_atomic(out / "power_curve.csv", pc.table)
    _figure(out / "power_curve.png", pc.plot())
    need = pc.sample_size(0.8).merge(pc.sample_size(0.9), on="analysis", suffixes=("_80", "_90"))
    write_csv_atomic(out / "sample_size.csv", need)
    primary = pc.table[pc.table["analysis"] == pc.table["analysis"].iloc[0]]
    print(primary[["n_per_arm", "power", "power_ci_low", "power_ci_high"]].to_string(index=False))
    print(
        f"Power curve ({pc.method}): {pc.wall_s:.1f} s, "
        f"{pc.patients_per_s:.0f} simulated patients/s"
    )
    result: dict[str, Any] = {
        "power": pc.table.to_dict(orient="records"),
        "sample_size": need.to_dict(orient="records"),
        "power_wall_s": pc.wall_s,
        "patients_per_s": pc.patients_per_s,
    }
    if grid:
        pg = power_grid(study, **kwargs)
        write_csv_atomic(out / "power_grid.csv", pg.table)
        n_show = min(pg.table["n_per_arm"], key=lambda n: abs(n - 50))
        cells = pg.table[pg.table["n_per_arm"] == n_show]
        _figure(out / "power_heatmap.png", plot_power_heatmap(cells, x="I_max", y="IC50"))
        a = assurance(study, power=pg, n_per_arm=args.n_list)
        write_csv_atomic(out / "assurance.csv", a)
        print(a.to_string(index=False))
        result["assurance"] = a.to_dict(orient="records")
    return result


def cmd_screen(args) -> dict[str, Any]:
    return _screen(_study(args.scenario), args, Path(args.out))


def cmd_power(args) -> dict[str, Any]:
    return _power(_study(args.scenario), args, Path(args.out), grid=not args.no_grid)


def cmd_validate(args) -> None:
    """Everything a run would check, without simulating: structure, references, names in the
    live model, population, criteria, the engine's own checks; then the protocol lint."""
    study = _study(args.scenario)
    findings = study.lint()
    for f in findings:
        print(f)
    print(f"{study.name}: valid ({len(findings)} lint finding(s))")


def cmd_list(args) -> None:
    listing = {
        "models": models(),
        "scenarios": available_scenarios(),
        "populations": available_populations(),
    }
    for k, v in listing.items():
        print(f"{k}: {', '.join(v)}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="septrial", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, scenario=True):
        if scenario:
            sp.add_argument("scenario", help="bundled scenario name or path to a JSON file")
        sp.add_argument("--seed", type=int, default=1)
        sp.add_argument("--out", default="septrial-out", help="output folder")
        sp.add_argument("--threads", type=int, default=None)
        sp.add_argument("--progress", action="store_true", help="show progress bars")
        sp.add_argument(
            "--dask",
            default=None,
            metavar="ADDRESS",
            help="run on a Dask scheduler at ADDRESS, or 'local' for a local cluster",
        )

    def power_opts(sp):
        sp.add_argument(
            "--n-list",
            type=int,
            nargs="+",
            default=None,
            dest="n_list",
            help="patients per arm (default: the scenario's power.n_per_arm)",
        )
        sp.add_argument("--n-trials", type=int, default=None, dest="n_trials")
        sp.add_argument(
            "--method",
            choices=list(METHODS),
            default=None,
            help="power method (default: the scenario's power.method, normally auto)",
        )
        sp.add_argument("--checkpoint", default=None, help="folder to resume an interrupted run")

    r = sub.add_parser("run", help="PK, screening, one trial and the power curve")
    common(r)
    power_opts(r)
    r.add_argument("--n-screen", type=int, default=10_000, dest="n_screen")
    r.add_argument("--n-per-arm", type=int, default=50, dest="n_per_arm")
    s = sub.add_parser("screen", help="screening funnel, recruitment time and lint")
    common(s)
    s.add_argument("--n-screen", "--n", type=int, default=10_000, dest="n_screen")
    w = sub.add_parser("power", help="power curves, assumption grid and assurance")
    common(w)
    power_opts(w)
    w.add_argument("--no-grid", action="store_true", help="skip the IC50 x I_max grid")
    v = sub.add_parser("validate", help="schema check and protocol lint of a scenario")
    common(v)
    lst = sub.add_parser("list", help="models, scenarios and populations")
    common(lst, scenario=False)
    return p


@contextlib.contextmanager
def _executor(address: str | None):
    """A Dask client for ``--dask`` (a scheduler address, or ``local``), else None."""
    if address is None:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if address == "local":
        with LocalCluster(dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    else:
        with Client(address) as client:
            yield client


COMMANDS = {
    "run": cmd_run,
    "screen": cmd_screen,
    "power": cmd_power,
    "validate": cmd_validate,
    "list": cmd_list,
}


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    args = build_parser().parse_args(argv)
    try:
        with _executor(args.dask) as args.executor:
            summary = COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as e:
        print(f"septrial {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun with the same --checkpoint to resume", file=sys.stderr)
        return 130
    if summary is None:  # validate and list write nothing
        return 0
    out = Path(args.out)
    write_text_atomic(
        out / f"{args.command}_summary.json", json.dumps(summary, indent=2, default=str) + "\n"
    )
    print(f"outputs in {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
