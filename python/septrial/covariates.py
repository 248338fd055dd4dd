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


def _sex_to_male(field: str, values: np.ndarray) -> np.ndarray:
    if values.dtype == bool:
        return values.astype(float)
    bad = sorted({str(v) for v in values if v not in SEXES})
    if bad:
        raise ValueError(f"{field}: unknown value(s) {', '.join(bad)}; allowed: male, female")
    return (values == "male").astype(float)


def covariate_table(covariates: Mapping[str, Any] | pd.DataFrame | None) -> tuple[np.ndarray, bool]:
    """Returns (n x 5 array in engine order, is_cohort).

    A mapping is one patient and must use known names only. A DataFrame is a cohort: known columns
    are used, other columns (conditions, identifiers) are ignored.
    """
    if covariates is None:
        covariates = {}
    if isinstance(covariates, pd.DataFrame):
        if len(covariates) == 0:
            raise ValueError("covariates: the cohort table is empty")
        columns = {k: covariates[k].to_numpy() for k in (*DEFAULTS, "male") if k in covariates}
        n, cohort = len(covariates), True
    elif isinstance(covariates, Mapping):
        unknown = sorted(set(covariates) - set(DEFAULTS) - {"male"})
        if unknown:
            raise ValueError(
                f"covariates.{unknown[0]}: unknown covariate; allowed: {', '.join(DEFAULTS)}"
            )
        columns = {k: np.asarray([v]) for k, v in covariates.items()}
        n, cohort = 1, False
    else:
        raise ValueError(
            f"covariates: expected a dict or a pandas DataFrame, got {type(covariates).__name__}"
        )
    out = np.empty((n, 5))
    for j, name in enumerate(("weight_kg", "height_cm", "age_y")):
        try:
            col = columns[name].astype(float) if name in columns else np.full(n, DEFAULTS[name])
        except (TypeError, ValueError):
            raise ValueError(f"covariates.{name}: must be a number") from None
        lo, hi = RANGES[name]
        low_ok = col >= lo if name == "age_y" else col > lo
        bad = ~np.isfinite(col) | ~low_ok | (col > hi)
        if bad.any():
            value = col[np.argmax(bad)]
            bracket = "[" if name == "age_y" else "("
            raise ValueError(
                f"covariates.{name}: must be in {bracket}{lo:g}, {hi:g}], got {float(value)!r}"
            )
        out[:, j] = col
    if "sex" in columns:
        out[:, 3] = _sex_to_male("covariates.sex", columns["sex"])
    elif "male" in columns:
        out[:, 3] = columns["male"].astype(float)
    else:
        out[:, 3] = 1.0 if DEFAULTS["sex"] == "male" else 0.0
    out[:, 4] = columns["opioids"].astype(bool) if "opioids" in columns else DEFAULTS["opioids"]
    return out, cohort
