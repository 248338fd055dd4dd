"""Power, sample size and assurance for a scenario.

- :func:`power_curve`: power against patients per arm, by simulating every trial anew
  (``method="fresh"``), by resampling trials from independent pools of enrolled patients
  (``method="pool"``, :mod:`septrial.power_pools`), or whichever fits the interactive budget
  (``method="auto"``, the default).
- :func:`power_grid`: the same across drug-effect assumptions (IC50 x I_max; docs/model.md).
- :func:`assurance`: the probability of success averaged over a prior on those assumptions,
  the null included: Monte Carlo (one prior draw per simulated trial, the default) or
  quadrature over the power grid.

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
from septrial.spec.base import validate_spec
from septrial.spec.design import Prior, UniformPrior
from septrial.stats import binomial_ci, sample_size_for_power
from septrial.stats.priors import PriorSampler
from septrial.stats.replicates import mean_interval
from septrial.study import as_study
from septrial.trial import arm_request, arm_sizes
from septrial.user_functions import check_portable

METHODS = ("auto", "pool", "fresh")
#: How assurance integrates over the prior.
INTEGRATIONS = ("monte_carlo", "grid")

__all__ = ["METHODS", "Pools", "PowerResult", "assurance", "build_pools", "power_curve"]
__all__ += ["INTEGRATIONS", "analyse_table", "power_grid", "prior_sampler", "prior_weights"]


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


def _as_prior(prior: Any, field: str = "prior") -> Prior:
    """A :class:`Prior` from a spec object or a dict (errors name ``field``)."""
    if isinstance(prior, Prior):
        return prior
    if not isinstance(prior, Mapping):
        raise ValueError(f"{field}: must be a dict (as uncertainty.prior), got {prior!r}")
    return validate_spec(Prior, dict(prior), root=field)


def prior_sampler(prior: Any) -> PriorSampler:
    """Per-trial draws of a prior (a :class:`Prior` or its dict) for Monte Carlo assurance."""
    spec = _as_prior(prior)
    dists = {k: d.frozen() for k, d in spec.parameters.items()}
    return PriorSampler(dists, spec.p_null, key=spec.to_dict())


def _cell_masses(name: str, points: Sequence[float], dist: Any) -> np.ndarray:
    """Prior mass of each grid point's cell: the cdf at the cell boundaries, which sit at the
    midpoints between neighbouring points (log-midpoints for log-scale priors); the tails beyond
    the outermost midpoints go to the end points."""
    pts = np.asarray(points, dtype=float)
    if pts.size == 1:
        return np.ones(1)
    frozen = dist.frozen()
    lo, hi = frozen.support()
    if not np.any((pts >= lo) & (pts <= hi)):
        raise ValueError(
            f"uncertainty.grid.{name}: no grid point inside the prior's support [{lo}, {hi}], "
            f"got {pts.tolist()}"
        )
    if dist.log_scale and pts.min() > 0:
        mids = np.sqrt(pts[1:] * pts[:-1])
    else:
        mids = (pts[1:] + pts[:-1]) / 2
    cdf = np.r_[0.0, np.asarray(frozen.cdf(mids), dtype=float), 1.0]
    return np.clip(np.diff(cdf), 0, None)


def prior_weights(grid: Mapping[str, Sequence[float]], prior: Any) -> pd.DataFrame:
    """Prior mass of each grid cell (quadrature weights): each parameter's prior cdf taken at
    the cell boundaries (midpoints between grid points, on the log scale for log-uniform and
    log-normal priors and their mixtures), the tails to the end points; a parameter without a
    prior is uniform over its grid's range; ``p_null`` extra mass on I_max = 0."""
    spec = _as_prior(prior)
    params = spec.parameters
    for name in params:
        if name not in grid:
            raise ValueError(
                f"uncertainty.grid.{name}: the prior's parameter {name!r} has no grid, which "
                "integration='grid' needs; allowed: add one, or use integration='monte_carlo'"
            )

    def one(name: str, points: Sequence[float]) -> np.ndarray:
        pts = sorted(float(v) for v in points)
        dist = params.get(name)
        if dist is None:
            if len(set(pts)) == 1:
                return np.full(len(pts), 1 / len(pts))
            dist = UniformPrior(dist="uniform", low=pts[0], high=pts[-1])
        return _cell_masses(name, pts, dist)

    keys = list(grid)
    weights = {k: dict(zip(sorted(grid[k]), one(k, grid[k]), strict=False)) for k in keys}
    p_null = spec.p_null
    if p_null and 0.0 not in [float(v) for v in grid.get("I_max", [])]:
        raise ValueError("uncertainty.grid.I_max: must contain 0 to carry the prior's null mass")
    rows = []
    for values in itertools.product(*(sorted(grid[k]) for k in keys)):
        cell = dict(zip(keys, values, strict=False))
        w = float(np.prod([weights[k][v] for k, v in cell.items()]))
        w *= 1 - p_null
        if p_null and "I_max" in cell and cell["I_max"] == 0:
            others = [weights[k][v] for k, v in cell.items() if k != "I_max"]
            w += p_null * float(np.prod(others))
        rows.append({**cell, "weight": w})
    return pd.DataFrame(rows)


