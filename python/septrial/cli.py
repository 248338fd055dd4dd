"""Command line: septrial run | screen | power | assurance | compare | validate | list.

Every simulating command writes its tables (CSV or Parquet), PNG plots and a JSON summary into a
temporary folder beside --out, then moves it into place with a manifest: --out holds one complete
run or is left as it was. Tables and summaries name the scenario, the SHA-256 of its resolved
specification, the seed, the method, the sizes and the septrial version. --seed makes runs
reproducible; --threads sets the engine's threads (results do not depend on it).
validate and list write nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import sys
import time
from typing import Any

import numpy as np

from septrial.cohort import available_populations
from septrial.compare import compare
from septrial.exposure import TYPICAL_PATIENT, treated_arm, typical_timecourse
from septrial.library import models
from septrial.nonmem import to_nonmem
from septrial.outputs import FORMATS, OutputFolder
from septrial.plotting import plot
from septrial.plotting.power import plot_assurance, plot_power_heatmap
from septrial.power_curves import INTEGRATIONS, METHODS, assurance, power_curve, power_grid
from septrial.provenance import identity, scenario_sha256, septrial_version
from septrial.scenario import Scenario, available_scenarios
from septrial.screening_run import screen
from septrial.study import Study
from septrial.trial import run_trial

__all__ = ["TYPICAL_PATIENT", "build_parser", "main", "typical_pk"]


def _study(name: str) -> Study:
    return Study(Scenario.load(name))


def typical_pk(scenario, out: OutputFolder) -> dict[str, float]:
    """Concentrations of a typical patient on the treatment arm's doses and the background
    sedation, all from t = 0 (PK only, esketamine + propofol, solved exactly); also written as
    a NONMEM-style event dataset."""
    res = typical_timecourse(scenario, times_h=np.arange(0.0, 97.0, 1.0))
    out.table("pk_typical_patient", res)
    out.table("pk_typical_patient_nonmem", to_nonmem(res, res.attrs["doses"], TYPICAL_PATIENT))
    axes = plot(res)
    arm = treated_arm(scenario)
    axes[0].set_title(
        f"{scenario.name}: typical 70 kg patient, {arm.label or arm.name}", fontsize="medium"
    )
    axes[-1].set_xlabel("time since randomisation (h)")
    out.figure("pk_typical_patient", axes)
    at = res.set_index("time_h")
    return {
        "esketamine_ng_ml_at_72h": float(at.loc[72.0, "esketamine_ng_ml"]),
        "norketamine_ng_ml_at_72h": float(at.loc[72.0, "norketamine_ng_ml"]),
        "propofol_mg_l_at_72h": float(at.loc[72.0, "propofol_mg_l"]),
    }


def cmd_run(args, study: Study, out: OutputFolder) -> dict[str, Any]:
    """The main job: PK, screening funnel, one trial and the power curve of a scenario."""
    summary: dict[str, Any] = {}
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
    out.table("trial_patients", tr.patients)
    out.table("trial_analysis", tr.analysis)
    out.table("trial_nonmem", tr.to_nonmem())
    out.figure("trial_endpoints", tr.plot())
    print(tr.summary())
    summary["trial"] = tr.analysis.to_dict(orient="records")
    summary.update(_power(study, args, out, grid=False))
    summary["wall_s"] = time.perf_counter() - t0
    return summary


def _screen(study: Study, args, out: OutputFolder) -> dict[str, Any]:
    run = screen(
        study,
        n=args.n_screen,
        seed=args.seed,
        threads=args.threads,
        progress=args.progress,
        executor=args.executor,
    )
    out.table("screening_funnel", run.table)
    out.table("screening_criteria", run.criteria_table())
    out.text("screening.md", run.to_markdown())
    out.figure("screening_funnel", run.plot())
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


def _simulation_options(args) -> dict[str, Any]:
    """The options that power, grid and assurance commands pass on alike."""
    return dict(
        n_per_arm=args.n_list,
        n_trials=args.n_trials,
        seed=args.seed,
        threads=args.threads,
        progress=args.progress,
        checkpoint=args.checkpoint,
        executor=args.executor,
        method=args.method,
    )


def _power(study: Study, args, out: OutputFolder, grid: bool) -> dict[str, Any]:
    kwargs = _simulation_options(args)
    pc = power_curve(study, analyses="all", **kwargs)
    out.table("power_curve", pc.table)
    control, treated = study.arm_names[:2]
    trials = int(pc.table["n_trials"].max())
    title = f"{study.name}: power, {treated} vs {control} ({pc.method}, {trials} trials per n)"
    out.figure("power_curve", pc.plot(title=title))
    need = pc.sample_size(0.8).merge(pc.sample_size(0.9), on="analysis", suffixes=("_80", "_90"))
    out.table("sample_size", need)
    primary = pc.table[pc.table["analysis"] == pc.table["analysis"].iloc[0]]
    print(primary[["n_per_arm", "power", "power_ci_low", "power_ci_high"]].to_string(index=False))
    resumed = f", {pc.patients_resumed} resumed from the checkpoint" if pc.patients_resumed else ""
    print(
        f"Power curve ({pc.method}): {pc.wall_s:.1f} s, "
        f"{pc.patients_per_s:.0f} simulated patients/s{resumed}"
    )
    result: dict[str, Any] = {
        "power": pc.table.to_dict(orient="records"),
        "sample_size": need.to_dict(orient="records"),
        "power_wall_s": pc.wall_s,
        "patients_per_s": pc.patients_per_s,
        "patients_resumed": pc.patients_resumed,
    }
    if grid:
        pg = power_grid(study, **kwargs)
        out.table("power_grid", pg.table)
        n_show = min(pg.table["n_per_arm"], key=lambda n: abs(n - 50))
        first = pg.table["analysis"].iloc[0]
        cells = pg.table[(pg.table["n_per_arm"] == n_show) & (pg.table["analysis"] == first)]
        ax = plot_power_heatmap(cells, x="I_max", y="IC50")
        ax.set_title(f"{study.name}: power of {first} at n = {n_show} per arm", fontsize="medium")
        ax.set_xlabel("I_max (maximal inhibition, fraction)")
        ax.set_ylabel("IC50 (ng/mL)")
        out.figure("power_heatmap", ax)
        a = assurance(study, power=pg, n_per_arm=args.n_list)
        out.table("assurance", a)
        print(a.to_string(index=False))
        result["assurance"] = a.to_dict(orient="records")
    return result


def cmd_screen(args, study: Study, out: OutputFolder) -> dict[str, Any]:
    """Screening funnel, recruitment time and protocol lint."""
    return _screen(study, args, out)


def cmd_power(args, study: Study, out: OutputFolder) -> dict[str, Any]:
    """Power curves, the assumption grid and the assurance."""
    return _power(study, args, out, grid=not args.no_grid)


def cmd_assurance(args, study: Study, out: OutputFolder) -> dict[str, Any]:
    """Assurance: the probability that the trial succeeds, averaged over the scenario's
    drug-effect prior (uncertainty.prior), at each n per arm. Monte Carlo by default: every
    simulated trial (fresh method) draws its own drug effect from the prior; the interval is the
    Wilson interval of the share of successful trials. --integration grid integrates the power
    grid (uncertainty.grid) instead, with the discretisation error in the interval."""
    t0 = time.perf_counter()
    kwargs = _simulation_options(args) | {"analyses": "all" if args.all_analyses else "primary"}
    result: dict[str, Any] = {"integration": args.integration}
    if args.integration == "monte_carlo":
        table, draws = assurance(study, integration="monte_carlo", return_draws=True, **kwargs)
        out.table("assurance_draws", draws)
    else:
        table = assurance(study, integration="grid", **kwargs)
    wall = time.perf_counter() - t0
    out.table("assurance", table)
    trials = f", {int(table['n_trials'].iloc[0])} trials" if "n_trials" in table else ""
    title = f"{study.name}: assurance ({args.integration}{trials}, seed {args.seed})"
    out.figure("assurance", plot_assurance(table, title=title))
    cols = ["analysis", "n_per_arm", "assurance", "assurance_ci_low", "assurance_ci_high"]
    print(table[cols].to_string(index=False))
    print(f"Assurance ({args.integration}): {wall:.1f} s")
    result["assurance"] = table.to_dict(orient="records")
    result["wall_s"] = wall
    return result


def cmd_compare(args, studies: list[Study], out: OutputFolder) -> dict[str, Any]:
    """Variants side by side on the same virtual patients."""
    res = compare(
        studies,
        n_per_arm=args.n_list,
        n_trials=args.n_trials,
        seed=args.seed,
        labels=args.labels,
        pool_per_arm=args.pool_per_arm,
        threads=args.threads,
        progress=args.progress,
    )
    out.table("compare", res.table)
    out.table("compare_power", res.power)
    out.table("compare_pk", res.timecourses)
    out.figure("compare", res.plot())
    print(res)
    return {
        "shared_pools": res.shared_pools,
        "note": res.note,
        "compare": res.table.to_dict(orient="records"),
    }


def cmd_validate(args) -> None:
    """Everything a run would check, without simulating: structure, references, names in the
    live model, population, criteria, the engine's own checks; then the protocol lint."""
    study = _study(args.scenario)
    findings = study.lint()
    for f in findings:
        print(f)
    print(f"{study.name}: valid ({len(findings)} lint finding(s))")


