"""The rules of a population spec that span fields, each stated once: names resolve only to
covariates listed earlier, reserved columns keep their kind, sums and orderings, strata, formulas,
``only_if``/``otherwise`` and the correlation matrix. Every failure is a :class:`SpecError` whose
message starts with the JSON path and names the allowed values or range.

The helpers that turn names and values into engine codes (:class:`Scope`, :func:`value_code`,
:func:`formula_inputs`, :func:`strata_names`) are shared with :mod:`septrial.cohort.engine_spec`,
so the checked meaning and the sampled one cannot drift apart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from septrial.spec.base import did_you_mean, fail
from septrial.spec.covariates import RESERVED_COLUMNS

if TYPE_CHECKING:
    from septrial.spec.population import Condition, PopulationSpec

__all__ = [
    "Column",
    "Scope",
    "check_population",
    "continuous_marginal",
    "formula_inputs",
    "strata_names",
    "value_code",
    "value_kind",
]

#: Inputs of each derived formula, in the engine's order; "a|b" accepts either (first found).
_FORMULA_NEEDS = {
    "male": ("sex",),
    "bmi": ("weight_kg", "height_cm"),
    "weight_from_bmi": ("bmi", "height_cm"),
    "ffm_janmahasatian": ("age_y", "sex|male", "weight_kg", "bmi"),
}
_INPUT_KIND = {"sex": "categorical", "male": "boolean"}  # the other inputs are continuous
_EPS = 1e-12


@dataclass(frozen=True)
class Column:
    """What later covariates can see of a covariate: its kind and (categorical) levels."""

    name: str
    kind: str
    levels: tuple[str, ...]
    path: str


def value_kind(dist: Any) -> tuple[str, tuple[str, ...]]:
    """(kind, levels) of the values a (checked) distribution gives."""
    t = dist.type
    if t == "categorical":
        return "categorical", tuple(dist.levels)
    if t in ("bernoulli", "bernoulli_logit", "bernoulli_mixture"):
        return "boolean", ()
    if t == "stratified":
        return value_kind(next(iter(dist.strata.values())))
    if t == "derived" and dist.formula == "male":
        return "boolean", ()
    return "continuous", ()


def continuous_marginal(dist: Any) -> bool:
    """True for distributions with a continuous inverse CDF (allowed in the copula)."""
    if dist.type == "stratified":
        return all(continuous_marginal(s) for s in dist.strata.values())
    return dist.type in ("normal", "lognormal", "truncated", "empirical_cdf")


def strata_names(column: Column) -> list[str]:
    """Stratum names of a stratifying column, in code order (levels, or false/true)."""
    return list(column.levels) if column.kind == "categorical" else ["false", "true"]


class Scope:
    """Name resolution while walking the covariates: only those listed earlier are visible."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.earlier: list[Column] = []

    def resolve(self, name: str, path: str) -> int:
        """Index of an earlier covariate; SpecError saying 'defined later' or 'unknown'."""
        visible = [c.name for c in self.earlier]
        if name in visible:
            return visible.index(name)
        if name in self.names:
            at = self.names.index(name)
            fail(
                path,
                f"covariate {name!r} is defined later (at $.covariates[{at}]); a covariate may "
                "depend only on covariates listed before it",
            )
        fail(
            path,
            f"unknown covariate {name!r}{did_you_mean(name, visible)}; covariates available "
            f"here: {', '.join(visible) or '(none)'}",
        )
        raise AssertionError  # fail() always raises

    def column(self, name: str, path: str) -> Column:
        """The earlier covariate ``name`` (see :meth:`resolve`)."""
        return self.earlier[self.resolve(name, path)]


def value_code(column: Column, value: Any, path: str) -> float:
    """A fixed value of ``column`` as the engine stores it: a number, 0/1 or a level index."""
    if column.kind == "categorical":
        if isinstance(value, str) and value in column.levels:
            return float(column.levels.index(value))
        fail(path, f"must be a level of {column.name!r}", value, column.levels)
    if column.kind == "boolean":
        if isinstance(value, bool) or value in (0, 1):
            return float(value)
        fail(path, f"{column.name!r} is boolean", value, ["true", "false"])
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(path, f"{column.name!r} is continuous; give a number", value)
    return float(value)


