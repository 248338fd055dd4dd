"""The fresh method: every trial simulated anew (enrolment, nested block randomisation,
follow-up, analysis), and the run-time estimate that ``method="auto"`` uses.

Common random numbers across sample sizes: trial ``k`` enrols from its own admission stream and
randomises in arrival order by full permuted blocks from its own random stream until every arm
has the largest size asked for; the trial at size ``n`` is the first ``n`` patients of each arm
(:func:`septrial.randomisation.nested_allocation`). So the trial at ``n`` does not depend on the
other sizes requested, for any allocation ratio and block size.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pandas as pd

from septrial.analysis import analysis_inputs
from septrial.enrolment import enrol
from septrial.executor import Task, run_tasks
from septrial.outcomes import treat
from septrial.solver_failures import failed_mask
from septrial.stats import OUTCOME_KIND, analyse_arms, binomial_ci
from septrial.stats.pool_power import p_values_of_rows
from septrial.trial import TRIAL_STRIDE, arm_sizes, trial_arms
from septrial.user_analyses import trial_p_values
from septrial.user_functions import UserAnalysis


def fresh_trials(
    study, plan, first_trial: int, n_trials: int, n_list, seed, cells, threads, prior=None
) -> np.ndarray:
    """Rejections (trials x cells x analyses x n, 0/1) of trials first_trial .. + n_trials - 1,
    followed by two more "analyses": the control and treated patients (of the first n) whose
    follow-up solve failed; ``cells`` are parameter overrides (assumptions) applied to the same
    patients. With ``prior`` (a :class:`~septrial.stats.priors.PriorSampler`) each trial adds
    its own draw of the drug-effect parameters to the overrides (Monte Carlo assurance)."""
    scenario = study.scenario
    n_c, n_t = arm_sizes(scenario, max(n_list))
    names = scenario.arm_names[:2]
    # tables[c][k] = (control, treated) per-patient outcomes of trial k under cell c
    tables: list[list[tuple[pd.DataFrame, pd.DataFrame]]] = [[] for _ in cells]
    for k in range(n_trials):
        trial = first_trial + k
        rows_of = trial_arms(scenario, n_c, n_t, seed, trial)
        n_enrolled = int(max(r.max() for r in rows_of)) + 1
        frame = enrol(
            study, n_enrolled, seed, first_index=trial * TRIAL_STRIDE, threads=threads
        ).frame
        drawn = prior.draw(seed, trial) if prior is not None else {}
        for c, params in enumerate(cells):
            params = {**params, **drawn}
            control, treated = (
                treat(study, frame.subset(rows), name, seed, threads=threads, overrides=params)
                for rows, name in zip(rows_of, names, strict=True)
            )
            tables[c].append((control, treated))
    out = np.zeros((n_trials, len(cells), len(plan) + 2, len(n_list)), dtype=np.int64)
    for c in range(len(cells)):
        for j, n in enumerate(n_list):
            nt = arm_sizes(scenario, n)[1]
            for k, (control, treated) in enumerate(tables[c]):
                out[k, c, len(plan), j] = failed_mask(control.iloc[:n]).sum()
                out[k, c, len(plan) + 1, j] = failed_mask(treated.iloc[:nt]).sum()
            for i, item in enumerate(plan):
                p = _p_values(scenario, item, tables[c], n, nt)
                out[:, c, i, j] = p < scenario.analysis.alpha  # NaN (not analysable): 0
    return out


def _p_values(scenario, item, trials, n_c: int, n_t: int) -> np.ndarray:
    """P-values of one plan item in every trial at n_c / n_t patients per arm: the trials'
    outcome matrices go through the vectorised paths of the pool method at once (a user
    analysis gets each trial's table)."""
    if isinstance(item, UserAnalysis):
        return trial_p_values(item, trials, n_c, n_t)
    death_rule = scenario.analysis.death_rule
    inputs = [
        (
            analysis_inputs(control.iloc[:n_c], item, scenario, death_rule),
            analysis_inputs(treated.iloc[:n_t], item, scenario, death_rule),
        )
        for control, treated in trials
    ]
    test = inputs[0][0][0]
    if OUTCOME_KIND[test] == "survival":  # event times dropped per trial: one at a time
        p = np.full(len(trials), np.nan)
        for k, ((_, yc, bc), (_, yt, bt)) in enumerate(inputs):
            try:
                p[k] = analyse_arms(test, yc, yt, baseline_control=bc, baseline_treated=bt).p_value
            except ValueError:
                pass  # not analysable (e.g. no events): not significant
        return p

    def stack(arm: int, part: int) -> np.ndarray | None:
        if inputs[0][arm][part] is None:
            return None
        return np.vstack([np.asarray(x[arm][part], dtype=float) for x in inputs])

    return p_values_of_rows(test, stack(0, 1), stack(1, 1), stack(0, 2), stack(1, 2))


def run_fresh(
    study, plan, n_list, n_trials, seed, cells, executor, checkpoint, threads, progress, prior=None
) -> np.ndarray:
    """:func:`fresh_trials` for trials 0 .. n_trials - 1 in chunks on ``executor``.

    Locally, ``threads`` chunks run at once with one engine thread each: a chunk's enrolment,
    follow-up and analysis alternate between Python (GIL) and the engine (no GIL), so concurrent
    chunks keep the cores busy where one chunk with a threaded engine leaves them idle during
    its Python steps. Chunks are small (a few seconds) so that Ctrl-C stops soon."""
    local = executor is None
    workers = (threads or os.cpu_count() or 1) if local else 1
    chunk_threads = 1 if local and workers > 1 else threads
    per_task = max(1, n_trials // (16 * workers))
    per_trial = sum(arm_sizes(study.scenario, max(n_list))) * len(cells)
    tasks = []
    for k in range(0, n_trials, per_task):
        n = min(per_task, n_trials - k)
        key = {
            "stage": "fresh-nested-failures",
            "scenario": study.scenario.canonical_json(),
            "seed": seed,
            "first_trial": k,
            "n": n,
            "n_list": n_list,
            "cells": cells,
            "plan": [p.name for p in plan],
        }
        if prior is not None:
            key["prior"] = prior.key
        args = (study, plan, k, n, n_list, seed, cells, chunk_threads, prior)
        tasks.append(Task(fresh_trials, args, key, patients=n * per_trial))
    desc = f"trials ({len(cells)} assumption cells each)" if len(cells) > 1 else "trials"
    desc = "trials (one prior draw each)" if prior is not None else desc
    return np.concatenate(
        run_tasks(tasks, executor, checkpoint, progress, desc, local_workers=workers)
    )


def fresh_table(scenario, plan, n_list, rejections: np.ndarray, ci: str) -> pd.DataFrame:
    """Power rows (analysis x n) of one cell's rejections (trials x analyses x n), with the
    solver failures summed over the trials (the two rows after the analyses)."""
    n_trials = rejections.shape[0]
    failed = rejections[:, len(plan) :, :].sum(axis=0)
    rows = []
    for i, item in enumerate(plan):
        for j, n in enumerate(n_list):
            k = int(rejections[:, i, j].sum())
            lo, hi = binomial_ci(k, n_trials, method=ci)
            p = k / n_trials
            rows.append(
                {
                    "analysis": item.name,
                    "n_per_arm": n,
                    "power": p,
                    "power_se": float(np.sqrt(p * (1 - p) / n_trials)),
                    "power_ci_low": float(lo),
                    "power_ci_high": float(hi),
                    "ci_method": ci,
                    "n_trials": n_trials,
                    "test": item.test,
                    "alpha": scenario.analysis.alpha,
                    "n_rejected": k,
                    "solver_failed_control": int(failed[0, j]),
                    "solver_failed_treated": int(failed[1, j]),
                }
            )
    return pd.DataFrame(rows)


def fresh_replicates(plan, n_list, rejections: np.ndarray) -> pd.DataFrame:
    """Each trial's rejection (0/1) as a replicate (analysis, n, replicate, power)."""
    rejections = rejections[:, : len(plan), :]
    t, a, n = np.meshgrid(
        np.arange(rejections.shape[0]), np.arange(len(plan)), np.arange(len(n_list)), indexing="ij"
    )
    return pd.DataFrame(
        {
            "analysis": np.array([p.name for p in plan])[a.ravel()],
            "n_per_arm": np.asarray(n_list)[n.ravel()],
            "replicate": t.ravel(),
            "power": rejections.ravel().astype(float),
        }
    )


# ---------------------------------------------------------------- run-time estimate

#: Pilot trial index (far from the trials of any run; its results are thrown away).
PILOT_TRIAL = 2**25
_PILOT: dict[tuple, tuple[float, float]] = {}


def pilot_costs(study, plan, seed: int, threads) -> tuple[float, float]:
    """Measured seconds per simulated patient (enrolment + follow-up) and per analysis, from a
    short pilot trial of 8 patients per arm (cached per scenario and thread count)."""
    key = (study.scenario.canonical_json(), threads, tuple(p.name for p in plan))
    if key not in _PILOT:
        m = 8
        t0 = time.perf_counter()
        frame = enrol(study, 2 * m, seed, first_index=PILOT_TRIAL * TRIAL_STRIDE, threads=threads)
        tables = [
            treat(study, frame.frame.subset(np.arange(a, 2 * m, 2)), name, seed, threads=threads)
            for a, name in enumerate(study.scenario.arm_names[:2])
        ]
        t1 = time.perf_counter()
        sc = study.scenario
        for item in plan:
            if isinstance(item, UserAnalysis):
                trial_p_values(item, [(tables[0], tables[1])], m, m)
                continue
            tc, yc, bc = analysis_inputs(tables[0], item, sc, sc.analysis.death_rule)
            _, yt, bt = analysis_inputs(tables[1], item, sc, sc.analysis.death_rule)
            try:
                analyse_arms(tc, yc, yt, baseline_control=bc, baseline_treated=bt)
            except ValueError:
                pass
        t2 = time.perf_counter()
        _PILOT[key] = ((t1 - t0) / (2 * m), (t2 - t1) / max(len(plan), 1))
    return _PILOT[key]


def workers(executor: Any) -> int:
    """Chunks that run at once: 1 here, the worker threads of a Dask client."""
    if executor is None:
        return 1
    return max(1, sum(executor.nthreads().values()))


def fresh_seconds(study, plan, n_list, n_trials, n_cells, seed, threads, executor) -> float:
    """Estimated wall time of the fresh method for this request."""
    per_patient, per_analysis = pilot_costs(study, plan, seed, threads)
    patients = sum(arm_sizes(study.scenario, max(n_list)))
    per_trial = n_cells * (per_patient * patients + per_analysis * len(plan) * len(n_list))
    return n_trials * per_trial / workers(executor)


def choose_method(
    method: str, study, plan, n_list, n_trials, n_cells, seed, threads, executor
) -> tuple[str, float | None]:
    """The method to run ('auto' resolved: 'fresh' if its estimated time fits the scenario's
    ``power.interactive_budget_s``, else 'pool') and the estimate (None if not needed)."""
    if method != "auto":
        return method, None
    est = fresh_seconds(study, plan, n_list, n_trials, n_cells, seed, threads, executor)
    return ("fresh" if est <= study.scenario.power.interactive_budget_s else "pool"), est
