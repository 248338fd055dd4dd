"""Power and its interval from independent replicates (independent pools, or single trials).

The pool method's trials are resampled from a finite pool, so they share the pool's draw: the
binomial interval of one pool covers the resampling but not the pool. Simulating several
independent pools and treating each pool's power as one observation gives an interval that
includes both: the between-pool spread contains the within-pool resampling noise *and* the
pool-to-pool variation. The interval is Student's t on the pool means (scipy), never narrower
than the binomial interval of all trials together (which is what remains when every pool gives
the same power, e.g. power 1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from septrial.stats.binomial import binomial_ci


def replicate_interval(
    rejected: ArrayLike, trials: ArrayLike, level: float = 0.95, ci: str = "wilson"
) -> dict[str, float | int | str]:
    """Power over independent replicates (``rejected[k]`` of ``trials[k]`` in replicate ``k``).

    Returns ``power`` (all rejections over all trials), ``power_se``, ``power_ci_low``,
    ``power_ci_high`` and ``ci_method``. With one replicate only the binomial interval is
    possible, and ``ci_method`` says so.
    """
    r = np.asarray(rejected, dtype=float)
    n = np.asarray(trials, dtype=float)
    if r.shape != n.shape or r.ndim != 1 or r.size == 0 or np.any(n < 1):
        raise ValueError("rejected, trials: one count pair per replicate, trials >= 1")
    total = float(n.sum())
    power = float(r.sum() / total)
    low, high = binomial_ci(int(r.sum()), int(total), method=ci, level=level)
    k = r.size
    if k < 2:
        se = float(np.sqrt(power * (1 - power) / total))
        return _row(power, se, float(low), float(high), f"{ci} (1 pool: resampling only)")
    per = r / n
    # replicate means weighted by their trials (equal weights when every pool runs as many)
    se = float(np.sqrt(np.sum((n / total) ** 2 * (per - power) ** 2) * k / (k - 1)))
    t_low, t_high = (
        stats.t.interval(level, df=k - 1, loc=power, scale=se) if se > 0 else (power,) * 2
    )
    return _row(
        power,
        se,
        max(0.0, min(float(t_low), float(low))),
        min(1.0, max(float(t_high), float(high))),
        f"t over {k} pools",
    )


def _row(power: float, se: float, low: float, high: float, method: str) -> dict:
    return {
        "power": power,
        "power_se": se,
        "power_ci_low": low,
        "power_ci_high": high,
        "ci_method": method,
    }


def mean_interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float, float]:
    """Mean, standard error and t interval of independent replicate values (e.g. assurance
    computed within each pool, or within each simulated trial)."""
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if v.size < 2:
        return mean, float("nan"), float("nan"), float("nan")
    se = float(stats.sem(v))
    if se == 0:
        return mean, 0.0, mean, mean
    low, high = stats.t.interval(level, df=v.size - 1, loc=mean, scale=se)
    return mean, se, max(0.0, float(low)), min(1.0, float(high))