def formula_inputs(formula: str, scope: Scope, path: str) -> list[int]:
    """Indices of the earlier covariates a derived formula reads, in the engine's order."""
    found: list[int] = []
    missing: list[str] = []
    visible = [c.name for c in scope.earlier]
    for need in _FORMULA_NEEDS[formula]:
        options = [o for o in need.split("|") if o in visible]
        if not options:
            missing.append(" or ".join(need.split("|")))
            continue
        index = visible.index(options[0])
        want = _INPUT_KIND.get(options[0], "continuous")
        if scope.earlier[index].kind != want:
            fail(path, f"formula {formula!r} needs {options[0]!r} to be {want}")
        found.append(index)
    if missing:
        fail(
            path,
            f"formula {formula!r} needs covariates listed before this one: "
            f"{', '.join(missing)} (missing)",
        )
    return found


# -- the checks ---------------------------------------------------------------------------------


def _check_condition(cond: Condition, path: str, scope: Scope) -> None:
    column = scope.column(cond.covariate, f"{path}.covariate")
    given = cond.model_fields_set
    if "equals" in given and given & {"min", "max"}:
        fail(f"{path}.equals", "give either equals or min/max, not both")
    if "equals" in given:
        value_code(column, cond.equals, f"{path}.equals")
    elif given & {"min", "max"}:
        if column.kind != "continuous":
            key = "min" if "min" in given else "max"
            fail(
                f"{path}.{key}",
                f"min/max need a continuous covariate; {column.name!r} is {column.kind}",
            )
        lo = -math.inf if cond.min is None else cond.min
        hi = math.inf if cond.max is None else cond.max
        if not lo < hi:
            fail(f"{path}.max", f"must be greater than min ({lo:g})", hi)
    elif column.kind != "boolean":
        allowed = (
            f"equals (one of {', '.join(column.levels)})"
            if column.kind == "categorical"
            else "equals or min/max"
        )
        fail(path, f"{column.name!r} is {column.kind}; give {allowed}")


def _check_truncated(d: Any, path: str) -> None:
    if d.lower is None and d.upper is None:
        fail(f"{path}.lower", "give lower, upper or both")
    lo = -math.inf if d.lower is None else d.lower
    hi = math.inf if d.upper is None else d.upper
    if not lo < hi:
        fail(f"{path}.upper", f"must be greater than lower ({lo:g})", hi)
    log = d.base.type == "lognormal"
    if log and d.lower is not None and d.lower < 0:
        fail(f"{path}.lower", "must be >= 0 for a lognormal base", d.lower)
    mu = d.base.mean if not log else _meanlog(d.base)
    sigma = d.base.sd if not log else d.base.sdlog

    def z(x: float) -> float:
        if math.isinf(x):
            return x
        if log:
            return (math.log(x) - mu) / sigma if x > 0 else -math.inf
        return (x - mu) / sigma

    a, b = z(lo), z(hi)
    if math.isinf(a) and math.isinf(b):
        fail(f"{path}.lower", "lower/upper do not truncate the base distribution")
    if a + b > 0:  # the tail that keeps precision, as the engine does
        a, b = -b, -a
    phi = NormalDist().cdf
    pa = 0.0 if a == -math.inf else phi(a)
    pb = 1.0 if b == math.inf else phi(b)
    if not pb > pa:
        fail(
            path, f"the interval [{lo:g}, {hi:g}] has zero probability under the base distribution"
        )


def _meanlog(d: Any) -> float:
    return d.meanlog if d.meanlog is not None else math.log(d.median)


def _check_lognormal(d: Any, path: str) -> None:
    given = d.model_fields_set
    if "median" in given and "meanlog" in given:
        fail(f"{path}.meanlog", "give either median or meanlog, not both")
    if d.median is None and d.meanlog is None:
        fail(f"{path}.median", "required field is missing (or give meanlog)")


