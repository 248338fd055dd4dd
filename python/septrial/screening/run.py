"""``septrial.screen``: the CONSORT-style funnel of a scenario's criteria on its sampling frame."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from septrial.cohort.frame import Frame, sample_frame
from septrial.screening.funnel import RecruitmentEstimate, ScreeningReport, screen_table

__all__ = ["ScreeningRun", "screen"]


@dataclass
class ScreeningRun:
    """The frame (septic ICU admissions), those alive at screening, and the criteria funnel."""

    scenario: object
    frame: Frame
    report: ScreeningReport

    @property
    def n_admitted(self) -> int:
        return len(self.frame)

    @property
    def n_died_before_screening(self) -> int:
        return int((~self.frame.alive).sum())

    @property
    def n_rejected_infections(self) -> int:
        """Simulated infections that resolved before reaching an ICU (Sepsis-3 not met)."""
        return int(self.frame.table["attempts"].sum())

    def table(self) -> pd.DataFrame:
        """Steps with counts and percentages, from ICU admission to randomisation."""
        head = pd.DataFrame(
            [
                {"step": "septic ICU admissions (sampling frame)", "n": self.n_admitted},
                {"step": "died before screening", "n": self.n_died_before_screening},
            ]
        )
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
        if rate is None:
            rate = self.scenario.get("recruitment", {}).get("septic_admissions_per_month")
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

    def to_markdown(self) -> str:
        lines = [self.report.to_markdown()]
        lines.insert(
            0,
            f"Septic ICU admissions simulated: {self.n_admitted}; died before "
            f"screening: {self.n_died_before_screening}; infections that resolved "
            f"before an ICU (rejected): {self.n_rejected_infections}.\n",
        )
        return "\n".join(lines)

    def plot(self, axes=None):
        """CONSORT funnel and the exclusions per criterion, side by side."""
        import matplotlib.pyplot as plt

        from septrial.plotting.funnel import plot_exclusions, plot_funnel

        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(14, 6))
        plot_funnel(self.report, ax=axes[0])
        plot_exclusions(self.report, ax=axes[1])
        return axes


def screen(
    scenario,
    n: int = 10_000,
    seed: int = 1,
    *,
    threads: int | None = None,
    progress: bool = False,
    n_target: int | None = None,
) -> ScreeningRun:
    """Sample ``n`` septic ICU admissions, simulate each to screening, apply the criteria.

    SOFA and ventilation at screening come from the simulated patient; everything else from the
    population spec. Patients who died before screening are counted but not screened.
    """
    from septrial.scenario import Scenario

    if isinstance(scenario, str):
        scenario = Scenario.load(scenario)
    frame = sample_frame(scenario, n, seed, threads=threads, progress=progress)
    screened = frame.table[frame.alive].reset_index(drop=True)
    if len(screened) == 0:
        raise ValueError("n: no simulated patient was alive at screening; sample more patients")
    report = screen_table(screened, scenario.criteria, n_target=n_target)
    return ScreeningRun(scenario, frame, report)
