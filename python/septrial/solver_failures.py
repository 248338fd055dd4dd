"""Solver failures reported as such: per arm, how many patients' ODE solves failed and why,
so that missing outcomes are never blamed on the data."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

__all__ = ["failure_table", "failed_mask", "most_common_reason", "raise_if_failures_explain"]


def failed_mask(table: pd.DataFrame) -> np.ndarray:
    """True where the patient's follow-up solve failed (``solver_ok`` False)."""
    if "solver_ok" not in table:
        return np.zeros(len(table), dtype=bool)
    return ~table["solver_ok"].to_numpy(dtype=bool)


def most_common_reason(reasons) -> str:
    """The most frequent non-empty reason with its count, e.g. "'max_steps (300) exceeded'
    (12x)" (the time of failure, which differs per patient, left out)."""
    counts = Counter(str(r).split(" at t=")[0] for r in reasons if r)
    if not counts:
        return ""
    reason, k = counts.most_common(1)[0]
    return f"{reason!r} ({k}x)"


def failure_table(table: pd.DataFrame, arms) -> pd.DataFrame:
    """One row per arm: patients, solver failures, and the most common reason."""
    rows = []
    for arm in arms:
        part = table[table["arm"] == arm]
        failed = failed_mask(part)
        reasons = part.loc[failed, "solver_reason"] if "solver_reason" in part else []
        rows.append(
            {
                "arm": arm,
                "n_patients": len(part),
                "n_solver_failed": int(failed.sum()),
                "reason": most_common_reason(reasons),
            }
        )
    return pd.DataFrame(rows)


def raise_if_failures_explain(exc: ValueError, failures: pd.DataFrame, analysis: str) -> None:
    """Re-raise an analysis that could not run as the solver failures that emptied it."""
    bad = failures[failures["n_solver_failed"] > 0]
    if bad.empty:
        return
    parts = "; ".join(
        f"arm {r.arm!r}: {r.n_solver_failed} of {r.n_patients} failed, {r.reason}"
        for r in bad.itertuples()
    )
    raise ValueError(
        f"solver: analysis {analysis!r} cannot run because patients' ODE solves failed ({parts}); "
        "raise solver.max_steps (allowed 1-1e9), loosen solver.rtol / solver.atol (allowed "
        f"(0, 0.1] and (0, 1]) or change solver.method. Analysis said: {exc}"
    ) from None
