"""Specification modules joined into one specification (``merge_specifications``): the flat
model a tool without septrial's signal bus runs, e.g. the SBML export of the full patient. An
input that another module writes becomes a definition equal to the writer's output; the
other inputs stay inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from septrial.modeldef.define import specification_of
from septrial.spec.base import validate_spec
from septrial.spec.model_spec import ModelDefinition, ObservableDef

__all__ = ["merge_specifications"]

_GROUPS = ("parameters", "states", "definitions")


def _expr(entry: Any) -> Any:
    return entry.expr if isinstance(entry, ObservableDef) else entry


def merge_specifications(
    modules: Sequence[Any], name: str, description: str = ""
) -> ModelDefinition:
    """One specification holding every module (names of defined specification models, dicts,
    ``ModelDefinition`` objects or files); modules share one namespace, so a parameter, state or
    definition name used by two modules is an error naming both (rename it in one)."""
    specs = [specification_of(m) for m in modules]
    owner: dict[str, str] = {}
    merged: dict[str, Any] = {
        "name": name,
        "description": description or " + ".join(s.name for s in specs),
        **{k: {} for k in ("parameters", "covariates", "states", "doses", "definitions")},
        **{k: {} for k in ("equations", "observables", "inputs", "outputs", "roles")},
    }
    writers = {o: (s.name, _expr(e)) for s in specs for o, e in s.outputs.items()}
    for spec in specs:
        for group in _GROUPS:
            for key in getattr(spec, group):
                if key in owner:
                    raise ValueError(
                        f"modules: {key!r} is in both {owner[key]} and {spec.name}; "
                        "rename it in one of them"
                    )
                owner[key] = spec.name
        data = spec.model_dump(exclude_none=True)
        for group in ("parameters", "covariates", "states", "definitions", "equations", "doses"):
            merged[group].update(data[group])
        for group in ("observables", "outputs", "roles"):
            for key, value in data[group].items():
                if key in merged[group] and merged[group][key] != value:
                    raise ValueError(f"modules: {group}.{key} differs between modules")
                merged[group][key] = value
        for signal, value in data["inputs"].items():
            writer = writers.get(signal)
            if writer is not None and writer[0] != spec.name:
                merged["definitions"][signal] = writer[1]
            else:
                merged["inputs"].setdefault(signal, value)
    for signal in list(merged["inputs"]):
        if signal in merged["definitions"]:
            del merged["inputs"][signal]
    return validate_spec(ModelDefinition, merged, root="")
