"""The two benchmark models as numba ``cfunc`` right-hand sides for numbalsoda (LSODA), with the
patient loop compiled by ``numba.njit`` so that no Python runs per patient.

Same equations as ``models_sbml.py`` (and septrial's ``esketamine_otto2021`` / ``reynolds2006``);
the constants are taken from there. Importing this module needs numba and numbalsoda.
"""

from __future__ import annotations

import models_sbml as ms
import numba as nb
import numpy as np
from numbalsoda import lsoda, lsoda_sig

# Parameter vectors passed to the cfunc through numbalsoda's ``data`` pointer: the typical values
# in this order, with the per-patient ones overwritten in the loop.
OTTO_NAMES = (*ms.OTTO_TYPICAL, "R")
REYNOLDS_NAMES = tuple(ms.REYNOLDS_TYPICAL)


def otto_typical() -> np.ndarray:
    return np.array([*ms.OTTO_TYPICAL.values(), ms.OTTO_RATE_MG_H])


def reynolds_typical() -> np.ndarray:
    return np.array(list(ms.REYNOLDS_TYPICAL.values()))


@nb.cfunc(lsoda_sig)
def _otto_rhs(t, y, dy, p):
    v1, v2, v3, cl, q2, q3, fm = p[0], p[1], p[2], p[3], p[4], p[5], p[6]
    vnk, clnk, vpnk, qnk, rate = p[7], p[8], p[9], p[10], p[11]
    dy[0] = rate - (cl + q2 + q3) / v1 * y[0] + q2 / v2 * y[1] + q3 / v3 * y[2]
    dy[1] = q2 / v1 * y[0] - q2 / v2 * y[1]
    dy[2] = q3 / v1 * y[0] - q3 / v3 * y[2]
    dy[3] = fm * cl / v1 * y[0] - (clnk + qnk) / vnk * y[3] + qnk / vpnk * y[4]
    dy[4] = qnk / vnk * y[3] - qnk / vpnk * y[4]


@nb.cfunc(lsoda_sig)
def _reynolds_rhs(t, y, dy, p):
    k_pg, p_inf, k_pm, s_m, mu_m, k_mp = p[0], p[1], p[2], p[3], p[4], p[5]
    k_pn, k_np, k_nn, k_nd, s_nr, mu_nr = p[6], p[7], p[8], p[9], p[10], p[11]
    mu_n, k_dn, x_dn, mu_d, c_inf = p[12], p[13], p[14], p[15], p[16]
    s_c, k_cn, k_cnd, mu_c = p[17], p[18], p[19], p[20]
    # septrial clamps P, N, D at 0 in its right-hand side; so do the other tools
    pp = max(y[0], 0.0)
    n = max(y[1], 0.0)
    d = max(y[2], 0.0)
    ca = y[3]
    inh = 1.0 + (ca / c_inf) ** 2
    fn = n / inh
    r = (k_nn * n + k_np * pp + k_nd * d) / inh
    fn6 = fn**6
    fs = fn6 / (x_dn**6 + fn6)
    fc = (n + k_cnd * d) / inh
    dy[0] = k_pg * pp * (1.0 - pp / p_inf) - k_pm * s_m * pp / (mu_m + k_mp * pp) - k_pn * fn * pp
    dy[1] = s_nr * r / (mu_nr + r) - mu_n * n
    dy[2] = k_dn * fs - mu_d * d
    dy[3] = s_c + k_cn * fc / (1.0 + fc) - mu_c * ca


OTTO_RHS = _otto_rhs.address
REYNOLDS_RHS = _reynolds_rhs.address


@nb.njit
def otto_cohort(rhs, typical, varied_idx, varied, grid, i_end, rate, rtol, atol):
    """Outputs (n, T, 2) and success flags; ``varied`` is (n, k) for parameters ``varied_idx``.

    Two LSODA calls per patient, 0 to the end of the infusion and on from there, so that no step
    crosses the rate change (as septrial and the SciPy rows do)."""
    n = varied.shape[0]
    out = np.empty((n, grid.size, 2))
    ok = np.ones(n, dtype=np.bool_)
    p = typical.copy()
    g1 = grid[: i_end + 1].copy()
    g2 = grid[i_end:].copy()
    for i in range(n):
        for j in range(varied_idx.size):
            p[varied_idx[j]] = varied[i, j]
        p[11] = rate
        y1, s1 = lsoda(rhs, np.zeros(5), g1, p, rtol, atol)
        p[11] = 0.0
        y2, s2 = lsoda(rhs, y1[-1].copy(), g2, p, rtol, atol)
        ok[i] = s1 and s2
        for k in range(g1.size):
            out[i, k, 0] = 1000.0 * y1[k, 0] / p[0]
            out[i, k, 1] = 1000.0 * y1[k, 3] / p[7]
        for k in range(1, g2.size):
            out[i, i_end + k, 0] = 1000.0 * y2[k, 0] / p[0]
            out[i, i_end + k, 1] = 1000.0 * y2[k, 3] / p[7]
    return out, ok


@nb.njit
def reynolds_cohort(rhs, typical, p0, k_pg, ca0, grid, rtol, atol):
    """Outputs (n, T, 4) = P, N, D, CA and success flags, per-patient P(0) and k_pg."""
    n = p0.size
    out = np.empty((n, grid.size, 4))
    ok = np.ones(n, dtype=np.bool_)
    p = typical.copy()
    y0 = np.zeros(4)
    for i in range(n):
        p[0] = k_pg[i]
        y0[0], y0[1], y0[2], y0[3] = p0[i], 0.0, 0.0, ca0
        y, s = lsoda(rhs, y0, grid, p, rtol, atol)
        ok[i] = s
        out[i] = y
    return out, ok
