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
) -> Frame:
    """Sample ``n`` septic ICU patients (indices ``first_index`` ...) and simulate each to
    screening. Patients whose solver failed are kept with ``alive = False`` and their reason in
    ``status``."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    threads = threads or os.cpu_count() or 1
    study = as_study(study)
    covariates = sample_covariates(study, n, seed, first_index=first_index, threads=threads)
    return simulate_to_screening(study, covariates, seed, threads, progress)


def simulate_to_screening(
    study,
    covariates: pd.DataFrame,
    seed: int,
    threads: int | None = None,
    progress: bool = False,
) -> Frame:
    """Phase A for sampled covariates (a ``patient`` column gives each patient's index)."""
    threads = threads or os.cpu_count() or 1
    n = len(covariates)
    study = as_study(study)
    engine = study.engine
    cov, _ = covariate_columns(covariates.assign(opioids=study.opioids))
    indices = covariates["patient"].to_numpy(dtype=np.uint64)
    with progress_callback(progress, n, "screening") as callback:
        values, states, status = engine.screen(cov, indices, int(seed), int(threads), callback)
    screen = pd.DataFrame(values, columns=list(engine.screen_columns))
    ok = np.asarray(status["ok"], dtype=bool)
    # The solver's reason per patient ("" when it succeeded): references to the few distinct
    # reason strings, not one string object per patient.
    screen["status"] = np.asarray(status["reasons"], dtype=object)[status["reason"]]
    screen["alive"] = (screen["alive"].fillna(0).to_numpy() == 1) & ok
    screen["intubated"] = screen["intubated"].fillna(0).astype(bool)
    screen["ventilated"] = screen["intubated"]
    screen["attempts"] = screen["attempts"].fillna(0).astype(int)
    table = pd.concat([covariates.reset_index(drop=True), screen], axis=1)
    return Frame(table, np.asarray(states), int(seed), list(engine.screen_columns))
