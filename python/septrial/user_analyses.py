"""Analyses written in Python (``Scenario.with_analysis``): the user's function applied to a
trial's per-patient table, in ``run_trial`` and in both power methods.

In a power curve a user analysis sees exactly the trials a built-in analysis sees: the fresh
method's simulated trials (first ``n`` patients of each arm), or the pool method's resampled
trials (the same nested indices as :func:`septrial.stats.power_from_pools`), so a user function
that reimplements a built-in test gives the built-in's power.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from septrial.stats.pool_power import nested_sample_indices, power_row
from septrial.user_functions import UserAnalysis, call_user, function_label

__all__ = ["pool_power_rows", "run_user_analysis", "trial_p_values"]


def _number(where: str, key: str, value) -> float:
    if isinstance(value, np.ndarray | pd.Series) and np.size(value) == 1:
        value = np.asarray(value).ravel()[0]
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{where}: {key} must be a number, got {type(value).__name__}")
    return float(value)


def run_user_analysis(analysis: UserAnalysis, table: pd.DataFrame) -> dict[str, float]:
    """``estimate``, ``ci_low``, ``ci_high`` and ``p_value`` (NaN when not given) of the user's
    analysis of ``table``; a clear ``ValueError`` naming the function for a bad return."""
    where = f"analysis {analysis.name!r} (function {function_label(analysis.fn)})"
    got = call_user(where, analysis.fn, table.copy())
    out = dict.fromkeys(("estimate", "ci_low", "ci_high", "p_value"), math.nan)
    if isinstance(got, Mapping):
        if "p_value" not in got:
            raise ValueError(f"{where}: a returned dict needs 'p_value', got keys {list(got)}")
        unknown = set(got) - set(out)
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {list(out)}")
        for key, value in got.items():
            out[key] = _number(where, key, value)
    elif isinstance(got, tuple):
        if len(got) != 2:
            raise ValueError(f"{where}: a returned tuple is (estimate, p_value), got {got!r}")
        out["estimate"] = _number(where, "estimate", got[0])
        out["p_value"] = _number(where, "p_value", got[1])
    else:
        out["p_value"] = _number(where, "p_value", got)
    p = out["p_value"]
    if not (math.isnan(p) or 0.0 <= p <= 1.0):
        raise ValueError(f"{where}: p_value must be in [0, 1] (NaN: not analysable), got {p}")
    return out


def trial_p_values(
    analysis: UserAnalysis, trials: Sequence[tuple[pd.DataFrame, pd.DataFrame]], n_c, n_t
) -> np.ndarray:
    """P-value of each (control, treated) trial at its first ``n_c`` / ``n_t`` patients."""
    p = []
    for c, t in trials:
        table = pd.concat([c.iloc[:n_c], t.iloc[:n_t]], ignore_index=True)
        p.append(run_user_analysis(analysis, table)["p_value"])
    return np.array(p)


def pool_power_rows(
    analysis: UserAnalysis,
    control: pd.DataFrame,
    treated: pd.DataFrame,
    n_list: Sequence[int],
    n_trials: int,
    alpha: float,
    seed: np.random.SeedSequence,
    ci: str,
) -> pd.DataFrame:
    """Power of the user's analysis on trials resampled from one pool, with the same nested
    indices and columns as :func:`septrial.stats.power_from_pools`."""
    n_max = max(n_list)
    for arm, pool in (("control", control), ("treated", treated)):
        if n_max > len(pool):
            raise ValueError(
                f"n_per_arm={n_max} exceeds the {arm} pool size ({len(pool)}); sampling is "
                "without replacement, so give a larger pool or a smaller n_per_arm"
            )
    idx_c, idx_t = nested_sample_indices(len(control), len(treated), n_max, n_trials, seed)
    rows = []
    for n in n_list:
        p = np.array(
            [
                run_user_analysis(
                    analysis,
                    pd.concat(
                        [control.iloc[idx_c[k, :n]], treated.iloc[idx_t[k, :n]]],
                        ignore_index=True,
                    ),
                )["p_value"]
                for k in range(n_trials)
            ]
        )
        rows.append(power_row(n, p, analysis.test, alpha, ci))
    return pd.DataFrame(rows)
