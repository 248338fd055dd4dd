"""Doses as typed data: boluses, zero-order infusions and infusion-pump logs, for
``septrial.simulate`` (times on the simulation clock) and, with an ``anchor``, for a trial's
protocol (times relative to a journey event). Per-kg doses use the patient's actual body weight.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from septrial import _core
from septrial.spec.base import SpecModel, spec_error

__all__ = [
    "ANCHORS",
    "BOLUS_UNITS",
    "RATE_UNITS",
    "Bolus",
    "Dose",
    "Infusion",
    "ProtocolBolus",
    "ProtocolDose",
    "ProtocolInfusion",
    "ProtocolPumpLog",
    "PumpLog",
]

BOLUS_UNITS = ("mg", "mg/kg")
RATE_UNITS = ("mg/h", "mg/kg/h")
#: Journey events a protocol dose can be placed after (the engine's list).
ANCHORS = tuple(_core.anchor_names())

BolusUnit = Literal["mg", "mg/kg"]
RateUnit = Literal["mg/h", "mg/kg/h"]
Anchor = Literal[ANCHORS]  # type: ignore[valid-type]
Hours = Annotated[float, Field(ge=0)]
Amount = Annotated[float, Field(ge=0)]


def _plain(value: Any) -> Any:
    """NumPy scalars as Python numbers (strict models take Python types only)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str | bytes) else value


class _Positional(SpecModel):
    """Accepts fields positionally, in declaration order (``Infusion("drugx", 10, "mg/h", 0, 5)``),
    and reports bad values as ``ValueError`` naming the field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = [n for n in type(self).model_fields if n != "type"]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional values")
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}: {name} given twice")
            kwargs[name] = value
        data = {k: _plain(v) for k, v in kwargs.items()}
        if "steps" in data:
            data["steps"] = [[_plain(x) for x in step] for step in data["steps"]]
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise spec_error(exc, data, root="").with_traceback(None) from None


class Bolus(_Positional):
    """An instantaneous dose into the drug's dosing compartment at ``time_h``."""

    drug: str
    """Drug name, one of the model's drugs (e.g. ``esketamine``, ``propofol``)."""
    dose: Amount
    """Amount, in ``unit``."""
    unit: BolusUnit = "mg"
    """``mg``, or ``mg/kg`` of actual body weight."""
    time_h: Hours = 0.0
    """Administration time in hours."""
    type: Literal["bolus"] = "bolus"
    """Dose type: ``bolus``."""

    @property
    def per_kg(self) -> bool:
        return self.unit == "mg/kg"


class Infusion(_Positional):
    """A constant-rate infusion from ``start_h`` for ``duration_h`` hours (``None``: to the end of
    the simulation). Overlapping infusions of the same drug add up."""

    drug: str
    """Drug name, one of the model's drugs."""
    rate: Amount
    """Rate, in ``unit``."""
    unit: RateUnit = "mg/h"
    """``mg/h``, or ``mg/kg/h`` of actual body weight."""
    start_h: Hours = 0.0
    """Start, in hours."""
    duration_h: Hours | None = None
    """Duration in hours; ``null`` runs to the end of the simulated period."""
    type: Literal["infusion"] = "infusion"
    """Dose type: ``infusion``."""

    @property
    def per_kg(self) -> bool:
        return self.unit == "mg/kg/h"

    @property
    def end_h(self) -> float:
        return math.inf if self.duration_h is None else self.start_h + self.duration_h

    def infusions(self) -> list[Infusion]:
        return [self]


class PumpLog(_Positional):
    """An infusion-pump log: ``steps`` lists ``[time_h, rate]``; each rate holds until the next
    step, the last until ``end_h`` (``None``: to the end of the simulation)."""

    drug: str
    """Drug name, one of the model's drugs."""
    steps: list[Annotated[list[Amount], Field(min_length=2, max_length=2)]] = Field(min_length=1)
    """``[time_h, rate]`` pairs (hours, rate in ``unit``), times strictly increasing."""
    unit: RateUnit = "mg/h"
    """Unit of every rate."""
    end_h: Hours | None = None
    """End of the last rate, in hours; ``null`` runs to the end of the simulated period."""
    type: Literal["pump_log"] = "pump_log"
    """Dose type: ``pump_log``."""

    @model_validator(mode="after")
    def _increasing(self) -> PumpLog:
        for i in range(1, len(self.steps)):
            if self.steps[i][0] <= self.steps[i - 1][0]:
                raise ValueError(
                    f"steps[{i}]: times must increase, got {self.steps[i][0]} after "
                    f"{self.steps[i - 1][0]}"
                )
        if self.end_h is not None and self.end_h <= self.steps[-1][0]:
            raise ValueError(f"end_h: must be after the last step ({self.steps[-1][0]} h)")
        return self

    @property
    def per_kg(self) -> bool:
        return self.unit == "mg/kg/h"

    def infusions(self) -> list[Infusion]:
        """The log as consecutive infusions."""
        ends = [s[0] for s in self.steps[1:]] + [self.end_h]
        return [
            Infusion(self.drug, rate, self.unit, t, None if end is None else end - t)
            for (t, rate), end in zip(self.steps, ends, strict=True)
            if rate > 0
        ]


Dose = Bolus | Infusion | PumpLog


class _Protocol(SpecModel):
    anchor: Anchor = "randomisation"
    """Journey event the times count from: infection, icu, screening or randomisation."""
    while_ventilated: bool = False
    """Only for intubated patients, and only until extubation (e.g. sedation)."""
    doc: str = ""
    """Free text: where the dose comes from."""

    @field_validator("drug", check_fields=False)
    @classmethod
    def _named(cls, v: str) -> str:
        if not v:
            raise ValueError("must name a drug")
        return v


class ProtocolBolus(Bolus, _Protocol):
    """A bolus of a trial protocol, ``time_h`` hours after ``anchor``."""


class ProtocolInfusion(Infusion, _Protocol):
    """An infusion of a trial protocol, starting ``start_h`` hours after ``anchor``."""


class ProtocolPumpLog(PumpLog, _Protocol):
    """A pump log of a trial protocol, times counted from ``anchor``."""


ProtocolDose = Annotated[
    ProtocolBolus | ProtocolInfusion | ProtocolPumpLog, Field(discriminator="type")
]
