"""The model library: names, parameters, states and observables of every registered model."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from septrial import _core


def models() -> list[str]:
    """Names of the available models and compositions."""
    return list(_core.models())


@dataclass(frozen=True)
class ModelInfo:
    """What a model exposes: parameters (units, docs, ranges), states, observables, drugs."""

    name: str
    description: str
    parameters: tuple[dict[str, Any], ...]
    states: tuple[str, ...]
    observables: tuple[dict[str, str], ...]
    drugs: tuple[str, ...]
    components: tuple[dict[str, Any], ...]

    @property
    def parameter_names(self) -> list[str]:
        return [p["name"] for p in self.parameters]

    def defaults(self) -> dict[str, float]:
        return {p["name"]: p["value"] for p in self.parameters}

    def parameter_table(self):
        """Parameters as a pandas DataFrame (name, value, unit, range, doc)."""
        import pandas as pd

        return pd.DataFrame(self.parameters)

    def resolve(self, name: str, field: str = "params") -> int:
        """Index of a parameter; a bare name is accepted when exactly one component has it."""
        names = self.parameter_names
        if name in names:
            return names.index(name)
        matches = [i for i, n in enumerate(names) if n.rsplit(".", 1)[-1] == name]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            options = ", ".join(names[i] for i in matches)
            raise ValueError(
                f"{field}.{name}: ambiguous in model {self.name!r}; use one of {options}"
            )
        raise ValueError(
            f"{field}.{name}: unknown parameter of model {self.name!r}; allowed: {', '.join(names)}"
        )

    def qualified(self, name: str, field: str = "params") -> str:
        """The full name of a parameter given by its full or (unambiguous) bare name."""
        return self.parameter_names[self.resolve(name, field)]

    def check_values(self, index: int, values: np.ndarray, field: str = "params") -> None:
        """Vectorised range check; the message names the first offending value."""
        p = self.parameters[index]
        lo_ok = values >= p["lower"] if p["lower_inclusive"] else values > p["lower"]
        hi_ok = values <= p["upper"] if p["upper_inclusive"] else values < p["upper"]
        bad = ~(np.isfinite(values) & lo_ok & hi_ok)
        if bad.any():
            self.check_value(index, float(values[np.argmax(bad)]), field)

    def check_value(self, index: int, value: float, field: str = "params") -> None:
        p = self.parameters[index]
        lo_ok = value >= p["lower"] if p["lower_inclusive"] else value > p["lower"]
        hi_ok = value <= p["upper"] if p["upper_inclusive"] else value < p["upper"]
        if not (math.isfinite(value) and lo_ok and hi_ok):
            lo = ("[" if p["lower_inclusive"] else "(") + f"{p['lower']:g}"
            hi = f"{p['upper']:g}" + ("]" if p["upper_inclusive"] else ")")
            raise ValueError(
                f"{field}.{p['name']}: must be in {lo}, {hi} {p['unit']}, got {value!r}"
            )

    def parameter_matrix(self, params: Mapping[str, Any] | None, n: int) -> np.ndarray:
        """n x P parameter values: defaults overridden by scalars or per-patient arrays."""
        matrix = np.tile(np.array([p["value"] for p in self.parameters], dtype=float), (n, 1))
        for name, value in (params or {}).items():
            j = self.resolve(name)
            column = np.asarray(value, dtype=float)
            if column.ndim == 0:
                column = np.full(n, float(column))
            if column.shape != (n,):
                raise ValueError(
                    f"params.{name}: needs a scalar or one value per patient ({n}), "
                    f"got shape {column.shape}"
                )
            self.check_values(j, column)
            matrix[:, j] = column
        return matrix


@cache
def model_info(name: str) -> ModelInfo:
    """Description of a model; ``ValueError`` listing the allowed names when it does not exist."""
    if not isinstance(name, str):
        raise ValueError(f"model: must be a model name (str), got {name!r}")
    d = _core.model_info(name)
    return ModelInfo(
        name=d["name"],
        description=d["description"],
        parameters=tuple(d["parameters"]),
        states=tuple(d["states"]),
        observables=tuple(d["observables"]),
        drugs=tuple(d["drugs"]),
        components=tuple(d["components"]),
    )
