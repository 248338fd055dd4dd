"""Power, sample size and assurance for a scenario.

- :func:`power_curve`: power against patients per arm, by simulating every trial anew
  (``method="fresh"``), by resampling trials from independent pools of enrolled patients
  (``method="pool"``, :mod:`septrial.power_pools`), or whichever fits the interactive budget
  (``method="auto"``, the default).
- :func:`power_grid`: the same across drug-effect assumptions (IC50 x I_max; docs/model.md).
- :func:`assurance`: power averaged over a prior on those assumptions, the null included.

Same seed, same power at a given n, whatever other n are requested: both methods draw the trial
at n as the first n patients of each arm of a fixed per-trial sequence (nested draws), never
depending on the largest n asked for.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from septrial.analysis import analyse
from septrial.arguments import (
    MAX_PER_ARM,
    MAX_SEED,
    MAX_THREADS,
    MAX_TRIALS,
    optional_whole,
    real,
    real_map,
    whole,
    whole_list,
)
from septrial.executor import resumed_patients
from septrial.memory import BYTES_PER_PATIENT, check_fits
from septrial.plotting.power import plot_power_curve
from septrial.power_fresh import choose_method, fresh_replicates, fresh_table, run_fresh
from septrial.power_pools import Pools, build_pools, pool_power, resolve_pools, treat_pools
from septrial.progress import overall_bar
from septrial.stats import sample_size_for_power
from septrial.stats.replicates import mean_interval
from septrial.study import as_study
from septrial.trial import arm_request, arm_sizes
from septrial.user_functions import check_portable

METHODS = ("auto", "pool", "fresh")

__all__ = ["METHODS", "Pools", "PowerResult", "assurance", "build_pools", "power_curve"]
__all__ += ["power_grid", "prior_weights", "analyse_table"]


def _plan(scenario, analyses: str | Sequence[str]) -> list:
    """Plan items (and user analyses, ``Scenario.with_analysis``) selected by ``analyses``."""
    users = list(scenario.extensions.analyses)
    if analyses == "primary":
        return scenario.analysis.primary + [u for u in users if u.role == "primary"]
    plan = [*scenario.analysis.plan, *users]
    if analyses == "all":
        return plan
    names = [p.name for p in plan]
    if isinstance(analyses, str):
        analyses = [analyses]
    unknown = [a for a in analyses if a not in names]
    if unknown:
        raise ValueError(
            f"analyses: unknown {unknown[0]!r}; allowed: primary, all, {', '.join(names)}"
        )
    return [p for p in plan if p.name in analyses]


def _n_list(scenario, n_per_arm) -> list[int]:
    n = n_per_arm if n_per_arm is not None else scenario.power.n_per_arm
    return sorted(set(whole_list("n_per_arm", n, 2, MAX_PER_ARM)))


def _common(seed, n_trials, pool_per_arm, n_pools, threads, scenario) -> tuple:
    """The size and seed arguments shared by power_curve and power_grid, checked."""
    n_trials = n_trials if n_trials is not None else scenario.power.n_trials
    return (
        whole("seed", seed, 0, MAX_SEED),
        whole("n_trials", n_trials, 1, MAX_TRIALS),
        optional_whole("pool_per_arm", pool_per_arm, 2, MAX_PER_ARM),
        optional_whole("n_pools", n_pools, 1, 10**6),
        optional_whole("threads", threads, 1, MAX_THREADS),
    )


def _grid(grid) -> dict[str, list[float]]:
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid: must be a dict of parameter name to values, got {grid!r}")
    out = {}
    for name, values in grid.items():
        if isinstance(values, str | bytes | Mapping) or not np.iterable(values):
            raise ValueError(f"grid.{name}: must be a list of numbers, got {values!r}")
        out[str(name)] = [real(f"grid.{name}[{i}]", v) for i, v in enumerate(values)]
    return out


def _method(method: str | None, scenario) -> str:
    method = method or scenario.power.method
    if method not in METHODS:
        raise ValueError(f"method: unknown {method!r}; allowed: {', '.join(METHODS)}")
    return method


@dataclass
class PowerResult:
    """Power table (one row per analysis, assumption and n) with intervals, plus timing."""

    table: pd.DataFrame
    method: str
    seed: int
    wall_s: float
    patients_simulated: int
    assumptions: list[str] = field(default_factory=list)
    replicates: pd.DataFrame | None = None
    """Independent replicates of power (one row per pool, or per fresh trial) for intervals of
    derived quantities such as assurance."""
    fresh_estimate_s: float | None = None
    """The estimated fresh run time that ``method="auto"`` compared with the budget."""
    patients_resumed: int = 0
    """Of ``patients_simulated``, those loaded from a checkpoint rather than simulated now."""

    def __repr__(self) -> str:
        first = self.table[self.table["analysis"] == self.table["analysis"].iloc[0]]
        curve = ", ".join(
            f"{int(n)}: {p:.2f}" for n, p in zip(first["n_per_arm"], first["power"], strict=True)
        )
        return (
            f"PowerResult({self.method}, seed {self.seed}, {len(self.table)} rows; "
            f"{first['analysis'].iloc[0]} power by n per arm {{{curve}}})"
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>Power ({self.method}, seed {self.seed})</b>, {self.wall_s:.1f} s"
            + self.table.to_html(index=False, float_format=lambda x: f"{x:.3g}")
        )

    @property
    def patients_per_s(self) -> float:
        """Patients simulated by this call per second of wall time (work resumed from a
        checkpoint is not counted)."""
        fresh = self.patients_simulated - self.patients_resumed
        return fresh / self.wall_s if self.wall_s > 0 else float("nan")

    def sample_size(self, target: float = 0.8) -> pd.DataFrame:
        """n per arm reaching ``target`` power for each analysis and assumption (monotone fit)."""
        keys = ["analysis", *self.assumptions]
        rows = []
        for key, part in self.table.groupby(keys, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            if part["n_per_arm"].nunique() < 2:
                rows.append(
                    {
                        **dict(zip(keys, key, strict=False)),
                        "target": target,
                        "n_per_arm": float("nan"),
                        "n_per_arm_ceil": float("nan"),
                        "note": "one n_per_arm simulated: give at least 2 to interpolate",
                    }
                )
                continue
            res = sample_size_for_power(part, target)
            rows.append(
                {
                    **dict(zip(keys, key, strict=False)),
                    "target": target,
                    "n_per_arm": res.n_per_arm,
                    "n_per_arm_ceil": res.n_per_arm_ceil,
                    "note": res.reason,
                }
            )
        return pd.DataFrame(rows)

    def plot(self, ax=None, analysis: str | None = None, title: str | None = None):
        """Power against patients per arm with its 95 % interval band, the 80 % and 90 % lines
        and the n reaching them; one curve per analysis."""
        t = self.table
        if analysis is not None:
            t = t[t["analysis"] == analysis]
        by = "analysis" if t["analysis"].nunique() > 1 else None
        label = None if by else str(t["analysis"].iloc[0])
        ax = plot_power_curve(t, ax=ax, by=by, label=label)
        trials = int(t["n_trials"].max()) if "n_trials" in t else 0
        ax.set_title(
            title or f"Power ({self.method}, {trials} simulated trials per n, seed {self.seed})",
            fontsize="medium",
        )
        return ax


def _check_memory(sc, method, n_list, pool_per_arm, n_pools, pools, n_cells) -> None:
    """Refuse pools (or fresh trials) that do not fit in memory, naming the field."""
    if method == "pool" and pools is None:
        size = int(pool_per_arm or sc.power.pool_per_arm)
        rows = int(n_pools or sc.power.n_pools) * size * (1 + n_cells)
        check_fits("pool_per_arm", size, rows, BYTES_PER_PATIENT, "patients followed")
    elif method == "fresh":
        n = max(n_list)
        rows = sum(arm_sizes(sc, n))
        check_fits("n_per_arm", arm_request(sc, n), rows, BYTES_PER_PATIENT, "patients per trial")


# ---------------------------------------------------------------- public API


def _run(
    study,
    plan,
    cells: list[dict[str, float]],
    control_params: dict[str, float],
    n_list,
    n_trials,
    seed,
    method,
    pool_per_arm,
    n_pools,
    executor,
    checkpoint,
    threads,
    progress,
    ci,
    pools,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Power table, replicates and patients simulated for every cell (the same patients and
    trials in each); the pool method follows the control pools once, with ``control_params``."""
    sc = study.scenario
    tables, reps = [], []
    _check_memory(sc, method, n_list, pool_per_arm, n_pools, pools, len(cells))
    if method == "pool":
        pools = resolve_pools(
            study,
            pools,
            pool_per_arm,
            n_pools,
            n_list,
            seed,
            executor,
            checkpoint,
            threads,
            progress,
        )
        names = sc.arm_names[:2]
        ctrl = treat_pools(
            study, pools, names[0], seed, control_params, executor, checkpoint, threads, progress
        )
        with overall_bar(progress, len(cells), "assumption cells", "cell") as cell_done:
            for cell in cells:
                trt = treat_pools(
                    study, pools, names[1], seed, cell, executor, checkpoint, threads, progress
                )
                t, r = pool_power(sc, plan, ctrl, trt, n_list, n_trials, seed, ci)
                tables.append(t.assign(**cell))
                reps.append(r.assign(**cell))
                cell_done()
        simulated = pools.n_pools * pools.pool_per_arm * (1 + len(cells))
        return pd.concat(tables, ignore_index=True), pd.concat(reps, ignore_index=True), simulated
    rej = run_fresh(
        study, plan, n_list, n_trials, seed, cells, executor, checkpoint, threads, progress
    )
    for c, cell in enumerate(cells):
        tables.append(fresh_table(sc, plan, n_list, rej[:, c], ci).assign(**cell))
        reps.append(fresh_replicates(plan, n_list, rej[:, c]).assign(**cell))
    simulated = n_trials * sum(arm_sizes(sc, max(n_list))) * len(cells)
    return pd.concat(tables, ignore_index=True), pd.concat(reps, ignore_index=True), simulated


