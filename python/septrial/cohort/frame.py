"""The sampling frame: septic ICU patients with their baseline covariates (population sampler) and
their simulated state at screening (trial engine, phase A).

Patient ``i`` of a frame depends only on ``(seed, i)``: frames built in chunks, on any number of
threads or on a Dask cluster are identical to one built at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from septrial.covariate_samplers import sample_covariates
from septrial.covariates import covariate_columns
from septrial.progress import progress_callback
from septrial.study import as_study

#: Admissions per engine call in phase A (memory, not results: any slicing gives the same frame).
ENGINE_SLICE = 65_536


@dataclass
class Frame:
    """Patients of the sampling frame: ``table`` has one row per patient (index ``patient``),
    ``states`` the model state at screening (phase B starts from it)."""

    table: pd.DataFrame
    states: np.ndarray
    seed: int
    engine_columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def alive(self) -> np.ndarray:
        return self.table["alive"].to_numpy(dtype=bool)

    def engine_inputs(self, rows: np.ndarray, opioids: bool) -> dict[str, Any]:
        """Arguments of TrialEngine.treat for the given row positions."""
        t = self.table.iloc[rows]
        cov, _ = covariate_columns(t.assign(opioids=opioids))
        return {
            "covariates": cov,
            "indices": t["patient"].to_numpy(dtype=np.uint64),
            "attempts": t["attempts"].to_numpy(dtype=np.int32),
            "intubated": t["intubated"].to_numpy(dtype=np.int8),
            "states": np.ascontiguousarray(self.states[rows]),
        }

    def subset(self, rows: np.ndarray) -> Frame:
        return Frame(
            self.table.iloc[rows].reset_index(drop=True),
            self.states[rows],
            self.seed,
            self.engine_columns,
        )

    @staticmethod
    def concat(parts: list[Frame]) -> Frame:
        return Frame(
            pd.concat([p.table for p in parts], ignore_index=True),
            np.concatenate([p.states for p in parts]),
            parts[0].seed,
            parts[0].engine_columns,
        )


def sample_frame(
    study,
    n: int,
    seed: int,
    *,
    first_index: int = 0,
    threads: int | None = None,
    progress: bool = False,
    keep_states: bool = True,
) -> Frame:
    """Sample ``n`` septic ICU patients (indices ``first_index`` ...) and simulate each to
    screening. Patients whose solver failed are kept with ``alive = False`` and their reason in
    ``status``. ``keep_states=False``: the frame holds no model states (a screening that follows
    nobody up needs none; they are a third of a large frame's memory)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    threads = threads or os.cpu_count() or 1
    study = as_study(study)
    covariates = sample_covariates(study, n, seed, first_index=first_index, threads=threads)
    return simulate_to_screening(study, covariates, seed, threads, progress, keep_states)


def simulate_to_screening(
    study,
    covariates: pd.DataFrame,
    seed: int,
    threads: int | None = None,
    progress: bool = False,
    keep_states: bool = True,
) -> Frame:
    """Phase A for sampled covariates (a ``patient`` column gives each patient's index)."""
    threads = threads or os.cpu_count() or 1
    n = len(covariates)
    study = as_study(study)
    engine = study.engine
    covariates = covariates.reset_index(drop=True)
    indices = covariates["patient"].to_numpy(dtype=np.uint64)
    columns = list(engine.screen_columns)
    # Engine columns stored as the rows of one (column x patient) block, the plain numbers first:
    # pandas adopts that block without a copy; the flags below get their own dtypes.
    flags = [c for c in ("alive", "intubated", "attempts") if c in columns]
    order = [columns.index(c) for c in columns if c not in flags] + [
        columns.index(c) for c in flags
    ]
    block = np.empty((len(columns), n))
    states = np.empty((n, engine.n_states if keep_states else 0))
    codes = np.empty(n, dtype=np.int32)
    ok = np.empty(n, dtype=bool)
    reasons: list[str] = [""]
    with progress_callback(progress, n, "screening") as callback:
        # Fixed slices bound the engine's per-patient buffers (covariates, solver status) to one
        # slice; patient i depends only on (seed, i), so the result equals one call over all.
        for lo in range(0, n, ENGINE_SLICE):
            hi = min(lo + ENGINE_SLICE, n)
            cov, _ = covariate_columns(covariates.iloc[lo:hi].assign(opioids=study.opioids))
            v, st, status = engine.screen(cov, indices[lo:hi], int(seed), int(threads), callback)
            block[:, lo:hi], ok[lo:hi] = v[:, order].T, status["ok"]
            if keep_states:
                states[lo:hi] = st
            codes[lo:hi] = _merge_reasons(reasons, status["reasons"])[status["reason"]]
            del v, st, status
    numbers = len(columns) - len(flags)
    table = pd.DataFrame(
        block[:numbers].T, columns=[columns[j] for j in order[:numbers]], copy=False
    )
    flag = dict(zip(flags, np.nan_to_num(block[numbers:]), strict=True))
    for i, c in enumerate(covariates.columns):
        table.insert(i, c, _compact_column(covariates[c]))
    table["alive"] = (flag["alive"] == 1) & ok
    table["intubated"] = flag["intubated"].astype(bool)
    table["attempts"] = flag["attempts"].astype(int)
    # The solver's reason per patient ("" when it succeeded): a code per patient into the few
    # distinct reasons (not one string reference per admission).
    table["status"] = pd.Categorical.from_codes(codes, categories=reasons)
    table["ventilated"] = table["intubated"]
    return Frame(table, states, int(seed), columns)


def _merge_reasons(reasons: list[str], new: list[str]) -> np.ndarray:
    """Codes of a slice's reasons in the run's list (extended in place)."""
    for r in new:
        if r not in reasons:
            reasons.append(r)
    return np.array([reasons.index(r) for r in new], dtype=np.int32)


def _compact_column(column: pd.Series) -> pd.Series:
    """Text with few distinct values (sex, region, ...) as a category: a million admissions
    otherwise hold a million string references per column."""
    if column.dtype == object and column.nunique() <= 256:
        return column.astype("category")
    return column
