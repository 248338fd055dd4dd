"""The two benchmark models for JAX + diffrax: ``jax.vmap`` over patients of one
``diffrax.diffeqsolve``, compiled once with ``jax.jit``, in float64.

Same equations as ``models_sbml.py`` (and septrial's ``esketamine_otto2021`` / ``reynolds2006``);
the constants are taken from there. Importing this module needs jax and diffrax and switches JAX
to 64-bit floats.
"""

from __future__ import annotations

import diffrax
import jax
import jax.numpy as jnp
import models_sbml as ms
import numpy as np

jax.config.update("jax_enable_x64", True)

SOLVERS = {"Tsit5": diffrax.Tsit5, "Dopri5": diffrax.Dopri5, "Kvaerno5": diffrax.Kvaerno5}


def _otto_field(t, y, args):
    v1, cl, vnk, clnk = args
    c = ms.OTTO_TYPICAL
    v2, v3, q2, q3, fm = c["V2"], c["V3"], c["Q2"], c["Q3"], c["fm"]
    vpnk, qnk = c["Vp_NK"], c["Q_NK"]
    # jump_ts makes the step end just before 72 h and restart just after, so this comparison
    # never mixes the two rates within one step
    rate = jnp.where(t < ms.OTTO_INFUSION_END_H, ms.OTTO_RATE_MG_H, 0.0)
    a1, a2, a3, n1, n2 = y[0], y[1], y[2], y[3], y[4]
    return jnp.stack(
        [
            rate - (cl + q2 + q3) / v1 * a1 + q2 / v2 * a2 + q3 / v3 * a3,
            q2 / v1 * a1 - q2 / v2 * a2,
            q3 / v1 * a1 - q3 / v3 * a3,
            fm * cl / v1 * a1 - (clnk + qnk) / vnk * n1 + qnk / vpnk * n2,
            qnk / vnk * n1 - qnk / vpnk * n2,
        ]
    )


def _reynolds_field(t, y, k_pg):
    c = ms.REYNOLDS_TYPICAL
    pp, n, d, ca = jnp.maximum(y[0], 0.0), jnp.maximum(y[1], 0.0), jnp.maximum(y[2], 0.0), y[3]
    inh = 1.0 + (ca / c["c_inf"]) ** 2
    fn = n / inh
    r = (c["k_nn"] * n + c["k_np"] * pp + c["k_nd"] * d) / inh
    fn6 = fn**6
    fs = fn6 / (c["x_dn"] ** 6 + fn6)
    fc = (n + c["k_cnd"] * d) / inh
    return jnp.stack(
        [
            k_pg * pp * (1.0 - pp / c["p_inf"])
            - c["k_pm"] * c["s_m"] * pp / (c["mu_m"] + c["k_mp"] * pp)
            - c["k_pn"] * fn * pp,
            c["s_nr"] * r / (c["mu_nr"] + r) - c["mu_n"] * n,
            c["k_dn"] * fs - c["mu_d"] * d,
            c["s_c"] + c["k_cn"] * fc / (1.0 + fc) - c["mu_c"] * ca,
        ]
    )


def _solve(field, y0, args, grid, solver, rtol, atol, jump_ts=None):
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(field),
        SOLVERS[solver](),
        t0=grid[0],
        t1=grid[-1],
        dt0=None,  # diffrax picks the first step, as the other tools do
        y0=y0,
        args=args,
        saveat=diffrax.SaveAt(ts=grid),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol, jump_ts=jump_ts),
        max_steps=100_000,
    )
    return sol.ys, sol.stats["num_accepted_steps"], sol.result == diffrax.RESULTS.successful


def otto_cohort_fn(grid: np.ndarray, solver: str, rtol: float, atol: float):
    """A jitted f(V1, CL, V_NK, CL_NK arrays) -> (outputs (n, T, 2), accepted steps, ok)."""
    g = jnp.asarray(grid)
    jumps = jnp.asarray([ms.OTTO_INFUSION_END_H])

    def one(v1, cl, vnk, clnk):
        ys, steps, ok = _solve(
            _otto_field, jnp.zeros(5), (v1, cl, vnk, clnk), g, solver, rtol, atol, jumps
        )
        return jnp.stack([1000.0 * ys[:, 0] / v1, 1000.0 * ys[:, 3] / vnk], axis=1), steps, ok

    return jax.jit(jax.vmap(one))


def reynolds_cohort_fn(grid: np.ndarray, solver: str, rtol: float, atol: float):
    """A jitted f(P0, k_pg arrays) -> (outputs (n, T, 4) = P, N, D, CA, accepted steps, ok)."""
    g = jnp.asarray(grid)

    def one(p0, k_pg):
        y0 = jnp.stack([p0, 0.0, 0.0, ms.REYNOLDS_CA0])
        return _solve(_reynolds_field, y0, k_pg, g, solver, rtol, atol)

    return jax.jit(jax.vmap(one))
