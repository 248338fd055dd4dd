"""A model as data (``septrial.define_model``): named parameters with units and variability,
covariate relations, states with initial values, the drug each dose enters, algebraic
definitions, one differential equation per state, observables and signals. Every expression is
checked here (syntax and names); errors name the field, e.g.
``equations.A1: unknown name 'Kmm'; allowed: ...``."""

from __future__ import annotations

import ast
import graphlib
import math
import re
from typing import Annotated

from pydantic import Field, model_validator

from septrial import _core
from septrial.spec.base import SpecModel, did_you_mean
from septrial.spec.covariates import PATIENT_COVARIATES
from septrial.spec.expressions import RESERVED, check_names, parse

__all__ = ["InputSignal", "ModelDefinition", "ObservableDef", "ParameterDef", "ResidualErrorDef"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
Name = Annotated[str, Field(pattern=_NAME.pattern)]
Expression = str | float | int


class ParameterDef(SpecModel):
    """A named parameter: typical value, unit, optional log-normal variability and range."""

    value: float
    """Typical value (in ``unit``)."""
    unit: str = ""
    """Unit, e.g. ``L`` or ``L/h``."""
    iiv: float | None = Field(None, ge=0)
    """Variance omega^2 of a log-normal random effect (P exp(eta), eta ~ N(0, iiv)); adds the
    parameter ``omega2_<name>``."""
    iiv_doc: str = ""
    """Meaning and source of the variance ``omega2_<name>`` (with ``iiv``)."""
    lower: float | None = None
    """Smallest allowed value; none: unbounded."""
    upper: float | None = None
    """Largest allowed value; none: unbounded."""
    lower_inclusive: bool = True
    """Whether ``lower`` itself is allowed (false: e.g. a rate that must be positive)."""
    upper_inclusive: bool = True
    """Whether ``upper`` itself is allowed."""
    doc: str = ""
    """Meaning and source."""

    @model_validator(mode="after")
    def _range(self) -> ParameterDef:
        lo = -math.inf if self.lower is None else self.lower
        hi = math.inf if self.upper is None else self.upper
        if lo > hi:
            raise ValueError(f"lower: must be <= upper ({hi}), got {lo}")
        above = lo <= self.value if self.lower_inclusive else lo < self.value
        below = self.value <= hi if self.upper_inclusive else self.value < hi
        if not (above and below):
            left, right = "[" if self.lower_inclusive else "(", "]" if self.upper_inclusive else ")"
            raise ValueError(f"value: must be in {left}{lo}, {hi}{right}, got {self.value}")
        return self


class ObservableDef(SpecModel):
    """An observable with its unit."""

    expr: Expression
    """Expression of states, parameters, definitions, covariates, inputs and ``t``."""
    unit: str = ""
    """Unit, e.g. ``mg/L``."""
    doc: str = ""
    """Meaning."""


class ResidualErrorDef(SpecModel):
    """Measurement (assay) error on an observable, sized by a parameter: proportional
    y (1 + sd e), exponential y exp(sd e) or additive y + sd e, with e ~ N(0, 1)."""

    kind: str = "proportional"
    """The error model: ``proportional``, ``exponential`` or ``additive``
    (``septrial._core.residual_error_kinds()``)."""
    sd: Name
    """The parameter holding the standard deviation (a fraction for proportional and
    exponential errors, the observable's unit for additive ones)."""

    @model_validator(mode="after")
    def _known_kind(self) -> ResidualErrorDef:
        kinds = _core.residual_error_kinds()
        if self.kind not in kinds:
            raise ValueError(
                f"kind: unknown residual error kind {self.kind!r}"
                f"{did_you_mean(self.kind, kinds)}; allowed: {', '.join(kinds)}"
            )
        return self


class InputSignal(SpecModel):
    """A signal the model reads from other modules."""

    unit: str = ""
    """Unit of the signal."""
    default: float | None = None
    """Value when no module writes the signal (none: it must be connected)."""
    doc: str = ""
    """Meaning."""


class ModelDefinition(SpecModel):
    """A model specification: the names below are what its expressions may use."""

    name: Name
    """Registry name (``septrial.models()``)."""
    description: str = ""
    """One line, with the source."""
    parameters: dict[Name, ParameterDef] = {}
    """Parameters by name."""
    covariates: dict[Name, Expression] = {}
    """Covariate relations by parameter, e.g. ``{"V": "V * (weight_kg / 70)"}``: the parameter
    name on the right is its typical value (after variability)."""
    states: dict[Name, Expression] = {}
    """Initial value of each state: a number or an expression of parameters and covariates; none
    for an effect module, whose outputs are expressions of its inputs."""
    doses: dict[Name, Name] = {}
    """The state a drug's doses (mg, mg/h) enter, e.g. ``{"drugx": "A1"}`` (at most one drug)."""
    definitions: dict[Name, Expression] = {}
    """Algebraic quantities, in any order (sorted by dependency; cycles are errors)."""
    equations: dict[Name, Expression] = {}
    """d/dt of each state."""
    observables: dict[Name, Expression | ObservableDef] = {}
    """Observable values by name (with unit: ``{"expr": ..., "unit": ...}``)."""
    inputs: dict[Name, InputSignal] = {}
    """Signals read from other modules."""
    outputs: dict[Name, Expression | ObservableDef] = {}
    """Signals written for other modules (with unit: ``{"expr": ..., "unit": ...}``); a signal's
    name carries its unit, e.g. ``esketamine_ng_ml``."""
    roles: dict[str, Name] = {}
    """Roles the trial engine asks for, mapped to an observable or a state, e.g.
    ``{"sofa": "sofa", "cumulative_hazard": "H"}`` (``septrial._core.role_names()``)."""
    residual_errors: dict[Name, ResidualErrorDef] = {}
    """Assay error by observable, e.g. ``{"il6_pg_ml": {"kind": "proportional", "sd":
    "sigma_il6"}}`` (applied with ``simulate(..., residual_error=True)``)."""

    @model_validator(mode="after")
    def _consistent(self) -> ModelDefinition:
        self._check_names()
        self._check_structure()
        self._check_expressions()
        self.definition_order()
        return self

    # ---- names ----
    def _check_names(self) -> None:
        seen: dict[str, str] = {}
        groups = (
            ("parameters", self.parameters),
            ("states", self.states),
            ("definitions", self.definitions),
            ("inputs", self.inputs),
        )
        for group, names in groups:
            for name in names:
                where = f"{group}.{name}"
                if name in RESERVED or name in PATIENT_COVARIATES:
                    raise ValueError(
                        f"{where}: {name!r} is reserved (time, a function or a covariate)"
                    )
                if name in seen:
                    raise ValueError(f"{where}: {name!r} is already one of the {seen[name]}")
                seen[name] = group
        for name, p in self.parameters.items():
            extra = f"omega2_{name}"
            if p.iiv is not None and extra in seen:
                raise ValueError(f"parameters.{name}.iiv: adds parameter {extra!r}, which exists")

    def _check_structure(self) -> None:
        if not self.states and not self.outputs:
            raise ValueError(
                "states: required unless the model computes outputs from its inputs "
                "(an effect module)"
            )
        for name in self.covariates:
            if name not in self.parameters:
                raise ValueError(
                    f"covariates.{name}: not a parameter{did_you_mean(name, self.parameters)}; "
                    f"allowed: {', '.join(self.parameters) or '(none)'}"
                )
        for state in self.states:
            if state not in self.equations:
                raise ValueError(f"equations: state {state!r} has no equation")
        for state in self.equations:
            if state not in self.states:
                raise ValueError(
                    f"equations.{state}: not a state{did_you_mean(state, self.states)}; "
                    f"allowed: {', '.join(self.states)}"
                )
        kinds = {name: kind for name, kind, _ in _core.role_names()}
        for role, target in self.roles.items():
            if role not in kinds:
                raise ValueError(
                    f"roles.{role}: unknown role{did_you_mean(role, kinds)}; "
                    f"allowed: {', '.join(kinds)}"
                )
            pool = self.states if kinds[role] == "state" else self.observables
            if target not in pool:
                raise ValueError(
                    f"roles.{role}: played by a {kinds[role]}; {target!r} is none"
                    f"{did_you_mean(target, pool)}; allowed: {', '.join(pool) or '(none)'}"
                )
        for observable, error in self.residual_errors.items():
            if observable not in self.observables:
                raise ValueError(
                    f"residual_errors.{observable}: not an observable"
                    f"{did_you_mean(observable, self.observables)}; "
                    f"allowed: {', '.join(self.observables) or '(none)'}"
                )
            if error.sd not in self.parameters:
                raise ValueError(
                    f"residual_errors.{observable}.sd: not a parameter"
                    f"{did_you_mean(error.sd, self.parameters)}; "
                    f"allowed: {', '.join(self.parameters) or '(none)'}"
                )
        if len(self.doses) > 1:
            raise ValueError(f"doses: a model carries one drug, got {', '.join(self.doses)}")
        for drug, state in self.doses.items():
            if state not in self.states:
                raise ValueError(
                    f"doses.{drug}: unknown state {state!r}{did_you_mean(state, self.states)}; "
                    f"allowed: {', '.join(self.states)}"
                )

    # ---- expressions ----
    def allowed(self, field: str) -> list[str]:
        """Names an expression of ``field`` ('covariates', 'states', ...) may use."""
        params, covs = list(self.parameters), list(PATIENT_COVARIATES)
        if field in ("covariates", "states"):
            return params + covs
        return [*params, *covs, *self.states, *self.definitions, *self.inputs, "t"]

    def expressions(self) -> dict[str, dict[str, Expression]]:
        """Every expression by field and key."""
        obs = {
            k: (v.expr if isinstance(v, ObservableDef) else v) for k, v in self.observables.items()
        }
        outputs = {
            k: (v.expr if isinstance(v, ObservableDef) else v) for k, v in self.outputs.items()
        }
        return {
            "covariates": dict(self.covariates),
            "states": dict(self.states),
            "definitions": dict(self.definitions),
            "equations": dict(self.equations),
            "observables": obs,
            "outputs": outputs,
        }

    def trees(self) -> dict[str, dict[str, ast.expr]]:
        """Checked syntax trees of every expression, by field and key."""
        return {
            field: {k: parse(v, f"{field}.{k}") for k, v in exprs.items()}
            for field, exprs in self.expressions().items()
        }

    def _check_expressions(self) -> None:
        for field, exprs in self.trees().items():
            allowed = self.allowed(field)
            for key, tree in exprs.items():
                check_names(tree, f"{field}.{key}", allowed)

    def definition_order(self) -> list[str]:
        """Definitions sorted so that each comes after those it reads; a cycle is an error."""
        trees = self.trees()["definitions"]
        graph = {
            k: {n for n in check_names(tree, f"definitions.{k}", self.allowed("definitions"))}
            & set(self.definitions)
            for k, tree in trees.items()
        }
        try:
            return list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            cycle = " -> ".join(exc.args[1])
            raise ValueError(f"definitions: cycle among definitions: {cycle}") from None
