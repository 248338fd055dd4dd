"""Scenarios: a trial's model, population, criteria, arms, endpoints and analysis plan as JSON.

>>> sc = septrial.Scenario.load("nct04843982")      # bundled name, or a path to a JSON file
>>> sc2 = sc.with_params(IC50=300.0).with_changes({"power.n_trials": 200})
>>> sc.lint()

A scenario may ``"extends"`` another (a bundled name or a relative path) and override parts of it;
dictionaries merge, lists replace. Every scenario is validated with its JSON Schema, and errors
name the JSON path.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from septrial.resources import available, bundled_path

__all__ = ["Scenario", "ScenarioError", "available_scenarios"]


class ScenarioError(ValueError):
    """A scenario that does not validate; the message names the JSON path."""


def available_scenarios() -> list[str]:
    return [name for name in available("") if name != "README"]


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _read(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    path = Path(name_or_path)
    if not (path.suffix == ".json" and path.is_file()):
        path = bundled_path("", str(name_or_path))
    key = str(path.resolve())
    if key in seen:
        raise ScenarioError(f"extends: circular reference through {path}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{path}: not valid JSON: {e}") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = path.parent / parent if (path.parent / parent).is_file() else parent
    return _merge(_read(parent_path, seen + (key,)), data)


def _json_path(error) -> str:
    parts = ["$"]
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else f".{p}")
    return "".join(parts)


class Scenario:
    """A validated scenario. Immutable in use: ``with_*`` methods return changed copies."""

    def __init__(self, data: Mapping[str, Any], extra_criteria: tuple = ()):
        self._data = copy.deepcopy(dict(data))
        self._extra_criteria = tuple(extra_criteria)
        self.validate()

    # ---- construction ----
    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """A bundled scenario by name (see :func:`available_scenarios`) or a JSON file path."""
        return cls(_read(name_or_path))

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def save(self, path: str | Path) -> Path:
        from septrial.io import write_text_atomic

        return write_text_atomic(Path(path), json.dumps(self._data, indent=2) + "\n")

    def validate(self) -> None:
        import jsonschema

        schema = json.loads(bundled_path("schema", "scenario.schema").read_text())
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(self._data), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            raise ScenarioError(f"{_json_path(e)}: {e.message}")
        self._check_references()

    def _check_references(self) -> None:
        names = [e["name"] for e in self._data["endpoints"]]
        if len(set(names)) != len(names):
            raise ScenarioError("$.endpoints: endpoint names must be unique")
        arms = [a["name"] for a in self._data["arms"]]
        if len(set(arms)) != len(arms):
            raise ScenarioError("$.arms: arm names must be unique")
        for i, item in enumerate(self._data["analysis"]["plan"]):
            for key in ("endpoint", "baseline"):
                if key in item and item[key] not in names:
                    raise ScenarioError(
                        f"$.analysis.plan[{i}].{key}: unknown endpoint {item[key]!r}; "
                        f"allowed: {', '.join(names)}"
                    )

    # ---- changes ----
    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """Copy with values set by dotted path, e.g. ``{"power.n_trials": 200,
        "arms.1.doses.0.rate": 0.14}`` (list items by index)."""
        data = self.to_dict()
        for dotted, value in changes.items():
            node: Any = data
            keys = dotted.split(".")
            for k in keys[:-1]:
                node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
            last = keys[-1]
            if isinstance(node, list):
                node[int(last)] = value
            else:
                node[last] = value
        return Scenario(data, self._extra_criteria)

    def with_criteria(self, *criteria) -> Scenario:
        """Copy with extra criteria added from Python, e.g. a callable over the cohort table:
        ``Criterion(id="bmi_cap", kind="exclusion", text="BMI > 35", rule=lambda df: df.bmi > 35)``.
        (Lambdas do not travel to Dask workers; use module-level functions there.)"""
        from septrial.screening import Criterion

        for i, c in enumerate(criteria):
            if not isinstance(c, Criterion):
                raise ValueError(f"criteria[{i}]: must be a septrial.screening.Criterion")
        return Scenario(self._data, self._extra_criteria + tuple(criteria))

    def with_params(self, **params: float) -> Scenario:
        """Copy with model parameters set (e.g. ``IC50=300``, ``I_max=0``)."""
        data = self.to_dict()
        data.setdefault("params", {}).update({k: float(v) for k, v in params.items()})
        return Scenario(data, self._extra_criteria)

    # ---- views ----
    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._data[key])

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._data.get(key, default))

    @property
    def name(self) -> str:
        return self._data["name"]

    @property
    def model(self) -> str:
        return self._data["model"]

    @property
    def arm_names(self) -> list[str]:
        return [a["name"] for a in self._data["arms"]]

    @property
    def endpoint_names(self) -> list[str]:
        return [e["name"] for e in self._data["endpoints"]]

    @property
    def opioids(self) -> bool:
        return bool(self._data.get("covariates", {}).get("opioids", {}).get("value", True))

    @cached_property
    def population(self):
        from septrial.cohort import Population

        pop = Population.load(self._data["population"])
        overrides = self._data.get("population_overrides")
        return pop.with_overrides(overrides) if overrides else pop

    @cached_property
    def criteria(self):
        from septrial.screening import load_criteria_set

        base = load_criteria_set(bundled_path("criteria", self._data["criteria"]))
        if not self._extra_criteria:
            return base
        import dataclasses

        ids = set(base.ids) if hasattr(base, "ids") else set()
        for c in self._extra_criteria:
            if c.id in ids:
                raise ValueError(f"criteria: id {c.id!r} already exists in the scenario")
        return dataclasses.replace(base, criteria=tuple(base.criteria) + self._extra_criteria)

    def engine_spec(self, arms: list[str] | None = None) -> dict[str, Any]:
        """The JSON specification of the C++ trial engine."""
        d = self._data
        chosen = d["arms"] if arms is None else [a for a in d["arms"] if a["name"] in arms]
        engine_arms = []
        for arm in chosen:
            entry: dict[str, Any] = {"name": arm["name"], "doses": arm.get("doses", [])}
            sparing = arm.get("propofol_sparing_fraction", 0.0)
            if sparing:
                entry["background_factor"] = {"propofol": 1.0 - sparing}
            engine_arms.append(entry)

        def strip(doses: list[dict]) -> list[dict]:
            return [{k: v for k, v in x.items() if k != "doc"} for x in doses]

        for a in engine_arms:
            a["doses"] = strip(a["doses"])
        from septrial.library import model_info

        info = model_info(d["model"])
        params = {info.qualified(k): v for k, v in d.get("params", {}).items()}
        return {
            "model": d["model"],
            "params": params,
            "variability": True,
            "journey": d.get("journey", {}),
            "background": strip(d.get("background", [])),
            "arms": engine_arms,
            "endpoints": [{k: v for k, v in e.items() if k != "doc"} for e in d["endpoints"]],
            "measurement": d.get("measurement", {}),
            "solver": d.get("solver", {}),
        }

    def engine(self, arms: list[str] | None = None):
        from septrial import _core

        return _core.TrialEngine(json.dumps(self.engine_spec(arms)))

    def lint(self) -> list:
        """Protocol consistency findings: contradictory bounds, header mismatches, criteria on
        covariates the population does not have, criteria that exclude (almost) everyone."""
        from septrial.cohort.frame import SCREENING_COVARIATES
        from septrial.screening import lint_criteria

        crit = self.criteria
        covariates = dict(self.population.covariates)
        covariates.update(SCREENING_COVARIATES)
        return lint_criteria(crit.criteria, covariates, age_header=crit.age_header)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, model={self.model!r}, arms={self.arm_names})"
