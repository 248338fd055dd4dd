"""Power, sample size and assurance for a scenario.

- :func:`power_curve`: power against patients per arm, by resampling large per-arm pools
  (``method="pool"``: fast) or by simulating every trial anew (``method="fresh"``: exact).
- :func:`power_grid`: the same across drug-effect assumptions (IC50 x I_max; docs/model.md).
- :func:`assurance`: power averaged over a prior on those assumptions, the null included.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from septrial.analysis import analyse, analysis_inputs
from septrial.cohort.frame import Frame
from septrial.enrolment import enrol, screen_chunk
from septrial.executor import Task, run_tasks
from septrial.outcomes import treat
from septrial.plotting.power import plot_power_curve
from septrial.spec.analysis import AnalysisItem
from septrial.stats import analyse_arms, binomial_ci, power_from_pools, sample_size_for_power
from septrial.study import as_study
from septrial.trial import TRIAL_STRIDE, arm_sizes, randomise

METHODS = ("pool", "fresh")


def _plan(scenario, analyses: str | Sequence[str]) -> list[AnalysisItem]:
    plan = scenario.analysis.plan
    if analyses == "primary":
        return scenario.analysis.primary
    if analyses == "all":
        return plan
    names = [p.name for p in plan]
    unknown = [a for a in analyses if a not in names]
    if unknown:
        raise ValueError(
            f"analyses: unknown {unknown[0]!r}; allowed: primary, all, {', '.join(names)}"
        )
    return [p for p in plan if p.name in analyses]


def _n_list(scenario, n_per_arm) -> list[int]:
    n = n_per_arm if n_per_arm is not None else scenario.power.n_per_arm
    n = [int(x) for x in np.atleast_1d(n)]
    if any(x < 2 for x in n):
        raise ValueError(f"n_per_arm: every value must be >= 2, got {n}")
    return sorted(set(n))


@dataclass
class PowerResult:
    """Power table (one row per analysis, assumption and n) with intervals, plus timing."""

    table: pd.DataFrame
    method: str
    seed: int
    wall_s: float
    patients_simulated: int
    assumptions: list[str] = field(default_factory=list)

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
        return self.patients_simulated / self.wall_s if self.wall_s > 0 else float("nan")

    def sample_size(self, target: float = 0.8) -> pd.DataFrame:
        """n per arm reaching ``target`` power for each analysis and assumption (monotone fit)."""
        keys = ["analysis", *self.assumptions]
        rows = []
        for key, part in self.table.groupby(keys, sort=False):
            res = sample_size_for_power(part, target)
            key = key if isinstance(key, tuple) else (key,)
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


# ---------------------------------------------------------------- pools


def _enrol_chunks(
    study, n_needed: int, seed: int, first_index: int, executor, checkpoint, threads, progress
) -> tuple[Frame, int]:
    """Enrolment in fixed admission chunks (identical for any executor), in arrival order."""
    pilot = enrol(study, min(n_needed, 50), seed, first_index=first_index, threads=threads)
    rate = len(pilot.frame) / pilot.n_admissions
    chunk = 2000
    parts: list[Frame] = []
    have, start = 0, 0
    while have < n_needed:
        n_chunks = max(1, int(np.ceil((n_needed - have) / rate * 1.15 / chunk)))
        tasks = [
            Task(
                screen_chunk,
                (study, first_index + start + k * chunk, chunk, seed, threads),
                {
                    "stage": "screen",
                    "scenario": study.scenario.canonical_json(),
                    "seed": seed,
                    "first": first_index + start + k * chunk,
                    "n": chunk,
                },
            )
            for k in range(n_chunks)
        ]
        for got in run_tasks(tasks, executor, checkpoint, progress, "screening chunks"):
            if len(got.frame):
                parts.append(got.frame)
                have += len(got.frame)
        start += n_chunks * chunk
    return Frame.concat(parts).subset(np.arange(n_needed)), start


def _treat_task(study, frame: Frame, arm: str, seed: int, overrides, threads):
    return treat(study, frame, arm, seed, threads=threads, overrides=overrides)


def _treat_chunks(
    study,
    frame: Frame,
    arm: str,
    seed: int,
    overrides,
    executor,
    checkpoint,
    threads,
    progress,
    chunk: int = 500,
) -> pd.DataFrame:
    tasks = []
    for lo in range(0, len(frame), chunk):
        part = frame.subset(np.arange(lo, min(lo + chunk, len(frame))))
        key = {
            "stage": "treat",
            "scenario": study.scenario.canonical_json(),
            "seed": seed,
            "arm": arm,
            "overrides": overrides,
            "patients": part.table["patient"].tolist(),
        }
        tasks.append(Task(_treat_task, (study, part, arm, seed, overrides, threads), key))
    return pd.concat(
        run_tasks(tasks, executor, checkpoint, progress, f"treat {arm}"), ignore_index=True
    )


@dataclass
class Pools:
    """Disjoint per-arm pools of enrolled patients (alternate arrivals)."""

    control: Frame
    treated: Frame
    n_admissions: int


def build_pools(
    scenario,
    pool_per_arm: int,
    seed: int,
    *,
    executor=None,
    checkpoint=None,
    threads=None,
    progress=False,
) -> Pools:
    frame, looked = _enrol_chunks(
        as_study(scenario), 2 * pool_per_arm, seed, 0, executor, checkpoint, threads, progress
    )
    idx = np.arange(len(frame))
    return Pools(frame.subset(idx[0::2]), frame.subset(idx[1::2]), looked)


def _pool_power(
    scenario, plan, ctrl: pd.DataFrame, trt: pd.DataFrame, n_list, n_trials, seed, ci
) -> pd.DataFrame:
    death_rule = scenario.analysis.death_rule
    alpha = scenario.analysis.alpha
    out = []
    for item in plan:
        test, yc, bc = analysis_inputs(ctrl, item, scenario, death_rule)
        _, yt, bt = analysis_inputs(trt, item, scenario, death_rule)
        pw = power_from_pools(
            yc,
            yt,
            n_list,
            n_trials,
            test=test,
            alpha=alpha,
            seed=seed,
            baseline_control=bc,
            baseline_treated=bt,
            ci=ci,
        )
        pw.insert(0, "analysis", item.name)
        # the intervals cover the resampling only: keep n well below the pool (n <= pool / 4)
        pw["pool_per_arm"] = len(ctrl)
        out.append(pw)
    return pd.concat(out, ignore_index=True)


def _resolve_pools(
    study, pools, pool_per_arm, n_list, seed, executor, checkpoint, threads, progress
) -> Pools:
    """The given pools, or new ones of ``pool_per_arm`` (default: the scenario's)."""
    size = len(pools.control) if pools else int(pool_per_arm or study.scenario.power.pool_per_arm)
    _check_pool_size(n_list, size)
    return pools or build_pools(
        study,
        size,
        seed,
        executor=executor,
        checkpoint=checkpoint,
        threads=threads,
        progress=progress,
    )


def _check_pool_size(n_list, pool_per_arm):
    if max(n_list) > pool_per_arm:
        raise ValueError(
            f"n_per_arm: {max(n_list)} is larger than the pool ({pool_per_arm} per arm); "
            "raise pool_per_arm or use method='fresh'"
        )


# ---------------------------------------------------------------- fresh


def _fresh_trials(
    study, plan, first_trial: int, n_trials: int, n_list, seed, params, threads
) -> np.ndarray:
    """Rejections (trials x analyses x n) of trials first_trial .. first_trial + n_trials - 1."""
    scenario = study.scenario
    death_rule = scenario.analysis.death_rule
    alpha = scenario.analysis.alpha
    n_c, n_t = arm_sizes(scenario, max(n_list))
    names = scenario.arm_names[:2]
    out = np.zeros((n_trials, len(plan), len(n_list)), dtype=bool)
    for k in range(n_trials):
        trial = first_trial + k
        enrolled = enrol(study, n_c + n_t, seed, first_index=trial * TRIAL_STRIDE, threads=threads)
        arm_of = randomise(scenario, n_c, n_t, seed, trial)
        tables = [
            treat(
                study,
                enrolled.frame.subset(np.flatnonzero(arm_of == a)),
                name,
                seed,
                threads=threads,
                overrides=params,
            )
            for a, name in enumerate(names)
        ]
        for j, n in enumerate(n_list):
            nt = int(round(n * n_t / n_c))
            for i, item in enumerate(plan):
                tc, yc, bc = analysis_inputs(tables[0].iloc[:n], item, scenario, death_rule)
                _, yt, bt = analysis_inputs(tables[1].iloc[:nt], item, scenario, death_rule)
                try:
                    res = analyse_arms(tc, yc, yt, baseline_control=bc, baseline_treated=bt)
                    out[k, i, j] = res.p_value < alpha
                except ValueError:
                    out[k, i, j] = False  # not analysable (e.g. everyone died): not significant
    return out


# ---------------------------------------------------------------- public API


def power_curve(
    scenario,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    method: str = "pool",
    *,
    analyses: str | Sequence[str] = "primary",
    params: Mapping[str, float] | None = None,
    pool_per_arm: int | None = None,
    executor: Any = None,
    checkpoint: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    ci: str = "wilson",
    pools: Pools | None = None,
) -> PowerResult:
    """Power of the scenario's analyses against ``n_per_arm``.

    ``method="pool"`` simulates ``pool_per_arm`` enrolled patients per arm once and resamples
    ``n_trials`` trials from them (common random numbers across n); ``"fresh"`` simulates every
    trial's patients anew (enrolment, block randomisation, follow-up). ``params`` sets drug-effect
    (or any) model parameters for the treatment phase. ``executor`` may be a Dask client;
    ``checkpoint`` a folder to resume from after an interruption. ``pools`` (from
    :func:`build_pools`) reuses already enrolled patients, e.g. to compare dosing variants of one
    trial on the same virtual patients. Keep n well below the pool size (n <= pool / 4): the
    intervals cover the resampling, not the draw of the pool itself.
    """
    t0 = time.perf_counter()
    study = as_study(scenario)
    scenario = study.scenario
    if method not in METHODS:
        raise ValueError(f"method: unknown {method!r}; allowed: {', '.join(METHODS)}")
    n_list = _n_list(scenario, n_per_arm)
    n_trials = int(n_trials if n_trials is not None else scenario.power.n_trials)
    if n_trials < 1:
        raise ValueError(f"n_trials: must be >= 1, got {n_trials}")
    plan = _plan(scenario, analyses)
    params = dict(params or {})
    if method == "pool":
        pools = _resolve_pools(
            study, pools, pool_per_arm, n_list, seed, executor, checkpoint, threads, progress
        )
        pool = len(pools.control)
        names = scenario.arm_names[:2]
        ctrl = _treat_chunks(
            study, pools.control, names[0], seed, params, executor, checkpoint, threads, progress
        )
        trt = _treat_chunks(
            study, pools.treated, names[1], seed, params, executor, checkpoint, threads, progress
        )
        table = _pool_power(scenario, plan, ctrl, trt, n_list, n_trials, seed, ci)
        simulated = 2 * pool
    else:
        per_task = max(1, n_trials // 16)
        tasks = [
            Task(
                _fresh_trials,
                (study, plan, k, min(per_task, n_trials - k), n_list, seed, params, threads),
                {
                    "stage": "fresh",
                    "scenario": scenario.canonical_json(),
                    "seed": seed,
                    "first_trial": k,
                    "n": min(per_task, n_trials - k),
                    "n_list": n_list,
                    "params": params,
                },
            )
            for k in range(0, n_trials, per_task)
        ]
        rejections = np.concatenate(run_tasks(tasks, executor, checkpoint, progress, "trials"))
        rows = []
        alpha = scenario.analysis.alpha
        for i, item in enumerate(plan):
            for j, n in enumerate(n_list):
                k = int(rejections[:, i, j].sum())
                lo, hi = binomial_ci(k, n_trials, method=ci)
                rows.append(
                    {
                        "analysis": item.name,
                        "n_per_arm": n,
                        "power": k / n_trials,
                        "power_ci_low": lo,
                        "power_ci_high": hi,
                        "n_trials": n_trials,
                        "test": item.test,
                        "alpha": alpha,
                        "n_rejected": k,
                    }
                )
        table = pd.DataFrame(rows)
        simulated = n_trials * sum(arm_sizes(scenario, max(n_list)))
    table.insert(1, "method", method)
    for k, v in params.items():
        table[k] = v
    return PowerResult(table, method, seed, time.perf_counter() - t0, simulated, list(params))


def power_grid(
    scenario,
    grid: Mapping[str, Sequence[float]] | None = None,
    n_per_arm: Sequence[int] | int | None = None,
    n_trials: int | None = None,
    seed: int = 1,
    *,
    analyses: str | Sequence[str] = "primary",
    pool_per_arm: int | None = None,
    executor: Any = None,
    checkpoint: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    pools: Pools | None = None,
) -> PowerResult:
    """Pool-method power for every combination of ``grid`` values (default: the scenario's
    ``uncertainty.grid``, IC50 x I_max). The control pool, the patients and the resampled trials
    are shared by all cells (common random numbers), so differences between cells are the
    assumption's effect, not noise."""
    t0 = time.perf_counter()
    study = as_study(scenario)
    scenario = study.scenario
    grid = dict(grid or scenario.uncertainty.grid)
    if not grid:
        raise ValueError("grid: give {parameter: values} or set uncertainty.grid in the scenario")
    n_list = _n_list(scenario, n_per_arm)
    n_trials = int(n_trials if n_trials is not None else scenario.power.n_trials)
    plan = _plan(scenario, analyses)
    pools = _resolve_pools(
        study, pools, pool_per_arm, n_list, seed, executor, checkpoint, threads, progress
    )
    pool = len(pools.control)
    names = scenario.arm_names[:2]
    ctrl = _treat_chunks(
        study, pools.control, names[0], seed, {}, executor, checkpoint, threads, progress
    )
    keys = list(grid)
    out = []
    for values in itertools.product(*(grid[k] for k in keys)):
        cell = {k: float(v) for k, v in zip(keys, values, strict=False)}
        trt = _treat_chunks(
            study, pools.treated, names[1], seed, cell, executor, checkpoint, threads, progress
        )
        t = _pool_power(scenario, plan, ctrl, trt, n_list, n_trials, seed, "wilson")
        for k, v in cell.items():
            t[k] = v
        out.append(t)
    table = pd.concat(out, ignore_index=True)
    table.insert(1, "method", "pool")
    n_cells = int(np.prod([len(v) for v in grid.values()]))
    return PowerResult(table, "pool", seed, time.perf_counter() - t0, pool * (1 + n_cells), keys)


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
    :func:`power_grid` when given."""
    study = as_study(scenario)
    unc = study.scenario.uncertainty
    grid = dict(grid or unc.grid)
    if prior is None:
        prior = unc.prior.to_dict() if unc.prior is not None else {}
    prior = dict(prior)
    power = power or power_grid(study, grid, n_per_arm, n_trials, seed, **kwargs)
    w = prior_weights(grid, prior)
    keys = list(grid)
    merged = power.table.merge(w, on=keys)
    rows = []
    for (analysis, n), part in merged.groupby(["analysis", "n_per_arm"], sort=True):
        ws = part["weight"].to_numpy()
        p = part["power"].to_numpy()
        trials = part["n_trials"].to_numpy()
        value = float(np.sum(ws * p))
        se = float(np.sqrt(np.sum(ws**2 * p * (1 - p) / trials)))
        rows.append(
            {
                "analysis": analysis,
                "n_per_arm": int(n),
                "assurance": value,
                "mc_se": se,
                "assurance_ci_low": max(0.0, value - 1.96 * se),
                "assurance_ci_high": min(1.0, value + 1.96 * se),
                "p_null": float(prior.get("p_null", 0.0)),
            }
        )
    return pd.DataFrame(rows)


def analyse_table(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """The scenario's analysis plan on any per-patient table (columns ``arm`` and endpoints)."""
    return analyse(table, as_study(scenario).scenario)
