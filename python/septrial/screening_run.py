"""``septrial.screen``: the CONSORT-style funnel of a scenario's criteria on its sampling frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from septrial.arguments import MAX_SEED, MAX_THREADS, optional_whole, whole
from septrial.chunks import frame_chunks
from septrial.cohort.frame import Frame
from septrial.feasibility import explain_nobody_alive, explain_nobody_eligible
from septrial.memory import BYTES_PER_ADMISSION, check_fits
from septrial.plotting.funnel import plot_exclusions, plot_funnel
from septrial.screening.funnel import RecruitmentEstimate, ScreeningReport, screen_table
from septrial.solver_failures import most_common_reason
from septrial.study import as_study
from septrial.user_functions import check_portable

__all__ = ["ScreeningRun", "screen"]

#: Admissions one screening run may simulate (memory refuses far fewer on most machines).
MAX_ADMISSIONS = 2**36


@dataclass
class ScreeningRun:
    """The frame (septic ICU admissions), those alive at screening, and the criteria funnel."""

    study: Any
    frame: Frame
    report: ScreeningReport

    @property
    def scenario(self):
        return self.study.scenario

    @property
    def n_admitted(self) -> int:
        return len(self.frame)

    def _not_screened(self, kind: str) -> np.ndarray:
        status = self.frame.table["status"].astype(str)
        gone = ~self.frame.alive
        no_sepsis = status.str.contains("max_attempts", regex=False).to_numpy()
        if kind == "died":
            return gone & (status == "").to_numpy()
        if kind == "solver":
            return gone & (status != "").to_numpy() & ~no_sepsis
        return gone & no_sepsis

    @property
    def n_died_before_screening(self) -> int:
        return int(self._not_screened("died").sum())

    @property
    def n_solver_failed(self) -> int:
        """Admissions whose ODE solve to screening failed (not screened; not deaths)."""
        return int(self._not_screened("solver").sum())

    @property
    def solver_reason(self) -> str:
        """Most common reason of the solver failures before screening ('' when none)."""
        return most_common_reason(self.frame.table.loc[self._not_screened("solver"), "status"])

    @property
    def n_rejected_infections(self) -> int:
        """Simulated infections that resolved before reaching an ICU (Sepsis-3 not met)."""
        return int(self.frame.table["attempts"].sum())

    @property
    def table(self) -> pd.DataFrame:
        """Steps with counts and percentages, from ICU admission to randomisation."""
        head = pd.DataFrame(
            [
                {"step": "septic ICU admissions (sampling frame)", "n": self.n_admitted},
                {"step": "died before screening", "n": self.n_died_before_screening},
            ]
        )
        if self.n_solver_failed:
            failed = {
                "step": f"solver failed before screening ({self.solver_reason})",
                "n": self.n_solver_failed,
            }
            head = pd.concat([head, pd.DataFrame([failed])], ignore_index=True)
        body = self.report.table()
        out = pd.concat([head, body], ignore_index=True)
        out["% of admissions"] = 100.0 * out["n"] / self.n_admitted
        return out

    def criteria_table(self) -> pd.DataFrame:
        return self.report.criteria_table()

    def recruitment_time(
        self, n_target: int = 100, admissions_per_month: float | None = None
    ) -> RecruitmentEstimate:
        """Months to randomise ``n_target`` at ``admissions_per_month`` septic ICU admissions
        (default: the scenario's ``recruitment.septic_admissions_per_month``)."""
        rate = admissions_per_month
        if rate is None and self.scenario.recruitment is not None:
            rate = self.scenario.recruitment.septic_admissions_per_month
        if rate is None:
            raise ValueError(
                "admissions_per_month: not given and not in the scenario's recruitment"
            )
        screened_per_admission = self.report.n_screened / self.n_admitted
        return self.report.recruitment_time(n_target, float(rate) * screened_per_admission)

    @property
    def screen_to_enrol(self) -> float:
        """Septic ICU admissions per randomised patient."""
        return self.n_admitted / max(self.report.n_consented, 1)

    def __repr__(self) -> str:
        return (
            f"ScreeningRun({self.scenario.name!r}: {self.n_admitted} admissions, "
            f"{self.report.n_screened} screened, {self.report.n_consented} randomisable; "
            f"{self.screen_to_enrol:.1f} admissions per randomised patient)"
        )

    def _repr_html_(self) -> str:
        return f"<b>Screening of {self.scenario.name}</b>" + self.table.to_html(
            index=False, float_format=lambda x: f"{x:.1f}"
        )

    def to_markdown(self) -> str:
        head = (
            f"Septic ICU admissions simulated: {self.n_admitted}; died before "
            f"screening: {self.n_died_before_screening}; infections that resolved "
            f"before an ICU (rejected): {self.n_rejected_infections}."
        )
        if self.n_solver_failed:
            head += (
                f" Solver failures before screening (not screened): {self.n_solver_failed}, "
                f"{self.solver_reason}."
            )
        return "\n".join([head + "\n", self.report.to_markdown()])

    def plot(self, axes=None):
        """CONSORT funnel and the exclusions per criterion, side by side."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(14, 6))
        plot_funnel(self.report, ax=axes[0])
        plot_exclusions(self.report, ax=axes[1])
        axes[0].figure.suptitle(
            f"{self.scenario.name}: screening of {self.n_admitted} septic ICU admissions",
            fontsize="medium",
        )
        return axes


def screen(
    scenario,
    n: int = 10_000,
    seed: int = 1,
    *,
    threads: int | None = None,
    progress: bool = False,
    n_target: int | None = None,
    executor: Any = None,
) -> ScreeningRun:
    """Sample ``n`` septic ICU admissions, simulate each to screening, apply the criteria.

    SOFA and ventilation at screening come from the simulated patient; everything else from the
    population spec. Patients who died before screening are counted but not screened.
    ``executor`` may be a Dask client: admissions are simulated there in fixed chunks, with
    the same result as here.
    """
    study = as_study(scenario)
    n = whole("n", n, 1, MAX_ADMISSIONS)
    seed = whole("seed", seed, 0, MAX_SEED)
    threads = optional_whole("threads", threads, 1, MAX_THREADS)
    if n_target is not None:
        n_target = whole("n_target", n_target, 1, MAX_ADMISSIONS)
    check_fits("n", n, int(n), BYTES_PER_ADMISSION, "septic ICU admissions")
    check_portable(study.scenario, executor)
    # Nobody is followed up here: the frame keeps no model states (a third of its memory).
    frame = frame_chunks(study, int(n), seed, executor, threads, progress, keep_states=False)
    screened = frame.table[frame.alive]
    screened.index = pd.RangeIndex(len(screened))  # not reset_index: that copies every column again
    if len(screened) == 0:
        if int(n) >= 100:
            explain_nobody_alive(study, int(n), frame.table["status"])
        raise ValueError("n: no simulated patient was alive at screening; sample more patients")
    report = screen_table(screened, study.criteria, n_target=n_target)
    if report.n_consented == 0:
        explain_nobody_eligible(study, int(n))
    return ScreeningRun(study, frame, report)