def _coarse(grid: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Every other grid point of each parameter (the end points kept): the grid with twice the
    spacing, for the discretisation error of the quadrature."""
    out = {}
    for k, values in grid.items():
        pts = sorted(float(v) for v in values)
        keep = pts[::2] if len(pts) % 2 else [*pts[:-1:2], pts[-1]]
        out[k] = keep
    return out


def assurance(
    scenario,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    *,
    integration: str | None = None,
    grid: Mapping[str, Sequence[float]] | None = None,
    prior: Mapping[str, Any] | Prior | None = None,
    power: PowerResult | None = None,
    return_draws: bool = False,
    **kwargs,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Assurance: the probability that the trial succeeds (its analysis rejects at ``alpha``)
    averaged over the prior of the drug-effect assumptions (default: the scenario's
    ``uncertainty.prior``), with an interval.

    ``integration``:

    - ``"monte_carlo"`` (the default unless ``grid`` or ``power`` is given): every simulated
      trial draws its own drug effect from the prior (``p_null``, then each parameter by its
      inverse cdf, from the trial's own random stream) and is simulated with the fresh method;
      assurance is the share of successful trials, with the Wilson interval of that share. The
      draw of trial ``k`` depends only on (seed, k), and the trial at n is the first n patients
      of each arm, so the assurance at (n, seed) does not depend on the other n requested.
      ``kwargs``: ``method`` ('auto' or 'fresh'), ``params`` (fixed overrides under the draws),
      ``analyses``, ``executor``, ``checkpoint``, ``threads``, ``progress``. With
      ``return_draws=True`` the trials' draws and decisions come back as a second table.
    - ``"grid"``: quadrature of :func:`power_grid` (``power``, or run with ``kwargs``) with the
      prior mass of each cell (:func:`prior_weights`). The interval is Student's t over
      independent replicates of the weighted sum (each pool, or each fresh trial), widened by
      the discretisation error, estimated as the change when every other grid point is dropped
      (``grid_error``; NaN when no grid has more than two points).
    """
    study = as_study(scenario)
    unc = study.scenario.uncertainty
    if integration is None:
        integration = "grid" if grid is not None or power is not None else "monte_carlo"
    if integration not in INTEGRATIONS:
        raise ValueError(
            f"integration: unknown {integration!r}; allowed: {', '.join(INTEGRATIONS)}"
        )
    if prior is None:
        if unc.prior is None and integration == "monte_carlo":
            raise ValueError(
                "prior: the scenario has no uncertainty.prior; give prior= or set it in the "
                "scenario"
            )
        spec = unc.prior if unc.prior is not None else Prior()
    else:
        spec = _as_prior(prior)
    if integration == "monte_carlo":
        if grid is not None or power is not None:
            raise ValueError("grid, power: only with integration='grid'")
        table, draws = _assurance_mc(study, spec, n_per_arm, n_trials, seed, **kwargs)
        return (table, draws) if return_draws else table
    if return_draws:
        raise ValueError("return_draws: only with integration='monte_carlo'")
    grid = dict(grid or unc.grid)
    power = power or power_grid(study, grid, n_per_arm, n_trials, seed, **kwargs)
    if power.replicates is None:
        raise ValueError("power: a PowerResult from power_grid (it carries the replicates)")
    keys = list(grid)
    fine = _weighted_replicates(power.replicates, prior_weights(grid, spec), keys)
    coarse_grid = _coarse(grid)
    refined = any(len(set(coarse_grid[k])) < len(set(grid[k])) for k in keys)
    coarse = (
        _weighted_replicates(power.replicates, prior_weights(coarse_grid, spec), keys)
        if refined
        else None
    )
    rows = []
    unit = "pools" if power.method == "pool" else "trials"
    for (analysis, n), part in fine.groupby(level=["analysis", "n_per_arm"], sort=True):
        value, se, low, high = mean_interval(part.to_numpy())
        err = float("nan")
        how = f"t over {len(part)} {unit}"
        if coarse is not None:
            err = abs(value - float(coarse.loc[(analysis, n)].mean()))
            low, high = max(0.0, low - err), min(1.0, high + err)
            how += " widened by the grid error"
        rows.append(
            {
                "analysis": analysis,
                "n_per_arm": int(n),
                "assurance": value,
                "mc_se": se,
                "assurance_ci_low": low,
                "assurance_ci_high": high,
                "grid_error": err,
                "ci_method": how,
                "method": power.method,
                "integration": "grid",
                "p_null": spec.p_null,
            }
        )
    return pd.DataFrame(rows)


def _weighted_replicates(replicates: pd.DataFrame, w: pd.DataFrame, keys) -> pd.Series:
    """Prior-weighted power within each replicate, indexed by (analysis, n_per_arm, replicate);
    the cells of ``w`` (a subgrid) pick their rows of ``replicates``."""
    reps = replicates.merge(w, on=keys)
    reps["weighted"] = reps["weight"] * reps["power"]
    return reps.groupby(["analysis", "n_per_arm", "replicate"], sort=True)["weighted"].sum()


def _assurance_mc(
    study,
    spec: Prior,
    n_per_arm,
    n_trials,
    seed,
    *,
    method: str | None = None,
    params: Mapping[str, float] | None = None,
    analyses: str | Sequence[str] = "primary",
    executor: Any = None,
    checkpoint: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    ci: str = "wilson",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monte Carlo assurance: one prior draw per fresh trial (see :func:`assurance`)."""
    sc = study.scenario
    method = _method(method, sc)
    if method == "pool":
        raise ValueError(
            "method: Monte Carlo assurance draws the drug effect anew for every simulated "
            "trial, which the pool method cannot do (its patients are treated once per "
            "assumption); allowed: fresh, auto (runs fresh), or integration='grid' with pool"
        )
    n_list = _n_list(sc, n_per_arm)
    seed, n_trials, _, _, threads = _common(seed, n_trials, None, None, threads, sc)
    plan = _plan(sc, analyses)
    params = real_map("params", params, arrays=False)
    for name in spec.parameters:  # names checked against the model before any simulation
        sc.model_info.resolve(name, "prior")
    if spec.p_null:
        try:
            sc.model_info.resolve("I_max")
        except ValueError:
            raise ValueError(
                f"prior.p_null: the point mass on no effect sets I_max = 0, which model "
                f"{sc.model_info.name!r} does not have; allowed: 0"
            ) from None
    sampler = prior_sampler(spec)
    _check_memory(sc, "fresh", n_list, None, None, None, 1)
    rej = run_fresh(
        study,
        plan,
        n_list,
        n_trials,
        seed,
        [params],
        executor,
        checkpoint,
        threads,
        progress,
        prior=sampler,
    )[:, 0]
    failed = rej[:, len(plan) :, :].sum(axis=0)
    rows = []
    for i, item in enumerate(plan):
        for j, n in enumerate(n_list):
            k = int(rej[:, i, j].sum())
            lo, hi = binomial_ci(k, n_trials, method=ci)
            a = k / n_trials
            rows.append(
                {
                    "analysis": item.name,
                    "n_per_arm": n,
                    "assurance": a,
                    "mc_se": float(np.sqrt(a * (1 - a) / n_trials)),
                    "assurance_ci_low": max(0.0, float(lo)),
                    "assurance_ci_high": min(1.0, float(hi)),
                    "ci_method": f"{ci} over {n_trials} trials (one prior draw each)",
                    "method": "fresh",
                    "integration": "monte_carlo",
                    "p_null": spec.p_null,
                    "n_trials": n_trials,
                    "n_rejected": k,
                    "solver_failed_control": int(failed[0, j]),
                    "solver_failed_treated": int(failed[1, j]),
                }
            )
    draws = pd.DataFrame(sampler.table(seed, range(n_trials)))
    for i, item in enumerate(plan):
        for j, n in enumerate(n_list):
            draws[f"rejected_{item.name}_n{n}"] = rej[:, i, j].astype(bool)
    return pd.DataFrame(rows), draws


def analyse_table(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """The scenario's analysis plan on any per-patient table (columns ``arm`` and endpoints)."""
    return analyse(table, as_study(scenario).scenario)
