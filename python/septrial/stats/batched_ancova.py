"""ANCOVA p-values for many trials at once: ``outcome ~ 1 + arm + baseline`` by least squares,
one small normal-equation system per trial, solved together.

Power needs only the p-value of the arm coefficient, thousands of times; fitting one statsmodels
OLS per trial costs ~1 ms each. This is the same estimator (tests/test_stats_analyses.py checks it
against :func:`septrial.stats.analyses.ancova` to 1e-9): missing outcomes or baselines get weight 0,
the baseline is centred per trial for conditioning (which changes neither the arm coefficient nor
its standard error), and a trial is not analysable (NaN) when an arm keeps fewer than
``MIN_PER_ARM`` pairs or the design is singular.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from septrial.stats.analyses import MIN_PER_ARM

__all__ = ["ancova_p_values"]


def ancova_p_values(
    y_c: np.ndarray, b_c: np.ndarray, y_t: np.ndarray, b_t: np.ndarray, alternative: str
) -> np.ndarray:
    """P-values (one per row) of the treated-arm coefficient; arrays are trials x patients."""
    y = np.concatenate([y_c, y_t], axis=1)
    b = np.concatenate([b_c, b_t], axis=1)
    arm = np.r_[np.zeros(y_c.shape[1]), np.ones(y_t.shape[1])]
    w = ~(np.isnan(y) | np.isnan(b))
    kept_c = w[:, : y_c.shape[1]].sum(axis=1)
    kept_t = w[:, y_c.shape[1] :].sum(axis=1)
    m = kept_c + kept_t
    y, b = np.where(w, y, 0.0), np.where(w, b, 0.0)
    wf = w.astype(float)
    b = np.where(w, b - (b.sum(axis=1) / np.maximum(m, 1))[:, None], 0.0)
    a = wf * arm
    # normal equations X'WX beta = X'Wy with X = [1, arm, baseline]
    xtx = np.empty((y.shape[0], 3, 3))
    xtx[:, 0, 0] = m
    xtx[:, 0, 1] = xtx[:, 1, 0] = a.sum(axis=1)
    xtx[:, 0, 2] = xtx[:, 2, 0] = b.sum(axis=1)
    xtx[:, 1, 1] = a.sum(axis=1)
    xtx[:, 1, 2] = xtx[:, 2, 1] = (a * b).sum(axis=1)
    xtx[:, 2, 2] = (b * b).sum(axis=1)
    xty = np.stack([y.sum(axis=1), (a * y).sum(axis=1), (b * y).sum(axis=1)], axis=1)
    ok = (kept_c >= MIN_PER_ARM) & (kept_t >= MIN_PER_ARM) & (m > 3)
    # singular design (e.g. a constant baseline): |det| tiny next to the diagonal's product
    scale = xtx[:, 0, 0] * xtx[:, 1, 1] * xtx[:, 2, 2]
    ok &= scale > 0
    ok &= np.abs(np.linalg.det(xtx)) > 1e-12 * scale
    p = np.full(y.shape[0], np.nan)
    if not ok.any():
        return p
    inv = np.linalg.inv(xtx[ok])
    beta = np.einsum("kij,kj->ki", inv, xty[ok])
    fitted = beta[:, [0]] + beta[:, [1]] * arm[None, :] + beta[:, [2]] * b[ok]
    resid = np.where(w[ok], y[ok] - fitted, 0.0)
    df = m[ok] - 3.0
    s2 = (resid**2).sum(axis=1) / df
    se = np.sqrt(s2 * inv[:, 1, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta[:, 1] / se
    if alternative == "greater":
        p_ok = stats.t.sf(t, df)
    elif alternative == "less":
        p_ok = stats.t.cdf(t, df)
    else:
        p_ok = 2.0 * stats.t.sf(np.abs(t), df)
    p[ok] = np.where(np.isfinite(t), p_ok, np.nan)
    return p
