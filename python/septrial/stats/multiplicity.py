"""Multiplicity control for several endpoints or comparisons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from statsmodels.stats.multitest import multipletests

from septrial.stats.analyses import DEFAULT_ALPHA


@dataclass(frozen=True)
class MultiplicityResult:
    """Decisions of a multiple-testing procedure.

    Attributes
    ----------
    reject : ndarray of bool
        Null hypothesis rejected, in the order the p-values were given.
    p_adjusted : ndarray of float
        Adjusted p-values (Holm); for the fixed-sequence procedure the adjusted p-value of
        hypothesis k is the running maximum of p_1..p_k.
    tested : ndarray of bool
        Hypothesis actually reached by the procedure (all True for Holm).
    method : str
    alpha : float
    """

    reject: np.ndarray
    p_adjusted: np.ndarray
    tested: np.ndarray
    method: str
    alpha: float


def _check_inputs(p_values: ArrayLike, alpha: float) -> np.ndarray:
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha={alpha!r} must lie in the open interval (0, 1)")
    p = np.asarray(p_values, dtype=float).ravel()
    if p.size == 0:
        raise ValueError("p_values is empty; give at least one p-value")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p_values must be finite and lie in [0, 1]; got {p.tolist()}")
    return p


def holm(p_values: ArrayLike, alpha: float = DEFAULT_ALPHA) -> MultiplicityResult:
    """Holm's step-down procedure (strong family-wise error control at ``alpha``).

    Uses :func:`statsmodels.stats.multitest.multipletests` with ``method="holm"`` (a hypothesis
    is rejected when its adjusted p-value is ``<= alpha``).
    """
    p = _check_inputs(p_values, alpha)
    reject, p_adj, _, _ = multipletests(p, alpha=alpha, method="holm")
    return MultiplicityResult(
        reject=np.asarray(reject, dtype=bool),
        p_adjusted=np.asarray(p_adj, dtype=float),
        tested=np.ones(p.size, dtype=bool),
        method="holm",
        alpha=float(alpha),
    )


def hierarchical(p_values_in_order: ArrayLike, alpha: float = DEFAULT_ALPHA) -> MultiplicityResult:
    """Fixed-sequence (hierarchical gatekeeping) procedure.

    Hypotheses are tested in the given order, each at the full ``alpha`` (rejected when
    ``p <= alpha``, as in Holm); testing stops at the first non-rejection, and every later
    hypothesis is not rejected (``tested`` is False).
    """
    p = _check_inputs(p_values_in_order, alpha)
    p_adj = np.maximum.accumulate(p)
    reject = p_adj <= alpha
    # tested: the first hypothesis, and every one whose predecessors were all rejected
    tested = np.concatenate(([True], reject[:-1]))
    return MultiplicityResult(
        reject=reject,
        p_adjusted=p_adj,
        tested=tested,
        method="hierarchical",
        alpha=float(alpha),
    )