def power_curve(
    scenario,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    method: str | None = None,
    *,
    analyses: str | Sequence[str] = "primary",
    params: Mapping[str, float] | None = None,
    pool_per_arm: int | None = None,
    n_pools: int | None = None,
    executor: Any = None,
    checkpoint: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    ci: str = "wilson",
    pools: Pools | None = None,
) -> PowerResult:
    """Power of the scenario's analyses against ``n_per_arm``.

    ``method`` (default: the scenario's ``power.method``, itself ``"auto"``): ``"fresh"``
    simulates every trial's patients anew (enrolment, block randomisation, follow-up; Wilson
    interval); ``"pool"`` simulates ``n_pools`` independent pools of ``pool_per_arm`` enrolled
    patients per arm and resamples ``n_trials`` trials from them (interval over the pools, so it
    covers the draw of the pools, see :mod:`septrial.power_pools`); ``"auto"`` runs fresh when
    a short pilot says it fits ``power.interactive_budget_s``, pool otherwise. The ``method``
    and ``ci_method`` columns say what ran. With a given method the power at each n depends only
    on the seed, never on the other n requested. ``params`` sets drug-effect (or any) model
    parameters for the treatment phase. ``executor`` may be a Dask client (bit-identical
    results); ``checkpoint`` a folder to resume from after an interruption. ``pools`` (from
    :func:`build_pools`) reuses already enrolled patients, e.g. to compare dosing variants of
    one trial on the same virtual patients.
    """
    t0 = time.perf_counter()
    study = as_study(scenario)
    scenario = study.scenario
    method = _method(method, scenario)
    n_list = _n_list(scenario, n_per_arm)
    seed, n_trials, pool_per_arm, n_pools, threads = _common(
        seed, n_trials, pool_per_arm, n_pools, threads, scenario
    )
    plan = _plan(scenario, analyses)
    check_portable(scenario, executor)
    params = real_map("params", params, arrays=False)
    if pools is not None and method == "auto":
        method = "pool"
    method, est = choose_method(method, study, plan, n_list, n_trials, 1, seed, threads, executor)
    with resumed_patients() as resumed:
        table, reps, simulated = _run(
            study,
            plan,
            [params],
            params,
            n_list,
            n_trials,
            seed,
            method,
            pool_per_arm,
            n_pools,
            executor,
            checkpoint,
            threads,
            progress,
            ci,
            pools,
        )
    table.insert(1, "method", method)
    res = PowerResult(table, method, seed, time.perf_counter() - t0, simulated, list(params))
    res.replicates, res.fresh_estimate_s = reps, est
    res.patients_resumed = resumed[0]
    return res