def cmd_list(args) -> None:
    """Models, bundled scenarios and populations."""
    listing = {
        "models": models(),
        "scenarios": available_scenarios(),
        "populations": available_populations(),
    }
    for k, v in listing.items():
        print(f"{k}: {', '.join(v)}")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions kept as written; every option's default shown (unless its help says it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if action.default is False:  # a switch
            return text + " (default: off)"
        return text + " (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``septrial`` command."""
    p = argparse.ArgumentParser(prog="septrial", description=__doc__, formatter_class=_Formatter)
    p.add_argument("--version", action="version", version=f"septrial {septrial_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, doc: str) -> argparse.ArgumentParser:
        # docstrings span lines with their indentation: the help shows them as written
        description = inspect.cleandoc(doc)
        return sub.add_parser(
            name, help=summary, description=description, formatter_class=_Formatter
        )

    def scenario(sp) -> None:
        sp.add_argument("scenario", help="bundled scenario name (see 'septrial list') or a path")

    def simulating(sp) -> None:
        sp.add_argument("--seed", type=int, default=1, help="random seed (same seed, same run)")
        sp.add_argument("--out", default="septrial-out", help="output folder (replaced as a whole)")
        sp.add_argument(
            "--format", choices=FORMATS, default="csv", help="table format (parquet: pyarrow)"
        )
        sp.add_argument(
            "--threads", type=int, default=None, help="engine threads (default: all cores)"
        )
        sp.add_argument("--progress", action="store_true", help="show progress bars")
        sp.add_argument(
            "--dask",
            default=None,
            metavar="ADDRESS",
            help="run on a Dask scheduler at ADDRESS, or 'local' for a local cluster",
        )

    def sizes(sp, method: bool = True) -> None:
        sp.add_argument(
            "--n-list",
            type=int,
            nargs="+",
            default=None,
            dest="n_list",
            metavar="N",
            help="patients per arm of the power curve (default: the scenario's power.n_per_arm)",
        )
        sp.add_argument(
            "--n-trials",
            type=int,
            default=None,
            dest="n_trials",
            help="simulated trials per n (default: the scenario's power.n_trials)",
        )
        if method:
            sp.add_argument(
                "--method",
                choices=list(METHODS),
                default=None,
                help="auto: fresh when it fits the scenario's time budget, else pool; pool: "
                "resample trials from independent pools; fresh: every trial anew "
                "(default: the scenario's power.method)",
            )
            sp.add_argument(
                "--checkpoint",
                default=None,
                help="folder to resume an interrupted run from (default: no checkpoints)",
            )

    r = command("run", "PK, screening, one trial and the power curve", cmd_run.__doc__)
    scenario(r)
    simulating(r)
    sizes(r)
    r.add_argument(
        "--n-screen", type=int, default=10_000, dest="n_screen", help="admissions screened"
    )
    r.add_argument(
        "--n-per-arm", type=int, default=50, dest="n_per_arm", help="patients per arm of the trial"
    )
    s = command("screen", "screening funnel, recruitment time and lint", cmd_screen.__doc__)
    scenario(s)
    simulating(s)
    s.add_argument(
        "--n-screen", "--n", type=int, default=10_000, dest="n_screen", help="admissions screened"
    )
    w = command("power", "power curves, assumption grid and assurance", cmd_power.__doc__)
    scenario(w)
    simulating(w)
    sizes(w)
    w.add_argument("--no-grid", action="store_true", help="skip the IC50 x I_max grid")
    a = command("assurance", "assurance under the drug-effect prior", cmd_assurance.__doc__)
    scenario(a)
    simulating(a)
    sizes(a)
    a.add_argument(
        "--integration",
        choices=list(INTEGRATIONS),
        default="monte_carlo",
        help="monte_carlo: one prior draw per simulated trial (fresh method); grid: prior-"
        "weighted power over uncertainty.grid",
    )
    a.add_argument(
        "--all-analyses",
        action="store_true",
        dest="all_analyses",
        help="every analysis of the plan, not only the primary",
    )
    c = command("compare", "dosing or design variants side by side", cmd_compare.__doc__)
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="names or paths (two or more)")
    simulating(c)
    sizes(c, method=False)
    c.add_argument(
        "--pool-per-arm",
        type=int,
        default=None,
        dest="pool_per_arm",
        help="enrolled patients per arm shared by the variants (default: the first scenario's)",
    )
    c.add_argument(
        "--labels", nargs="+", default=None, help="a short name per variant (default: names)"
    )
    v = command("validate", "schema check and protocol lint (writes nothing)", cmd_validate.__doc__)
    scenario(v)
    command("list", "models, scenarios and populations (writes nothing)", cmd_list.__doc__)
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
    "assurance": cmd_assurance,
    "compare": cmd_compare,
    "validate": cmd_validate,
    "list": cmd_list,
}