def _check_categorical(d: Any, path: str) -> None:
    seen: set[str] = set()
    for i, level in enumerate(d.levels):
        if level in seen:
            fail(f"{path}.levels[{i}]", f"duplicate level {level!r}; levels must be unique")
        seen.add(level)
    if len(d.probs) != len(d.levels):
        fail(
            f"{path}.probs", f"must have one entry per level ({len(d.levels)}), got {len(d.probs)}"
        )
    total = math.fsum(d.probs)
    if abs(total - 1.0) > 1e-6:
        fail(f"{path}.probs", f"must sum to 1 (within 1e-6), got {total:.10g}")


def _check_logit(d: Any, path: str, scope: Scope) -> None:
    for k, term in enumerate(d.terms):
        tp = f"{path}.terms[{k}]"
        column = scope.column(term.covariate, f"{tp}.covariate")
        if column.kind == "categorical":
            if term.equals is None:
                fail(
                    f"{tp}.equals",
                    f"required for categorical covariate {column.name!r}",
                    allowed=column.levels,
                )
            for key in ("per", "ref"):
                if key in term.model_fields_set:
                    fail(
                        f"{tp}.{key}",
                        "not used with a categorical covariate (the term is an indicator)",
                    )
            value_code(column, term.equals, f"{tp}.equals")
        elif term.equals is not None:
            fail(
                f"{tp}.equals", f"only for categorical covariates; {column.name!r} is {column.kind}"
            )


def _check_empirical(d: Any, path: str) -> None:
    if d.weights is not None:
        if len(d.weights) != len(d.values):
            fail(
                f"{path}.weights",
                f"must have one entry per value ({len(d.values)}), got {len(d.weights)}",
            )
        if not math.fsum(d.weights) > 0:
            fail(f"{path}.weights", "must sum to a positive value", math.fsum(d.weights))


def _check_cdf(d: Any, path: str) -> None:
    if len(d.cdf) != len(d.values):
        fail(f"{path}.cdf", f"must have one entry per value ({len(d.values)}), got {len(d.cdf)}")
    for i in range(1, len(d.values)):
        if d.values[i] < d.values[i - 1]:
            fail(f"{path}.values[{i}]", "values must be non-decreasing", d.values[i])
        if d.cdf[i] < d.cdf[i - 1]:
            fail(f"{path}.cdf[{i}]", "cdf must be non-decreasing", d.cdf[i])
    if d.cdf[0] != 0.0 or d.cdf[-1] != 1.0:
        fail(f"{path}.cdf", "must start at 0 and end at 1")


def _check_stratified(d: Any, path: str, scope: Scope) -> None:
    column = scope.column(d.by, f"{path}.by")
    if column.kind == "continuous":
        fail(
            f"{path}.by",
            f"{column.name!r} is continuous; stratify by a categorical or boolean covariate",
        )
    names = strata_names(column)
    for key in d.strata:
        if key not in names:
            fail(f"{path}.strata.{key}", "unknown stratum", key, names)
    missing = [n for n in names if n not in d.strata]
    if missing:
        fail(f"{path}.strata", f"missing strata for: {', '.join(missing)}")
    first = None
    for n in names:
        _check_distribution(d.strata[n], f"{path}.strata.{n}", scope)
        kind = value_kind(d.strata[n])
        first = first or kind
        if kind != first:
            fail(
                f"{path}.strata.{n}",
                "all strata must give the same kind of value (and the "
                f"same levels); the first gives {first[0]}",
            )


def _check_distribution(d: Any, path: str, scope: Scope) -> None:
    t = d.type
    if t == "lognormal":
        _check_lognormal(d, path)
    elif t == "truncated":
        _check_distribution(d.base, f"{path}.base", scope)
        _check_truncated(d, path)
    elif t == "categorical":
        _check_categorical(d, path)
    elif t == "bernoulli_logit":
        _check_logit(d, path, scope)
    elif t == "bernoulli_mixture":
        for k, cause in enumerate(d.causes):
            _check_condition(cause, f"{path}.if[{k}]", scope)
    elif t == "empirical":
        _check_empirical(d, path)
    elif t == "empirical_cdf":
        _check_cdf(d, path)
    elif t == "stratified":
        _check_stratified(d, path, scope)
    elif t == "derived":
        formula_inputs(d.formula, scope, f"{path}.formula")


