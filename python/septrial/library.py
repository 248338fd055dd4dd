"""The model library: names, parameters, states and observables of every registered model."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    signals: tuple[dict[str, Any], ...] = ()
    """Signals joining the components (name, unit, default for inputs nobody writes)."""
    roles: Mapping[str, str] = field(default_factory=dict)
    """Roles the model plays for the trial engine (role -> observable or qualified state)."""

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
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"{field}.{name}: unknown parameter of model {self.name!r}{hint}; "
            f"allowed: {', '.join(names)}"
        )

    def qualified(self, name: str, field: str = "params") -> str:
        """The full name of a parameter given by its full or (unambiguous) bare name."""
        return self.parameter_names[self.resolve(name, field)]

    def check_values(self, index: int, values: np.ndarray, field: str = "params") -> None:
        """Every value inside the parameter's declared range (the engine's rule); the message
        names ``field.<parameter>`` and the first offending value."""
        _core.check_parameter_values(self.name, index, np.asarray(values, dtype=float), field)

    def check_value(self, index: int, value: float, field: str = "params") -> None:
        self.check_values(index, np.array([value], dtype=float), field)

    def drug_index(self, drug: str, field: str = "doses.drug") -> int:
        """Index of a drug in the model's drug list; ValueError naming ``field`` otherwise."""
        if drug not in self.drugs:
            allowed = ", ".join(self.drugs) if self.drugs else "(none: this model takes no doses)"
            close = difflib.get_close_matches(drug, self.drugs, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"{field}: model {self.name!r} carries no drug {drug!r}{hint}; allowed: {allowed}"
            )
        return self.drugs.index(drug)

    def qualify(self, params: Mapping[str, Any] | None, field: str = "params") -> dict[str, Any]:
        """Parameter values keyed by their qualified names (bare names resolved)."""
        out: dict[str, Any] = {}
        for name, value in (params or {}).items():
            q = self.qualified(name, field)
            if q in out:
                raise ValueError(f"{field}.{name}: {q} is set twice")
            out[q] = value
        return out

    def _repr_html_(self) -> str:
        return f"<b>{self.name}</b>: {self.description}" + self.parameter_table().to_html()

    def __repr__(self) -> str:
        return (
            f"ModelInfo({self.name!r}: {len(self.parameters)} parameters, "
            f"{len(self.states)} states, observables {[o['name'] for o in self.observables]}, "
            f"drugs {list(self.drugs)})"
        )

    def parameter_matrix(self, params: Mapping[str, Any] | None, n: int) -> np.ndarray:
        """n x P parameter values: defaults overridden by scalars or per-patient arrays."""
        matrix = np.tile(np.array([p["value"] for p in self.parameters], dtype=float), (n, 1))
        for name, value in (params or {}).items():
            j = self.resolve(name)
            if isinstance(value, bool | np.bool_):
                raise ValueError(f"params.{name}: must be a number, got {value!r}")
            try:
                column = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(
                    f"params.{name}: must be a number or one number per patient, got {value!r}"
                ) from None
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


def model_info(name: str) -> ModelInfo:
    """Description of a model; ``ValueError`` listing the allowed names when it does not exist."""
    if not isinstance(name, str):
        raise ValueError(f"model: must be a model name (str), got {name!r}")
    return _model_info(name)


def forget_model_info() -> None:
    """Drops the cached model descriptions (after a model is defined or redefined)."""
    _model_info.cache_clear()


@cache
def _model_info(name: str) -> ModelInfo:
    if name not in _core.models():
        close = difflib.get_close_matches(name, _core.models(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"model: unknown model {name!r}{hint}; allowed: {', '.join(_core.models())}"
        )
    d = _core.model_info(name)
    return ModelInfo(
        name=d["name"],
        description=d["description"],
        parameters=tuple(d["parameters"]),
        states=tuple(d["states"]),
        observables=tuple(d["observables"]),
        drugs=tuple(d["drugs"]),
        components=tuple(d["components"]),
        signals=tuple(d["signals"]),
        roles=dict(d["roles"]),
    )