def _sizes(args) -> dict[str, Any]:
    names = ("n_screen", "n_per_arm", "n_list", "n_trials", "pool_per_arm")
    return {k: getattr(args, k) for k in names if hasattr(args, k)}


def _execute(args) -> None:
    if args.command in ("validate", "list"):  # they write nothing
        COMMANDS[args.command](args)
        return
    method = getattr(args, "method", None) or "scenario default"
    if args.command == "compare":
        target: Any = [_study(name) for name in args.scenarios]
        if len(target) < 2:
            raise ValueError("compare: give two or more scenarios")
        ident = identity(target[0], args.seed, method, _sizes(args))
        ident["scenario"] = [s.name for s in target]
        ident["scenario_sha256"] = [scenario_sha256(s.scenario) for s in target]
    else:
        target = _study(args.scenario)
        ident = identity(target, args.seed, method, _sizes(args))
    ident["command"] = args.command
    with OutputFolder(args.out, args.format, ident) as out:
        summary = COMMANDS[args.command](args, target, out)
        out.json(f"{args.command}_summary.json", summary)
    print(f"outputs in {args.out}/")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")
    args = build_parser().parse_args(argv)
    try:
        with _executor(getattr(args, "dask", None)) as args.executor:
            _execute(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"septrial {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = "; rerun with the same --checkpoint to resume" if args.command != "list" else ""
        print(f"interrupted, --out left as it was{hint}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
