"""Patient covariates: validation and conversion to the engine's named covariate columns
(names, units, ranges and defaults from :data:`septrial.spec.covariates.PATIENT_COVARIATES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from septrial.spec.covariates import PATIENT_COVARIATES

#: Covariates the model library reads, with the value used when one is not given.
DEFAULTS: dict[str, Any] = {name: c.default for name, c in PATIENT_COVARIATES.items()}
_SEX = PATIENT_COVARIATES["sex"]


def _male(field: str, values: np.ndarray) -> np.ndarray:
    if values.dtype == bool:
        return values.astype(float)
    bad = sorted({str(v) for v in values if v not in _SEX.levels})
    if bad:
        raise ValueError(
            f"{field}: unknown value(s) {', '.join(bad)}; allowed: {', '.join(_SEX.levels)}"
        )
    return (values == "male").astype(float)


def _continuous(name: str, column: np.ndarray | None, n: int) -> np.ndarray:
    info = PATIENT_COVARIATES[name]
    try:
        col = np.full(n, float(info.default)) if column is None else column.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"covariates.{name}: must be a number") from None
    above = col >= info.lower if info.lower_inclusive else col > info.lower
    bad = ~np.isfinite(col) | ~above | (col > info.upper)
    if bad.any():
        value = float(col[np.argmax(bad)])
        raise ValueError(f"covariates.{name}: must be in {info.range_text()}, got {value!r}")
    return col


def covariate_columns(
    covariates: Mapping[str, Any] | pd.DataFrame | None,
) -> tuple[dict[str, np.ndarray], bool]:
    """(the engine's named covariate columns, is_cohort).

    A mapping is one patient and must use known names only. A DataFrame is a cohort: known
    columns are used, other columns (conditions, identifiers) are ignored.
    """
    if covariates is None:
        covariates = {}
    known = (*PATIENT_COVARIATES, "male")
    if isinstance(covariates, pd.DataFrame):
        if len(covariates) == 0:
            raise ValueError("covariates: the cohort table is empty")
        columns = {k: covariates[k].to_numpy() for k in known if k in covariates}
        n, cohort = len(covariates), True
    elif isinstance(covariates, Mapping):
        unknown = sorted(set(covariates) - set(known))
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
    out = {
        name: _continuous(name, columns.get(name), n)
        for name, c in PATIENT_COVARIATES.items()
        if c.kind == "continuous"
    }
    if "sex" in columns:
        out["male"] = _male("covariates.sex", columns["sex"])
    elif "male" in columns:
        out["male"] = columns["male"].astype(float)
    else:
        out["male"] = np.full(n, float(DEFAULTS["sex"] == "male"))
    opioids = columns.get("opioids")
    out["opioids"] = (
        np.full(n, float(DEFAULTS["opioids"]))
        if opioids is None
        else (opioids.astype(bool).astype(float))
    )
    return out, cohort
