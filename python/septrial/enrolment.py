"""Enrolment: septic ICU admissions screened in arrival order until enough are randomised.

Criteria that read only baseline covariates are applied before any simulation, so only patients
who could still be eligible are simulated to screening; the randomised patients are the same as if
everyone had been simulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from septrial.cohort.frame import Frame, simulate_to_screening
from septrial.covariate_samplers import sample_covariates
from septrial.feasibility import explain_nobody_alive, explain_nobody_eligible, nobody_after
from septrial.study import as_study


@dataclass
class Enrolled:
    """Randomisable patients (alive at screening, all criteria met) in arrival order."""

    frame: Frame
    n_admissions: int  # septic ICU admissions looked at
    n_alive: int | None = None  # of those simulated to screening, alive then (None: none simulated)
    reasons: tuple[str, ...] = ()  # engine statuses of those not alive at screening
    excluded_all: tuple[str, ...] = ()  # criteria failing every patient alive at screening


def _failing(criteria, table: pd.DataFrame) -> np.ndarray:
    fail = np.zeros(len(table), dtype=bool)
    for c in criteria:
        fail |= c.fails(table)
    return fail


def screen_chunk(study, first_index: int, n: int, seed: int, threads: int | None) -> Enrolled:
    """Admissions ``first_index .. first_index + n - 1``: the randomisable ones among them."""
    study = as_study(study)
    population = study.population
    criteria = list(study.criteria.criteria)
    baseline_cols = set(population.columns) | {s.name for s in study.scenario.extensions.samplers}
    early = [c for c in criteria if c.variables is not None and c.variables <= baseline_cols]
    late = [c for c in criteria if c not in early]
    covariates = sample_covariates(study, n, seed, first_index=first_index, threads=threads)
    candidates = np.flatnonzero(~_failing(early, covariates))
    if len(candidates) == 0:
        empty = Frame(covariates.iloc[:0].copy(), np.zeros((0, 0)), seed)
        all_out = tuple(c.id for c in early if bool(np.all(c.fails(covariates))))
        return Enrolled(empty, n, None, (), all_out)
    frame = simulate_to_screening(
        study, covariates.iloc[candidates].reset_index(drop=True), seed, threads
    )
    alive = frame.table[frame.alive]
    keep = np.zeros(len(frame), dtype=bool)
    keep[np.flatnonzero(frame.alive)] = ~_failing(late, alive)
    all_out = tuple(c.id for c in criteria if len(alive) and bool(np.all(c.fails(alive))))
    reasons = tuple(frame.table.loc[~frame.alive, "status"].astype(str))
    return Enrolled(frame.subset(np.flatnonzero(keep)), n, int(frame.alive.sum()), reasons, all_out)


def enrol(
    study,
    n_needed: int,
    seed: int,
    *,
    first_index: int = 0,
    threads: int | None = None,
    chunk: int | None = None,
    max_admissions: int = 10_000_000,
) -> Enrolled:
    """The first ``n_needed`` randomisable patients from admissions ``first_index`` onwards."""
    if n_needed < 1:
        raise ValueError(f"n_needed: must be >= 1, got {n_needed}")
    study = as_study(study)
    parts: list[Frame] = []
    have, looked = 0, 0
    step = chunk or max(200, int(n_needed * 12))
    while have < n_needed:
        if looked >= max_admissions:
            raise ValueError(
                f"criteria: only {have} of {n_needed} patients were randomisable among "
                f"{looked} septic ICU admissions; the criteria exclude (almost) everyone "
                "(see Scenario.lint())"
            )
        got = screen_chunk(study, first_index + looked, step, seed, threads)
        first_batch = looked == 0
        looked += step
        if first_batch and not len(got.frame):  # nobody eligible: refuse early if we know why
            explain_nobody_eligible(study, looked)
            if got.n_alive == 0:
                explain_nobody_alive(study, looked, got.reasons)
        if not have and not len(got.frame):
            nobody_after(looked, got.excluded_all)
        if len(got.frame):
            parts.append(got.frame)
            have += len(got.frame)
        step = max(200, int((n_needed - have) * looked / max(have, 1) * 1.2)) if have else step * 2
    frame = Frame.concat(parts).subset(np.arange(n_needed))
    last = int(frame.table["patient"].iloc[-1])
    return Enrolled(frame, last - first_index + 1)
