"""``septrial.run_trial``: one simulated trial of a scenario: enrolment, randomisation, follow-up
in the arms, and the analysis plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from septrial.analysis import analyse
from septrial.arguments import (
    MAX_PER_ARM,
    MAX_SEED,
    MAX_THREADS,
    MAX_TRIAL,
    optional_whole,
    real_map,
    whole,
)
from septrial.chunks import enrol_any, treat_chunks
from septrial.memory import BYTES_PER_PATIENT, check_fits
from septrial.nonmem import trial_to_nonmem
from septrial.plotting.endpoints import plot_trial_endpoints
from septrial.randomisation import nested_allocation
from septrial.solver_failures import failure_table
from septrial.stats import OUTCOME_KIND
from septrial.study import as_study
from septrial.user_functions import check_portable

#: Admission indices reserved per simulated trial: trial k enrols from k * TRIAL_STRIDE on.
TRIAL_STRIDE = 2**36


def arm_sizes(scenario, n_per_arm: int) -> tuple[int, int]:
    """(control, treated) sizes: ``n_per_arm`` control patients and the allocation ratio."""
    ratio = scenario.allocation.ratio
    return int(n_per_arm), int(round(n_per_arm * ratio[1] / ratio[0]))


def arm_request(scenario, n_per_arm) -> str:
    """``n_per_arm`` as the user asked, with the allocation ratio when it is not 1:1."""
    ratio = list(scenario.allocation.ratio)
    return f"{n_per_arm}" if ratio[0] == ratio[1] else f"{n_per_arm} (allocation.ratio {ratio})"


def trial_arms(
    scenario, n_control: int, n_treated: int, seed: int, trial: int
) -> tuple[np.ndarray, np.ndarray]:
    """Enrolment positions of the control and treated patients of trial ``trial``, by the
    scenario's block design; nested across sizes (see :func:`nested_allocation`)."""
    alloc = scenario.allocation
    return nested_allocation(
        n_control, n_treated, tuple(alloc.ratio), alloc.block_size, seed, trial
    )


@dataclass
class TrialResult:
    """Per-patient table (randomisation order) and the analysis of one simulated trial."""

    study: Any
    patients: pd.DataFrame
    analysis: pd.DataFrame
    n_admissions: int
    seed: int
    trial: int = 0
    params: dict[str, float] | None = None

    @property
    def scenario(self):
        return self.study.scenario

    @property
    def table(self) -> pd.DataFrame:
        """The per-patient table (one row per randomised patient)."""
        return self.patients

    def __repr__(self) -> str:
        primary = self.analysis.iloc[0]
        return (
            f"TrialResult({self.scenario.name!r}: {len(self.patients)} randomised from "
            f"{self.n_admissions} admissions, seed {self.seed}; {primary['analysis']} "
            f"p={primary['p_value']:.3g})"
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>Trial of {self.scenario.name}</b>: {len(self.patients)} randomised from "
            f"{self.n_admissions} septic ICU admissions (seed {self.seed})"
            + self.analysis.to_html(index=False, float_format=lambda x: f"{x:.4g}")
        )

    @property
    def solver_failures(self) -> pd.DataFrame:
        """Per arm: patients, those whose follow-up ODE solve failed (outcomes missing), and
        the most common reason."""
        return failure_table(self.patients, self.scenario.arm_names[:2])

    def summary(self) -> str:
        a = self.analysis
        lines = [
            f"{self.scenario.name}: {len(self.patients)} randomised from "
            f"{self.n_admissions} septic ICU admissions (seed {self.seed})"
        ]
        for r in self.solver_failures.itertuples():
            if r.n_solver_failed:
                lines.append(
                    f"  solver failed for {r.n_solver_failed} of {r.n_patients} patients in arm "
                    f"{r.arm!r} (outcomes missing): {r.reason}"
                )
        for _, r in a.iterrows():
            flag = "significant" if r["reject"] else "not significant"
            lines.append(
                f"  {r['role']:9s} {r['analysis']:18s} {r['test']:12s} "
                f"estimate {r['estimate']:+.3g} [{r['ci_low']:+.3g}, {r['ci_high']:+.3g}] "
                f"p={r['p_value']:.3g} ({flag}, {a.attrs['multiplicity']})"
            )
        return "\n".join(lines)

    def to_nonmem(self) -> pd.DataFrame:
        """The trial as a NONMEM-style event dataset (see
        :func:`septrial.nonmem.trial_to_nonmem` for what it holds and its limits)."""
        return trial_to_nonmem(self.scenario, self.patients)

    def plot(self, columns: list[str] | None = None, axes=None):
        """What the analysis tests, by arm: change from baseline (log ratio for log-analysed
        endpoints) of each continuous plan item, or of the items whose name or endpoint is in
        ``columns``; estimate and p-value in each panel's title."""
        plan = [
            p
            for p in self.scenario.analysis.plan
            if OUTCOME_KIND[p.test] == "continuous"
            and (columns is None or p.endpoint in columns or p.name in columns)
        ]
        if not plan:
            raise ValueError(f"columns: no continuous analysis of {columns}")
        return plot_trial_endpoints(self, plan, axes=axes)


