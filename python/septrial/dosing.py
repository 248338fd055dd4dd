"""Dosing regimens as data: boluses, zero-order infusions and infusion-pump logs.

Per-kg doses use the patient's actual body weight (``weight_kg``) unless a scenario says
otherwise. Times are hours on the simulation clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

BOLUS_UNITS = ("mg", "mg/kg")
RATE_UNITS = ("mg/h", "mg/kg/h")


def _check_number(field: str, value: float, *, allow_inf: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: must be a number, got {value!r}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{field}: must be a finite number, got {value!r}")
    if v < 0:
        raise ValueError(f"{field}: must be >= 0, got {value!r}")
    return v


def _check_unit(field: str, unit: str, allowed: tuple[str, ...]) -> str:
    if unit not in allowed:
        raise ValueError(f"{field}: unknown unit {unit!r}; allowed: {', '.join(allowed)}")
    return unit


@dataclass(frozen=True)
class Bolus:
    """An instantaneous dose into the drug's dosing compartment at ``time_h``.

    Parameters
    ----------
    drug : name of the drug (``"esketamine"``, ``"propofol"``, ...)
    dose : amount in ``unit`` (``"mg"`` or ``"mg/kg"``)
    time_h : administration time in hours
    """

    drug: str
    dose: float
    unit: str = "mg"
    time_h: float = 0.0

    def __post_init__(self) -> None:
        _check_number("dose", self.dose)
        _check_number("time_h", self.time_h)
        _check_unit("unit", self.unit, BOLUS_UNITS)


@dataclass(frozen=True)
class Infusion:
    """A constant-rate infusion from ``start_h`` for ``duration_h`` hours (``None``: to the end).

    Overlapping infusions of the same drug add up.
    """

    drug: str
    rate: float
    unit: str = "mg/h"
    start_h: float = 0.0
    duration_h: float | None = None

    def __post_init__(self) -> None:
        _check_number("rate", self.rate)
        _check_number("start_h", self.start_h)
        if self.duration_h is not None:
            _check_number("duration_h", self.duration_h, allow_inf=True)
        _check_unit("unit", self.unit, RATE_UNITS)

    @property
    def end_h(self) -> float:
        return math.inf if self.duration_h is None else self.start_h + self.duration_h


@dataclass(frozen=True)
class PumpLog:
    """An infusion-pump log: ``steps`` is a list of ``(time_h, rate)``; each rate holds until the
    next step, the last until ``end_h`` (``None``: to the end of the simulation)."""

    drug: str
    steps: Sequence[tuple[float, float]]
    unit: str = "mg/h"
    end_h: float | None = None

    def __post_init__(self) -> None:
        _check_unit("unit", self.unit, RATE_UNITS)
        if len(self.steps) == 0:
            raise ValueError("steps: a pump log needs at least one (time_h, rate) step")
        last = -math.inf
        for i, step in enumerate(self.steps):
            if len(step) != 2:
                raise ValueError(f"steps[{i}]: must be a (time_h, rate) pair, got {step!r}")
            t = _check_number(f"steps[{i}].time_h", step[0])
            _check_number(f"steps[{i}].rate", step[1])
            if t <= last:
                raise ValueError(f"steps[{i}].time_h: times must increase, got {t} after {last}")
            last = t
        if self.end_h is not None and _check_number("end_h", self.end_h) <= last:
            raise ValueError(f"end_h: must be after the last step ({last} h), got {self.end_h}")

    def infusions(self) -> list[Infusion]:
        """The log as consecutive infusions."""
        out = []
        ends = [s[0] for s in self.steps[1:]] + [self.end_h]
        for (t, rate), end in zip(self.steps, ends, strict=False):
            if rate > 0:
                duration = None if end is None else end - t
                out.append(Infusion(self.drug, rate, self.unit, t, duration))
        return out


Dose = Bolus | Infusion | PumpLog


def regimen_tables(
    doses: Iterable[Dose], drugs: Sequence[str], model: str
) -> tuple[np.ndarray, np.ndarray]:
    """Engine tables: boluses (k x 4: drug, time_h, amount, per_kg) and infusions
    (k x 5: drug, start_h, end_h, rate, per_kg)."""
    boluses: list[list[float]] = []
    infusions: list[list[float]] = []
    for i, dose in enumerate(doses):
        if not isinstance(dose, Bolus | Infusion | PumpLog):
            raise ValueError(
                f"doses[{i}]: expected septrial.Bolus, Infusion or PumpLog, "
                f"got {type(dose).__name__}"
            )
        if dose.drug not in drugs:
            allowed = ", ".join(drugs) if drugs else "(none: this model takes no doses)"
            raise ValueError(
                f"doses[{i}].drug: model {model!r} carries no drug {dose.drug!r}; "
                f"allowed: {allowed}"
            )
        d = float(drugs.index(dose.drug))
        if isinstance(dose, Bolus):
            boluses.append([d, dose.time_h, dose.dose, float(dose.unit == "mg/kg")])
            continue
        for inf in dose.infusions() if isinstance(dose, PumpLog) else [dose]:
            infusions.append([d, inf.start_h, inf.end_h, inf.rate, float(inf.unit == "mg/kg/h")])
    return (
        np.asarray(boluses, dtype=float).reshape(-1, 4),
        np.asarray(infusions, dtype=float).reshape(-1, 5),
    )


def repeat(dose: Bolus | Infusion, every_h: float, count: int) -> list[Bolus | Infusion]:
    """``count`` copies of a bolus or infusion, ``every_h`` hours apart (e.g. a loading bolus
    repeated, or daily infusions with breaks)."""
    from dataclasses import replace

    _check_number("every_h", every_h)
    if int(count) < 1:
        raise ValueError(f"count: must be >= 1, got {count!r}")
    if isinstance(dose, Bolus):
        return [replace(dose, time_h=dose.time_h + k * every_h) for k in range(int(count))]
    if isinstance(dose, Infusion):
        return [replace(dose, start_h=dose.start_h + k * every_h) for k in range(int(count))]
    raise ValueError(f"dose: expected a Bolus or an Infusion, got {type(dose).__name__}")
