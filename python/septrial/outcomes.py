"""Per-patient outcomes: each enrolled patient followed in one arm, reduced to endpoints by the
engine; withdrawals applied from the patient's own random stream."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from septrial.cohort.frame import Frame
from septrial.progress import progress_callback
from septrial.study import as_study
from septrial.user_endpoints import endpoint_grid, endpoint_values

_WITHDRAWAL_STREAM = 0x5717_4D72


def patient_uniform(seed: int, indices: np.ndarray, stream: int) -> np.ndarray:
    """A uniform in [0, 1) per patient from (seed, index, stream) only (splitmix64 hashing), so
    Python-side draws are as reproducible across chunks and executors as the engine's."""
    with np.errstate(over="ignore"):
        x = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)) ^ (
            indices.astype(np.uint64) + np.uint64(stream) * np.uint64(0xBF58476D1CE4E5B9)
        )
        for _ in range(2):
            x = x + np.uint64(0x9E3779B97F4A7C15)
            z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = z ^ (z >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def treat(
    study,
    frame: Frame,
    arm: str,
    seed: int,
    *,
    threads: int | None = None,
    overrides: Mapping[str, float | np.ndarray] | None = None,
    grid_h=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Endpoints of every patient of ``frame`` followed in ``arm`` of a :class:`septrial.Study`.

    ``overrides`` set model parameters for the treatment phase (bare or qualified names; scalars
    or one value per patient), e.g. ``{"IC50": 300, "I_max": 0.4}``; the arm's own ``params``
    apply first. Withdrawn patients (scenario ``withdrawal_rate``) have every endpoint missing.
    """
    study = as_study(study)
    sc = study.scenario
    if arm not in sc.arm_names:
        raise ValueError(f"arm: unknown arm {arm!r}; allowed: {', '.join(sc.arm_names)}")
    engine = study.engine
    n = len(frame)
    merged = study.treatment_params(arm, overrides)
    names = list(merged)
    matrix = np.empty((n, len(names)))
    for j, name in enumerate(names):
        matrix[:, j] = np.broadcast_to(np.asarray(merged[name], dtype=float), (n,))
    inputs = frame.engine_inputs(np.arange(n), study.opioids)
    arm_index = list(engine.arm_names).index(arm)

    def run(grid, callback=None):
        return engine.treat(
            **inputs,
            arm=arm_index,
            override_names=names,
            overrides=matrix,
            grid_h=grid,
            seed=int(seed),
            threads=int(threads or os.cpu_count() or 1),
            progress=callback,
        )

    grid = np.zeros(0) if grid_h is None else np.asarray(grid_h, dtype=float)
    with progress_callback(progress, n, f"treat {arm}") as callback:
        values, traj, status = run(grid, callback)
    out = pd.DataFrame(values, columns=list(engine.treat_columns))
    out.insert(0, "arm", arm)
    out.insert(0, "patient", frame.table["patient"].to_numpy())
    out["solver_ok"] = np.asarray(status["ok"], dtype=bool)
    out["solver_reason"] = np.asarray(status["reasons"], dtype=object)[np.asarray(status["reason"])]
    withdrawn = patient_uniform(seed, out["patient"].to_numpy(), _WITHDRAWAL_STREAM) < float(
        sc.withdrawal_rate
    )
    out["withdrawn"] = withdrawn
    for sampler in sc.extensions.samplers:  # Python covariates travel with the patient
        out[sampler.name] = frame.table[sampler.name].to_numpy()
    endpoint_cols = [c for c in engine.treat_columns if c not in ("t_rand_h", "followed_h")]
    out.loc[withdrawn | ~out["solver_ok"], endpoint_cols] = np.nan
    user = sc.extensions.endpoints
    if user:  # a separate solve on the user grid: the engine's endpoints stay as they are
        grid_u = endpoint_grid(user)
        _, traj_u, status_u = run(grid_u)
        skip = withdrawn | ~out["solver_ok"].to_numpy() | ~np.asarray(status_u["ok"], dtype=bool)
        patients = out["patient"].to_numpy()
        for name, v in endpoint_values(
            user,
            traj_u,
            list(engine.observables),
            grid_u,
            patients,
            skip,
            out["death_rel_h"].to_numpy(dtype=float),
        ).items():
            out[name] = v
    if grid_h is not None:
        out.attrs["trajectories"] = traj
        out.attrs["observables"] = list(engine.observables)
    return out
