"""Trial endpoints as typed data, one model per ``kind``. Times are hours after randomisation;
observables are the model's (checked against the live model when a scenario loads). Each kind
names the outcome kinds it yields, which decides the analyses that may test it.

Adding a kind: a model here (its fields and ``outcomes``), the reduction in
``cpp/src/endpoints.cpp`` and its enum value in ``cpp/include/septrial/endpoints.hpp``."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from septrial import _core
from septrial.spec.base import SpecModel

Hours = Annotated[float, Field(ge=0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Endpoint(SpecModel):
    name: Name
    """Column name in the per-patient table (lower case, digits, underscores)."""
    doc: str = ""
    """Free text: what the endpoint stands for."""

    outcomes: ClassVar[tuple[str, ...]] = ("continuous",)
    """Outcome kinds of this endpoint (``continuous``, ``binary``, ``survival``)."""

    def times(self) -> list[float]:
        """Sampling times the endpoint needs (h after randomisation)."""
        return []

    @property
    def observed(self) -> str | None:
        return getattr(self, "observable", None)

    def engine(self) -> _core.EndpointSpec:
        """The engine's struct: every field set (the engine holds no defaults)."""
        e = _core.EndpointSpec()
        e.name, e.kind = self.name, self.kind  # type: ignore[attr-defined]
        e.observable = self.observed or ""
        e.time_h = getattr(self, "time_h", 0.0)
        e.baseline_h = getattr(self, "baseline_h", 0.0)
        e.from_h = getattr(self, "from_h", 0.0)
        e.to_h = getattr(self, "to_h", 0.0)
        e.every_h = getattr(self, "every_h", 1.0)
        e.threshold = getattr(self, "threshold", 0.0)
        e.above = getattr(self, "direction", "above") == "above"
        return e


class Value(_Endpoint):
    """The observable's value at ``time_h``."""

    kind: Literal["value"]
    """Endpoint kind: ``value``."""
    observable: str
    """Model observable, e.g. ``il6_pg_ml``."""
    time_h: Hours
    """Sampling time, h after randomisation."""

    def times(self) -> list[float]:
        return [self.time_h]


class _FromBaseline(_Endpoint):
    observable: str
    """Model observable."""
    time_h: Hours
    """Sampling time, h after randomisation."""
    baseline_h: Hours = 0.0
    """Baseline sampling time, h after randomisation."""

    def times(self) -> list[float]:
        return [self.baseline_h, self.time_h]


class Change(_FromBaseline):
    """Value at ``time_h`` minus value at ``baseline_h``."""

    kind: Literal["change"]
    """Endpoint kind: ``change``."""


class LogRatio(_FromBaseline):
    """ln(value at ``time_h`` / value at ``baseline_h``)."""

    kind: Literal["log_ratio"]
    """Endpoint kind: ``log_ratio``."""


class _Window(_Endpoint):
    observable: str
    """Model observable."""
    from_h: Hours = 0.0
    """Window start, h after randomisation."""
    to_h: Hours
    """Window end, h after randomisation."""
    every_h: float = Field(24.0, gt=0)
    """Sampling interval within the window, h."""

    @model_validator(mode="after")
    def _ordered(self):
        if self.to_h < self.from_h:
            raise ValueError(f"to_h: must be >= from_h ({self.from_h}), got {self.to_h}")
        return self

    def times(self) -> list[float]:
        out, t = [], self.from_h
        while t < self.to_h - 1e-9:
            out.append(t)
            t += self.every_h
        return [*out, self.to_h]


class Auc(_Window):
    """Trapezoidal area under the sampled values over the window."""

    kind: Literal["auc"]
    """Endpoint kind: ``auc``."""


class Min(_Window):
    """Smallest sampled value in the window."""

    kind: Literal["min"]
    """Endpoint kind: ``min``."""


class Max(_Window):
    """Largest sampled value in the window."""

    kind: Literal["max"]
    """Endpoint kind: ``max``."""


class TimeTo(_Window):
    """Time of the first sample at or beyond ``threshold`` (censored at the last sample taken
    alive when none is)."""

    kind: Literal["time_to"]
    """Endpoint kind: ``time_to``."""
    threshold: float
    """Threshold in the observable's unit."""
    direction: Literal["above", "below"] = "above"
    """``above``: first sample >= threshold; ``below``: first sample <= threshold."""

    outcomes: ClassVar[tuple[str, ...]] = ("survival",)


class EventBy(_Endpoint):
    """Death by ``time_h`` (1/0); as a time-to-event, death censored at the end of follow-up."""

    kind: Literal["event_by"]
    """Endpoint kind: ``event_by``."""
    time_h: Hours
    """Horizon, h after randomisation."""

    outcomes: ClassVar[tuple[str, ...]] = ("binary", "survival")


Endpoint = Annotated[
    Value | Change | LogRatio | Auc | Min | Max | TimeTo | EventBy, Field(discriminator="kind")
]
ENDPOINT_KINDS = (Value, Change, LogRatio, Auc, Min, Max, TimeTo, EventBy)
