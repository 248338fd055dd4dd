"""Covariate samplers written in Python (``Scenario.with_covariates``), applied to the sampled
population table before anything is simulated.

Reproducibility: the population is cut into fixed blocks of :data:`BLOCK` patient indices; each
sampler is called once per block on the whole block with the generator
``default_rng(SeedSequence(seed, spawn_key=(STREAM, k, b)))`` (sampler ``k``, block ``b``). A
patient's value therefore depends only on ``(seed, its index)``, whatever chunks the pipeline
samples (adaptive local enrolment, fixed Dask chunks, checkpoints): a chunk that covers part of a
block samples the rest of it too and keeps its own rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from septrial.user_functions import CovariateSampler, call_user, function_label

__all__ = ["BLOCK", "apply_samplers", "sample_covariates"]

#: Patient indices per block (trial admission streams start at multiples of it).
BLOCK = 1024
_STREAM = 0xC0_5A_4D


def _checked(sampler: CovariateSampler, value, n: int) -> np.ndarray:
    where = f"covariates.{sampler.name} (function {function_label(sampler.fn)})"
    if isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: must return numbers, got {type(value).__name__} "
            f"of dtype {getattr(np.asarray(value, dtype=object), 'dtype', '?')}"
        ) from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{where}: must return one value per row ({n}), got shape {np.shape(arr)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{where}: returned {int(bad.sum())} non-finite value(s) (NaN or inf), "
            f"e.g. at row {int(np.flatnonzero(bad)[0])}"
        )
    return arr


def apply_samplers(table: pd.DataFrame, samplers, seed: int, block: int) -> pd.DataFrame:
    """``table`` (the patients of one whole block) with each sampler's column set, in order."""
    out = table.copy()
    for k, sampler in enumerate(samplers):
        rng = np.random.default_rng(
            np.random.SeedSequence(int(seed), spawn_key=(_STREAM, k, block))
        )
        view = out.copy()  # the user function cannot change the table behind our back
        where = f"covariates.{sampler.name} (function {function_label(sampler.fn)})"
        value = call_user(where, sampler.fn, view, rng)
        out[sampler.name] = _checked(sampler, value, len(out))
    return out


def sample_covariates(
    study, n: int, seed: int, *, first_index: int = 0, threads: int | None = None
) -> pd.DataFrame:
    """The population's ``n`` patients from ``first_index`` on, with the scenario's Python
    covariate samplers applied (block by block, see the module's description)."""
    population = study.population
    samplers = study.scenario.extensions.samplers
    if not samplers:
        return population.sample(n, seed, first_index=first_index, threads=threads)
    lo = (first_index // BLOCK) * BLOCK
    hi = -(-(first_index + n) // BLOCK) * BLOCK
    whole = population.sample(hi - lo, seed, first_index=lo, threads=threads)
    parts = [
        apply_samplers(whole.iloc[s : s + BLOCK].reset_index(drop=True), samplers, seed, b)
        for b, s in zip(range(lo // BLOCK, hi // BLOCK), range(0, hi - lo, BLOCK), strict=True)
    ]
    full = pd.concat(parts, ignore_index=True)
    return full.iloc[first_index - lo : first_index - lo + n].reset_index(drop=True)
