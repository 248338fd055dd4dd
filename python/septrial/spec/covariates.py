"""Patient covariates: the one list of names the model library reads, with unit, kind, range and
the value used when a covariate is not given. Population specs, ``septrial.simulate``, the trial
engine's inputs and the criteria language all take their names from here."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CovariateInfo:
    """A patient covariate: ``kind`` is 'continuous', 'boolean' or 'categorical'."""

    name: str
    kind: str
    unit: str = ""
    lower: float = -math.inf
    upper: float = math.inf
    lower_inclusive: bool = True
    default: float | bool | str | None = None
    levels: tuple[str, ...] = ()
    doc: str = ""

    def range_text(self) -> str:
        lo = ("[" if self.lower_inclusive else "(") + f"{self.lower:g}"
        return f"{lo}, {self.upper:g}] {self.unit}".rstrip()

    def admits(self, value: float) -> bool:
        above = value >= self.lower if self.lower_inclusive else value > self.lower
        return math.isfinite(value) and above and value <= self.upper


#: Covariates the model library reads (PK covariate relations, immune links), in engine order.
PATIENT_COVARIATES: dict[str, CovariateInfo] = {
    c.name: c
    for c in (
        CovariateInfo(
            "weight_kg",
            "continuous",
            "kg",
            0.0,
            400.0,
            False,
            70.0,
            doc="actual body weight; per-kg doses use it",
        ),
        CovariateInfo(
            "height_cm", "continuous", "cm", 30.0, 260.0, False, 170.0, doc="standing height"
        ),
        CovariateInfo("age_y", "continuous", "y", 0.0, 120.0, True, 50.0, doc="age in years"),
        CovariateInfo("sex", "categorical", default="male", levels=("female", "male")),
        CovariateInfo(
            "opioids",
            "boolean",
            default=True,
            doc="opioid co-medication (a covariate of the Eleveld 2018 propofol model)",
        ),
    )
}

#: Population columns with a fixed meaning elsewhere in septrial (kind, and levels for sex).
RESERVED_COLUMNS: dict[str, CovariateInfo] = {
    **{k: v for k, v in PATIENT_COVARIATES.items() if k != "opioids"},
    "male": CovariateInfo("male", "boolean", doc="sex == 'male'"),
    "bmi": CovariateInfo("bmi", "continuous", "kg/m2", 0.0, math.inf, False),
    "ffm_kg": CovariateInfo("ffm_kg", "continuous", "kg", 0.0, math.inf, False),
}