def power_grid(
    scenario,
    grid: Mapping[str, Sequence[float]] | None = None,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    *,
    method: str | None = None,
    analyses: str | Sequence[str] = "primary",
    pool_per_arm: int | None = None,
    n_pools: int | None = None,
    executor: Any = None,
    checkpoint: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    pools: Pools | None = None,
) -> PowerResult:
    """Power for every combination of ``grid`` values (default: the scenario's
    ``uncertainty.grid``, IC50 x I_max), by ``method`` as in :func:`power_curve` ('auto'
    counts every cell in the run-time estimate). The patients and the trials are shared by all
    cells (common random numbers), so differences between cells are the assumption's effect,
    not noise."""
    t0 = time.perf_counter()
    study = as_study(scenario)
    scenario = study.scenario
    grid = _grid(grid or scenario.uncertainty.grid)
    if not grid:
        raise ValueError("grid: give {parameter: values} or set uncertainty.grid in the scenario")
    method = _method(method, scenario)
    n_list = _n_list(scenario, n_per_arm)
    seed, n_trials, pool_per_arm, n_pools, threads = _common(
        seed, n_trials, pool_per_arm, n_pools, threads, scenario
    )
    plan = _plan(scenario, analyses)
    check_portable(scenario, executor)
    keys = list(grid)
    cells = [
        {k: float(v) for k, v in zip(keys, values, strict=True)}
        for values in itertools.product(*(grid[k] for k in keys))
    ]
    if pools is not None and method == "auto":
        method = "pool"
    method, est = choose_method(
        method, study, plan, n_list, n_trials, len(cells), seed, threads, executor
    )
    with resumed_patients() as resumed:
        table, reps, simulated = _run(
            study,
            plan,
            cells,
            {},
            n_list,
            n_trials,
            seed,
            method,
            pool_per_arm,
            n_pools,
            executor,
            checkpoint,
            threads,
            progress,
            "wilson",
            pools,
        )
    table.insert(1, "method", method)
    res = PowerResult(table, method, seed, time.perf_counter() - t0, simulated, keys)
    res.replicates, res.fresh_estimate_s = reps, est
    res.patients_resumed = resumed[0]
    return res


