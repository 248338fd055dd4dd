"""``septrial.trajectories``: the per-patient time courses behind a trial's endpoints.

``run_trial`` keeps endpoints only (a large trial never holds trajectories). This re-simulates
the randomised patients of a :class:`~septrial.trial.TrialResult` (same seed, trial index and
parameters: the same patients, arms and parameter draws) and returns their observables on a grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from septrial.arguments import MAX_THREADS, optional_whole
from septrial.chunks import enrol_any
from septrial.outcomes import treat
from septrial.trial import TRIAL_STRIDE, TrialResult
from septrial.user_endpoints import trajectory_table

__all__ = ["trajectories"]


def _grid(times_h) -> np.ndarray:
    try:
        grid = np.asarray(times_h, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"times_h: must be a list of hours, got {times_h!r}") from None
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("times_h: must be finite hours >= 0 after randomisation, at least one")
    if np.any(np.diff(grid) <= 0):
        raise ValueError("times_h: must be strictly increasing")
    return grid


def trajectories(
    result: TrialResult,
    times_h: Sequence[float] | np.ndarray,
    *,
    patients: Sequence[int] | None = None,
    observables: Sequence[str] | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Observables of a trial's randomised patients on ``times_h`` (hours after randomisation).

    Returns a long table, one row per patient and time: ``patient``, ``arm``, ``withdrawn``,
    ``solver_ok``, ``death_rel_h`` (hours from randomisation to death, inf: survived the
    follow-up), ``time_h`` and one column per observable (``il6_pg_ml``, ``hla_dr_abc``,
    ``esketamine_ng_ml``, ...; ``observables`` keeps some). ``patients`` (values of the
    ``patient`` column of ``result.patients``) keeps some patients. Deterministic: the patients
    are re-enrolled and followed with the trial's seed, trial index and parameters, so the
    trajectories are those behind the endpoints in ``result.patients``. Observables after death
    are NaN (as the engine's endpoints are missing then); a withdrawn patient's course is
    simulated as if followed (withdrawal only removes the endpoints).

    >>> tr = septrial.run_trial("nct04843982", n_per_arm=20, seed=1)
    >>> traj = septrial.trajectories(tr, times_h=range(0, 73, 2))
    >>> traj.groupby(["arm", "time_h"]).il6_pg_ml.median().unstack(0).plot()
    """
    if not isinstance(result, TrialResult):
        raise ValueError(
            f"result: expected a TrialResult from septrial.run_trial, got {type(result).__name__}"
        )
    grid = _grid(times_h)
    threads = optional_whole("threads", threads, 1, MAX_THREADS)
    table = result.patients
    if patients is not None:
        wanted = [int(p) for p in np.atleast_1d(patients)]
        unknown = sorted(set(wanted) - set(table["patient"].tolist()))
        if unknown:
            raise ValueError(f"patients: {unknown[:5]} were not randomised in this trial")
        table = table[table["patient"].isin(wanted)]
    study = result.study
    names = study.engine.observables
    keep = list(names) if observables is None else list(observables)
    for name in keep:
        if name not in names:
            raise ValueError(f"observables: unknown {name!r}; allowed: {', '.join(names)}")
    n_enrolled = int(result.patients["order"].max()) + 1
    frame = enrol_any(study, n_enrolled, result.seed, result.trial * TRIAL_STRIDE, None, threads)
    parts = []
    for arm in result.scenario.arm_names:
        rows = table.loc[table["arm"] == arm, "order"].to_numpy()
        if not len(rows):
            continue
        out = treat(
            study,
            frame.subset(rows),
            arm,
            result.seed,
            threads=threads,
            overrides=result.params,
            grid_h=grid,
        )
        meta = out[["patient", "arm", "withdrawn", "solver_ok", "death_rel_h"]]
        long = trajectory_table(out.attrs["trajectories"], list(names), grid, meta)
        parts.append(long[[*meta.columns, "time_h", *keep]])
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["patient", "time_h"], kind="stable").reset_index(drop=True)
