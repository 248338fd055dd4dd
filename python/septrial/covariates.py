"""Patient covariates: validation and conversion to the engine's covariate table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Covariates the model library reads, with the value used when one is not given.
DEFAULTS: dict[str, Any] = {
    "weight_kg": 70.0,
    "height_cm": 170.0,
    "age_y": 50.0,
    "sex": "male",
    "opioids": True,
}
#: Physical ranges checked before anything reaches the engine.
RANGES = {"weight_kg": (0.0, 400.0), "height_cm": (30.0, 260.0), "age_y": (0.0, 120.0)}
SEXES = ("male", "female")


def _sex_to_male(field: str, values: Any) -> np.ndarray:
    s = pd.Series(values)
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    bad = sorted({str(v) for v in s if v not in SEXES})
    if bad:
        raise ValueError(f"{field}: unknown value(s) {', '.join(bad)}; allowed: male, female")
    return (s == "male").to_numpy(dtype=float)


def covariate_table(covariates: Mapping[str, Any] | pd.DataFrame | None) -> tuple[np.ndarray, bool]:
    """Returns (n x 5 array in engine order, is_cohort).

    A mapping is one patient and must use known names only. A DataFrame is a cohort: known columns
    are used, other columns (conditions, identifiers) are ignored.
    """
    if covariates is None:
        covariates = {}
    if isinstance(covariates, pd.DataFrame):
        frame, cohort = covariates, True
        if len(frame) == 0:
            raise ValueError("covariates: the cohort table is empty")
    elif isinstance(covariates, Mapping):
        unknown = sorted(set(covariates) - set(DEFAULTS) - {"male"})
        if unknown:
            raise ValueError(
                f"covariates.{unknown[0]}: unknown covariate; allowed: {', '.join(DEFAULTS)}"
            )
        frame, cohort = pd.DataFrame([dict(covariates)], index=[0]), False
    else:
        raise ValueError(
            f"covariates: expected a dict or a pandas DataFrame, got {type(covariates).__name__}"
        )
    n = len(frame)
    out = np.empty((n, 5))
    for j, name in enumerate(("weight_kg", "height_cm", "age_y")):
        col = frame[name].to_numpy(dtype=float) if name in frame else np.full(n, DEFAULTS[name])
        lo, hi = RANGES[name]
        bad = ~np.isfinite(col) | (col <= lo) | (col > hi)
        if name == "age_y":
            bad = ~np.isfinite(col) | (col < lo) | (col > hi)
        if bad.any():
            value = col[np.argmax(bad)]
            raise ValueError(
                f"covariates.{name}: must be in ({lo:g}, {hi:g}], got {float(value)!r}"
            )
        out[:, j] = col
    if "sex" in frame:
        out[:, 3] = _sex_to_male("covariates.sex", frame["sex"])
    elif "male" in frame:
        out[:, 3] = frame["male"].to_numpy(dtype=float)
    else:
        out[:, 3] = 1.0 if DEFAULTS["sex"] == "male" else 0.0
    opioids = frame["opioids"] if "opioids" in frame else pd.Series([DEFAULTS["opioids"]] * n)
    out[:, 4] = opioids.astype(bool).to_numpy(dtype=float)
    return out, cohort
