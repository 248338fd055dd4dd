"""Confidence intervals for proportions (power estimates, event rates).

Thin wrapper over :func:`statsmodels.stats.proportion.proportion_confint` with input checks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from statsmodels.stats.proportion import proportion_confint

# user-facing name -> statsmodels method name
BINOMIAL_CI_METHODS = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
}


def binomial_ci(
    successes: ArrayLike,
    n: ArrayLike,
    method: str = "wilson",
    level: float = 0.95,
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Two-sided confidence interval for a binomial proportion ``successes / n``.

    Parameters
    ----------
    successes : int or array of int
        Number of successes, ``0 <= successes <= n``.
    n : int or array of int
        Number of trials, ``n >= 1``.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method; "clopper-pearson" is the exact (conservative) interval.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (low, high)
        Floats for scalar input, arrays otherwise.

    Raises
    ------
    ValueError
        Unknown ``method`` (the message lists the allowed ones), ``level`` outside (0, 1),
        ``n < 1`` or ``successes`` outside ``[0, n]``.
    """
    if method not in BINOMIAL_CI_METHODS:
        raise ValueError(
            f"method={method!r} is not a binomial CI method; allowed: {sorted(BINOMIAL_CI_METHODS)}"
        )
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={level!r} must lie in the open interval (0, 1)")
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(m)) or np.any(m < 1):
        raise ValueError(f"n={n!r} must be >= 1 (number of trials)")
    if np.any(~np.isfinite(k)) or np.any(k < 0) or np.any(k > m):
        raise ValueError(f"successes={successes!r} must lie in [0, n] with n={n!r}")
    low, high = proportion_confint(k, m, alpha=1.0 - level, method=BINOMIAL_CI_METHODS[method])
    if np.ndim(low) == 0:
        return float(low), float(high)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)
