"""The pool method: independent pools of enrolled patients, resampled into trials.

Each pool is ``pool_per_arm`` patients per arm (alternate arrivals of one enrolment stream);
pool ``j`` holds arrivals ``2 j P .. 2 (j + 1) P - 1``, so a pool never depends on how many
pools are asked for. Trials are resampled within a pool with nested draws (see
:func:`septrial.stats.power_from_pools`); pool ``j`` resamples from its own seed
``SeedSequence(seed, spawn_key=(j,))``.

Why several pools: a trial resampled from one pool inherits that pool's draw, so the binomial
interval of one pool is too narrow (it ignores the pool). Splitting the same number of patients
into ``n_pools`` pools costs nothing in precision to first order (the pool-draw variance of the
averaged estimate falls with the total number of patients, however they are split) and each
pool's power is an independent, unbiased replicate, so the spread between pools gives an honest
interval (see :mod:`septrial.stats.replicates`). A bootstrap over the patients of one pool was
the alternative; it needs every trial re-analysed per bootstrap pool (hundreds of times the
analysis cost) and only approximates the pool draw, so independent pools are both cheaper and
exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from septrial.analysis import analysis_inputs
from septrial.chunks import enrol_chunks, treat_chunks
from septrial.cohort.frame import Frame
from septrial.solver_failures import failed_mask, failure_table, raise_if_failures_explain
from septrial.stats import power_from_pools
from septrial.stats.replicates import replicate_interval
from septrial.study import as_study
from septrial.user_analyses import pool_power_rows
from septrial.user_functions import UserAnalysis


@dataclass
class Pools:
    """Independent pools of enrolled patients: ``control[j]`` and ``treated[j]`` are pool
    ``j``'s arms (disjoint patients)."""

    control: list[Frame]
    treated: list[Frame]
    n_admissions: int

    @property
    def n_pools(self) -> int:
        """Number of independent pools."""
        return len(self.control)

    @property
    def pool_per_arm(self) -> int:
        """Patients per arm in each pool."""
        return len(self.control[0])


def build_pools(
    scenario,
    pool_per_arm: int,
    seed: int,
    *,
    n_pools: int | None = None,
    executor=None,
    checkpoint=None,
    threads=None,
    progress=False,
) -> Pools:
    """``n_pools`` (default: the scenario's ``power.n_pools``) independent pools of
    ``pool_per_arm`` enrolled patients per arm."""
    study = as_study(scenario)
    n_pools = int(n_pools or study.scenario.power.n_pools)
    if n_pools < 1:
        raise ValueError(f"n_pools: must be >= 1, got {n_pools}")
    size = 2 * int(pool_per_arm)
    frame, looked = enrol_chunks(
        study, n_pools * size, seed, 0, executor, checkpoint, threads, progress
    )
    ctrl, trt = [], []
    for j in range(n_pools):
        idx = np.arange(j * size, (j + 1) * size)
        ctrl.append(frame.subset(idx[0::2]))
        trt.append(frame.subset(idx[1::2]))
    return Pools(ctrl, trt, looked)


def resolve_pools(
    study, pools, pool_per_arm, n_pools, n_list, seed, executor, checkpoint, threads, progress
) -> Pools:
    """The given pools, or new ones (sizes default to the scenario's ``power`` settings)."""
    settings = study.scenario.power
    if pools is not None:
        check_pool_size(n_list, pools.pool_per_arm)
        return pools
    size = int(pool_per_arm or settings.pool_per_arm)
    check_pool_size(n_list, size)
    return build_pools(
        study,
        size,
        seed,
        n_pools=n_pools,
        executor=executor,
        checkpoint=checkpoint,
        threads=threads,
        progress=progress,
    )


def check_pool_size(n_list, pool_per_arm: int) -> None:
    """A clear error when the largest n does not fit in a pool (drawn without replacement)."""
    if max(n_list) > pool_per_arm:
        raise ValueError(
            f"n_per_arm: {max(n_list)} is larger than the pool ({pool_per_arm} per arm); "
            "raise pool_per_arm or use method='fresh'"
        )


def treat_pools(
    study, pools: Pools, arm: str, seed, params, executor, checkpoint, threads, progress
):
    """Each pool's ``arm`` patients followed in ``arm`` (one table per pool)."""
    frames = pools.control if arm == study.scenario.arm_names[0] else pools.treated
    return [
        treat_chunks(study, f, arm, seed, params, executor, checkpoint, threads, progress)
        for f in frames
    ]


def trials_per_pool(n_trials: int, n_pools: int) -> int:
    """Resampled trials in each pool: ``n_trials`` split evenly, rounded up."""
    return max(1, math.ceil(n_trials / n_pools))


def pool_power(
    scenario, plan, ctrl, trt, n_list, n_trials, seed, ci
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power table (one row per analysis and n, interval over pools) and the per-pool powers."""
    death_rule = scenario.analysis.death_rule
    alpha = scenario.analysis.alpha
    per_pool = trials_per_pool(n_trials, len(ctrl))
    rows, reps = [], []
    failed_c = int(sum(failed_mask(c).sum() for c in ctrl))
    failed_t = int(sum(failed_mask(t).sum() for t in trt))
    for item in plan:
        parts = []
        for j, (c, t) in enumerate(zip(ctrl, trt, strict=True)):
            seed_j = np.random.SeedSequence(seed, spawn_key=(j,))
            if isinstance(item, UserAnalysis):
                test = item.test
                pw = pool_power_rows(item, c, t, n_list, per_pool, alpha, seed_j, ci)
                pw["replicate"] = j
                parts.append(pw)
                continue
            test, yc, bc = analysis_inputs(c, item, scenario, death_rule)
            _, yt, bt = analysis_inputs(t, item, scenario, death_rule)
            try:
                pw = power_from_pools(
                    yc,
                    yt,
                    n_list,
                    per_pool,
                    test=test,
                    alpha=alpha,
                    seed=seed_j,
                    baseline_control=bc,
                    baseline_treated=bt,
                    ci=ci,
                )
            except ValueError as exc:
                both = pd.concat([c, t], ignore_index=True)
                arms = list(dict.fromkeys(both["arm"]))
                raise_if_failures_explain(exc, failure_table(both, arms), item.name)
                raise
            pw["replicate"] = j
            parts.append(pw)
        both = pd.concat(parts, ignore_index=True)
        for n, part in both.groupby("n_per_arm", sort=True):
            interval = replicate_interval(part["n_rejected"], part["n_trials"], ci=ci)
            rows.append(
                {
                    "analysis": item.name,
                    "n_per_arm": int(n),
                    **interval,
                    "n_trials": int(part["n_trials"].sum()),
                    "test": test,
                    "alpha": alpha,
                    "n_rejected": int(part["n_rejected"].sum()),
                    "n_pools": len(ctrl),
                    "pool_per_arm": len(ctrl[0]),
                    "solver_failed_control": failed_c,
                    "solver_failed_treated": failed_t,
                }
            )
        reps.append(
            both.assign(analysis=item.name)[["analysis", "n_per_arm", "replicate", "power"]]
        )
    return pd.DataFrame(rows), pd.concat(reps, ignore_index=True)