def run_trial(
    scenario,
    n_per_arm: int = 50,
    seed: int = 1,
    *,
    trial: int = 0,
    threads: int | None = None,
    params: dict[str, float] | None = None,
    progress: bool = False,
    executor: Any = None,
) -> TrialResult:
    """Simulate one trial: enrol ``n_per_arm`` per arm (allocation ratio and blocks of the
    scenario), follow each patient in its arm, analyse with the scenario's plan.

    ``scenario`` is a name, a :class:`septrial.Scenario` or a :class:`septrial.Study`.
    ``params`` override model parameters in the treatment phase of every arm (bare or
    qualified names, e.g. the drug-effect assumption ``{"IC50": 300, "I_max": 0.4}``).
    Randomisation is nested: the arms of a smaller trial (same seed and ``trial``) are the first
    patients of each arm here. ``executor`` may be a Dask client (same result as locally).
    """
    study = as_study(scenario)
    sc = study.scenario
    n_per_arm = whole("n_per_arm", n_per_arm, 2, MAX_PER_ARM)
    seed = whole("seed", seed, 0, MAX_SEED)
    trial = whole("trial", trial, 0, MAX_TRIAL)
    threads = optional_whole("threads", threads, 1, MAX_THREADS)
    params = real_map("params", params, arrays=False)
    check_portable(sc, executor)
    n_c, n_t = arm_sizes(sc, n_per_arm)
    check_fits("n_per_arm", arm_request(sc, n_per_arm), n_c + n_t, BYTES_PER_PATIENT, "patients")
    rows_of = trial_arms(sc, n_c, n_t, seed, trial)
    n_enrolled = int(max(r.max() for r in rows_of)) + 1
    first = trial * TRIAL_STRIDE
    frame = enrol_any(study, n_enrolled, seed, first, executor, threads)
    names = sc.arm_names[:2]
    parts = []
    for rows, name in zip(rows_of, names, strict=True):
        t = treat_chunks(
            study, frame.subset(rows), name, seed, params, executor, None, threads, progress
        )
        t.insert(2, "order", rows)
        parts.append(t)
    table = pd.concat(parts).sort_values("order").reset_index(drop=True)
    keep = [c for c in ("age_y", "sex", "weight_kg", "sofa", "t_icu_h") if c not in table]
    baseline = frame.table[["patient", *keep]]
    table = table.merge(baseline, on="patient", how="left")
    n_admissions = int(frame.table["patient"].iloc[-1]) - first + 1
    analysis = analyse(table, sc, *names)
    return TrialResult(study, table, analysis, n_admissions, seed, trial, params or None)
