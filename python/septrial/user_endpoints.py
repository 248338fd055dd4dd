"""Endpoints written in Python (``Scenario.with_endpoint``): each patient's trajectory of the
model's observables, on the endpoint's time grid, reduced to one number by the user's function
after the engine has integrated it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from septrial.user_functions import UserEndpoint, call_user, function_label

__all__ = ["endpoint_grid", "endpoint_values", "trajectory_table"]


def endpoint_grid(endpoints: Sequence[UserEndpoint]) -> np.ndarray:
    """Every user endpoint's times (hours after randomisation), sorted and unique."""
    return np.unique(np.concatenate([np.asarray(e.times_h, dtype=float) for e in endpoints]))


def _value(endpoint: UserEndpoint, frame: pd.DataFrame, patient: int) -> float:
    where = f"endpoint {endpoint.name!r} (function {function_label(endpoint.fn)})"
    got = call_user(where, endpoint.fn, frame)
    if isinstance(got, np.ndarray | pd.Series) and np.size(got) == 1:
        got = np.asarray(got).ravel()[0]
    if isinstance(got, bool | np.bool_) or not isinstance(got, int | float | np.number):
        raise ValueError(
            f"{where}: must return a number (NaN for missing), got {type(got).__name__} "
            f"for patient {patient}"
        )
    value = float(got)
    if math.isinf(value):
        raise ValueError(f"{where}: returned {value} for patient {patient}; use NaN for missing")
    return value


def endpoint_values(
    endpoints: Sequence[UserEndpoint],
    trajectories: np.ndarray,
    observables: Sequence[str],
    grid_h: np.ndarray,
    patients: np.ndarray,
    skip: np.ndarray,
    death_h: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each endpoint's value per patient (``trajectories``: patients x grid x observables on
    ``grid_h``); NaN where ``skip`` (withdrawn, failed solve) without calling the function.
    Observables after the patient's death (``death_h`` after randomisation) are NaN, as the
    engine's endpoints are missing after death."""
    out = {}
    for e in endpoints:
        times = np.asarray(e.times_h, dtype=float)
        cols = np.searchsorted(grid_h, times)
        values = np.full(len(patients), np.nan)
        for i in np.flatnonzero(~skip):
            block = trajectories[i, cols, :].copy()
            block[times > death_h[i], :] = np.nan
            frame = pd.DataFrame(block, columns=list(observables))
            frame.insert(0, "time_h", times)
            values[i] = _value(e, frame, int(patients[i]))
        out[e.name] = values
    return out


def trajectory_table(
    trajectories: np.ndarray, observables: Sequence[str], grid_h: np.ndarray, meta: pd.DataFrame
) -> pd.DataFrame:
    """Long table: one row per patient and time, the columns of ``meta`` (one row per patient)
    first, then ``time_h`` and the observables; observables after ``meta["death_rel_h"]`` are
    NaN."""
    n, g = trajectories.shape[0], len(grid_h)
    table = meta.loc[meta.index.repeat(g)].reset_index(drop=True)
    table["time_h"] = np.tile(np.asarray(grid_h, dtype=float), n)
    values = pd.DataFrame(trajectories.reshape(n * g, -1), columns=list(observables))
    values[(table["time_h"] > table["death_rel_h"]).to_numpy()] = np.nan
    return pd.concat([table, values], axis=1)