def _check_reserved(name: str, kind: str, levels: tuple[str, ...], path: str) -> None:
    info = RESERVED_COLUMNS.get(name)
    if info is None:
        return
    if kind != info.kind or (info.levels and levels != info.levels):
        what = info.kind
        if info.levels:
            codes = ", ".join(f"{i} = {v}" for i, v in enumerate(info.levels))
            what += f" with levels {list(info.levels)} in this order (code {codes})"
        fail(
            f"{path}.type",
            f"{name!r} is reserved and must be {what}; got {kind}"
            + (f" with levels {list(levels)}" if levels else ""),
        )


def _check_covariate(entry: Any, path: str, scope: Scope) -> Column:
    _check_distribution(entry, path, scope)
    kind, levels = value_kind(entry)
    _check_reserved(entry.name, kind, levels, path)
    column = Column(entry.name, kind, levels, path)
    given = entry.model_fields_set
    if entry.only_if is not None:
        for k, cond in enumerate(entry.only_if):
            _check_condition(cond, f"{path}.only_if[{k}]", scope)
        if "otherwise" in given:
            value_code(column, entry.otherwise, f"{path}.otherwise")
        elif kind != "boolean":
            fail(f"{path}.otherwise", f"required with only_if for a {kind} covariate")
    elif "otherwise" in given:
        fail(f"{path}.otherwise", "only used together with only_if")
    return column


def _check_correlation(spec: PopulationSpec, columns: list[Column]) -> None:
    cor = spec.correlation
    if cor is None:
        return
    entries = {e.name: e for e in spec.covariates}
    eligible = [c.name for c in columns if continuous_marginal(entries[c.name])]
    for i, name in enumerate(cor.variables):
        p = f"$.correlation.variables[{i}]"
        if name not in entries:
            fail(p, "unknown covariate", name, eligible)
        if name not in eligible:
            fail(p, f"covariate {name!r} is not continuous", allowed=eligible)
        if name in cor.variables[:i]:
            fail(p, f"duplicate variable {name!r}")
    k, mp = len(cor.variables), "$.correlation.matrix"
    if len(cor.matrix) != k:
        fail(mp, f"must be a {k} x {k} array (one row per variable), got {len(cor.matrix)} rows")
    for r, row in enumerate(cor.matrix):
        if len(row) != k:
            fail(f"{mp}[{r}]", f"must be an array of {k} numbers, got {len(row)}")
        if abs(row[r] - 1.0) > _EPS:
            fail(f"{mp}[{r}][{r}]", "diagonal entries must be 1", row[r])
        for c in range(r):
            if abs(row[c] - cor.matrix[c][r]) > _EPS:
                fail(
                    f"{mp}[{r}][{c}]",
                    f"matrix must be symmetric: differs from matrix[{c}][{r}]"
                    f" ({cor.matrix[c][r]:g})",
                    row[c],
                )
    m = np.array(cor.matrix, dtype=float)
    try:
        ok = bool(np.all(np.diag(np.linalg.cholesky(m)) > 1e-7))
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        low = float(np.linalg.eigvalsh(m).min())
        fail(
            mp,
            f"correlation matrix is not positive definite (smallest eigenvalue {low:.3g}; "
            "all must be > 0)",
        )


def check_population(spec: PopulationSpec) -> list[Column]:
    """Check every cross-field rule of a model-validated spec; the columns in order."""
    names = [e.name for e in spec.covariates]
    scope = Scope(names)
    for i, entry in enumerate(spec.covariates):
        path = f"$.covariates[{i}]"
        if entry.name == "patient":
            fail(f"{path}.name", "'patient' is reserved for the patient index column")
        if entry.name in names[:i]:
            first = names.index(entry.name)
            fail(
                f"{path}.name",
                f"duplicate covariate {entry.name!r} (first defined at $.covariates[{first}])",
            )
        scope.earlier.append(_check_covariate(entry, path, scope))
    _check_correlation(spec, scope.earlier)
    return scope.earlier