def prior_weights(grid: Mapping[str, Sequence[float]], prior: Mapping[str, Any]) -> pd.DataFrame:
    """Prior mass of each grid cell: each parameter's prior spread over its grid points by
    nearest-point intervals (on the log scale for log-uniform priors); ``p_null`` extra mass on
    I_max = 0."""

    def one(name: str, points: Sequence[float]) -> np.ndarray:
        spec = prior.get(name, {"dist": "uniform", "low": min(points), "high": max(points)})
        pts = np.asarray(sorted(points), dtype=float)
        log = spec["dist"] == "loguniform"
        f = np.log if log else (lambda x: x)
        lo, hi = f(spec["low"]), f(spec["high"])
        x = f(pts)
        edges = np.r_[lo, (x[1:] + x[:-1]) / 2, hi]
        w = np.clip(np.diff(np.clip(edges, lo, hi)), 0, None)
        if w.sum() <= 0:
            raise ValueError(
                f"uncertainty.prior.{name}: no grid point inside [{spec['low']}, {spec['high']}]"
            )
        return w / w.sum()

    keys = list(grid)
    weights = {k: dict(zip(sorted(grid[k]), one(k, grid[k]), strict=False)) for k in keys}
    p_null = float(prior.get("p_null", 0.0))
    if not 0 <= p_null <= 1:
        raise ValueError(f"uncertainty.prior.p_null: must be in [0, 1], got {p_null}")
    rows = []
    for values in itertools.product(*(sorted(grid[k]) for k in keys)):
        cell = dict(zip(keys, values, strict=False))
        w = float(np.prod([weights[k][v] for k, v in cell.items()]))
        w *= 1 - p_null
        if p_null and "I_max" in cell and cell["I_max"] == 0:
            others = [weights[k][v] for k, v in cell.items() if k != "I_max"]
            w += p_null * float(np.prod(others))
        rows.append({**cell, "weight": w})
    if p_null and 0.0 not in [float(v) for v in grid.get("I_max", [])]:
        raise ValueError("uncertainty.grid.I_max: must contain 0 to carry the prior's null mass")
    return pd.DataFrame(rows)


