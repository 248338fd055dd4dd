"""A validated population spec as the C++ engine's structs: names become column indices, level
names and booleans become codes, omitted values take the models' defaults. The engine's factories
check only invariants; any error they raise is re-raised naming the JSON path it came from."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from septrial import _core
from septrial.spec.base import SpecError
from septrial.spec.population import PopulationSpec
from septrial.spec.population_rules import (
    Column,
    Scope,
    check_population,
    formula_inputs,
    strata_names,
    value_code,
)

__all__ = ["to_engine"]


def _bound(x: float | None, default: float) -> float:
    return default if x is None else float(x)


def _condition(cond: Any, path: str, scope: Scope) -> Any:
    core = _core
    index = scope.resolve(cond.covariate, f"{path}.covariate")
    given = cond.model_fields_set
    if "equals" in given:
        return core.Condition.equals(index, value_code(scope.earlier[index], cond.equals, path))
    if given & {"min", "max"}:
        return core.Condition.range(index, _bound(cond.min, -math.inf), _bound(cond.max, math.inf))
    return core.Condition.is_true(index)


def _logit_term(term: Any, path: str, scope: Scope) -> Any:
    core = _core
    index = scope.resolve(term.covariate, f"{path}.covariate")
    column = scope.earlier[index]
    if column.kind == "categorical":
        level = value_code(column, term.equals, f"{path}.equals")
        return core.LogitTerm.indicator_of(index, level, term.odds_ratio)
    return core.LogitTerm.slope(index, term.odds_ratio, term.per, term.ref)


def _distribution(d: Any, path: str, scope: Scope) -> Any:
    """The engine Distribution of a (checked) distribution model."""
    D = _core.Distribution
    t = d.type
    if t == "normal":
        return D.normal(d.mean, d.sd)
    if t == "lognormal":
        return D.lognormal(d.meanlog if d.meanlog is not None else math.log(d.median), d.sdlog)
    if t == "truncated":
        base = _distribution(d.base, f"{path}.base", scope)
        return D.truncated(base, _bound(d.lower, -math.inf), _bound(d.upper, math.inf))
    if t == "categorical":
        return D.categorical(list(d.levels), list(d.probs))
    if t == "bernoulli":
        return D.bernoulli(d.p)
    if t == "bernoulli_logit":
        terms = [_logit_term(x, f"{path}.terms[{k}]", scope) for k, x in enumerate(d.terms)]
        return D.bernoulli_logit(d.p_ref, terms)
    if t == "bernoulli_mixture":
        causes = [
            _core.MixtureTerm(_condition(c, f"{path}.if[{k}]", scope), c.p)
            for k, c in enumerate(d.causes)
        ]
        return D.bernoulli_mixture(d.base, causes)
    if t == "empirical":
        return D.empirical(list(d.values), list(d.weights or []))
    if t == "empirical_cdf":
        return D.empirical_cdf(list(d.values), list(d.cdf))
    if t == "stratified":
        by = scope.resolve(d.by, f"{path}.by")
        names = strata_names(scope.earlier[by])
        strata = [_distribution(d.strata[n], f"{path}.strata.{n}", scope) for n in names]
        return D.stratified(by, strata)
    if t == "derived":
        inputs = formula_inputs(d.formula, scope, f"{path}.formula")
        return D.derived(getattr(_core.Formula, d.formula), inputs)
    raise AssertionError(f"{path}: unhandled distribution type {t!r}")


def _covariate(entry: Any, column: Column, scope: Scope) -> Any:
    core = _core
    only_if = [
        _condition(c, f"{column.path}.only_if[{k}]", scope)
        for k, c in enumerate(entry.only_if or [])
    ]
    otherwise = 0.0  # false: the default of a boolean covariate (others must give one)
    if entry.otherwise is not None:
        otherwise = value_code(column, entry.otherwise, f"{column.path}.otherwise")
    dist = _distribution(entry, column.path, scope)
    return core.CovariateSpec(
        name=entry.name, path=column.path, dist=dist, only_if=only_if, otherwise=otherwise
    )


def to_engine(spec: PopulationSpec) -> Any:
    """The ``_core.PopulationSpec`` of a validated spec; a ValueError from the engine becomes a
    :class:`SpecError` naming the JSON path of the covariate (or correlation) it came from."""
    core = _core
    columns = check_population(spec)
    scope = Scope([c.name for c in columns])
    covariates = []
    for entry, column in zip(spec.covariates, columns, strict=True):
        try:
            covariates.append(_covariate(entry, column, scope))
        except SpecError:
            raise
        except ValueError as exc:
            raise SpecError(f"{column.path}: {exc}") from None
        scope.earlier.append(column)
    correlation = None
    if spec.correlation is not None:
        names = [c.name for c in columns]
        variables = [names.index(v) for v in spec.correlation.variables]
        try:
            correlation = core.CorrelationSpec(
                variables=variables, matrix=np.array(spec.correlation.matrix, dtype=float)
            )
        except ValueError as exc:
            raise SpecError(f"$.correlation: {exc}") from None
    try:
        return core.PopulationSpec(name=spec.name, covariates=covariates, correlation=correlation)
    except ValueError as exc:
        raise SpecError(str(exc) if str(exc).startswith("$") else f"$: {exc}") from None