def assurance(
    scenario,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    *,
    grid: Mapping[str, Sequence[float]] | None = None,
    prior: Mapping[str, Any] | None = None,
    power: PowerResult | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Assurance: power averaged over the prior of the drug-effect assumptions (scenario
    ``uncertainty.prior``), with its Monte Carlo interval. Reuses ``power`` from
    :func:`power_grid` when given; otherwise runs it (``kwargs`` go to it, e.g. ``method``,
    ``executor``).

    The interval is Student's t over independent replicates of the weighted sum: each pool
    (pool method) or each trial (fresh method) gives one assurance value, so the correlation
    between cells (common random numbers) and the draw of the pools are both accounted for.
    """
    study = as_study(scenario)
    unc = study.scenario.uncertainty
    grid = dict(grid or unc.grid)
    if prior is None:
        prior = unc.prior.to_dict() if unc.prior is not None else {}
    prior = dict(prior)
    power = power or power_grid(study, grid, n_per_arm, n_trials, seed, **kwargs)
    w = prior_weights(grid, prior)
    keys = list(grid)
    if power.replicates is None:
        raise ValueError("power: a PowerResult from power_grid (it carries the replicates)")
    reps = power.replicates.merge(w, on=keys)
    reps["weighted"] = reps["weight"] * reps["power"]
    per_rep = reps.groupby(["analysis", "n_per_arm", "replicate"], sort=True)["weighted"].sum()
    rows = []
    unit = "pools" if power.method == "pool" else "trials"
    for (analysis, n), part in per_rep.groupby(level=["analysis", "n_per_arm"], sort=True):
        value, se, low, high = mean_interval(part.to_numpy())
        rows.append(
            {
                "analysis": analysis,
                "n_per_arm": int(n),
                "assurance": value,
                "mc_se": se,
                "assurance_ci_low": low,
                "assurance_ci_high": high,
                "ci_method": f"t over {len(part)} {unit}",
                "method": power.method,
                "p_null": float(prior.get("p_null", 0.0)),
            }
        )
    return pd.DataFrame(rows)


def analyse_table(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """The scenario's analysis plan on any per-patient table (columns ``arm`` and endpoints)."""
    return analyse(table, as_study(scenario).scenario)
