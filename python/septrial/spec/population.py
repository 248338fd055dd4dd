"""The population spec: baseline covariates of a virtual cohort, described once as pydantic models.

A spec lists named covariates in sampling order; each is a distribution (discriminated on ``type``)
that may depend on covariates listed before it and may carry ``only_if`` conditions. An optional
``correlation`` block joins continuous covariates through a Gaussian copula. The models check each
field (types, ranges, unknown keys); :mod:`septrial.spec.population_rules` checks what spans fields
(name resolution, reserved columns, sums, strata, the correlation matrix). The JSON Schema in
``scenarios/schema/population.schema.json`` is generated from these models
(:func:`population_schema`). The C++ engine receives structs built from a validated spec
(:mod:`septrial.cohort.engine_spec`) and parses no JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, ValidationError

from septrial.spec.base import SpecError, SpecModel, did_you_mean, json_path, spec_error
from septrial.spec.population_rules import check_population

__all__ = [
    "DISTRIBUTION_TYPES",
    "FORMULAS",
    "PopulationSpec",
    "loads",
    "validate_population",
]

FORMULAS = ("male", "bmi", "weight_from_bmi", "ffm_janmahasatian")

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Meta(SpecModel):
    """Metadata any object of the spec may carry; it does not change sampling."""

    source: str = ""
    """Where the value comes from (a citation)."""
    assumption: bool = False
    """true for an assumption ([A]) rather than a sourced value."""
    note: str = ""
    """Free text for the reader."""


# -- conditions and terms ---------------------------------------------------------------------


class Condition(Meta):
    """Holds when a boolean covariate is true (no other key), when a covariate equals a value, or
    when a continuous covariate lies in [min, max)."""

    covariate: Name
    """An earlier covariate."""
    equals: bool | float | str | None = None
    """A level name (categorical), true/false (boolean) or a number (continuous)."""
    min: float | None = None
    """Inclusive lower bound (min <= x); continuous covariates only; none if omitted."""
    max: float | None = None
    """Exclusive upper bound (x < max); continuous covariates only; none if omitted."""


class MixtureCause(Condition):
    """An independent cause of a bernoulli_mixture: fires with probability p when it holds."""

    p: Probability
    """Probability that the cause fires when its condition holds, in [0, 1]."""


class LogitTerm(Meta):
    """A term of a bernoulli_logit: ln(odds_ratio) * (x - ref) / per, or for a categorical
    covariate ln(odds_ratio) * (x == equals)."""

    covariate: Name
    """An earlier covariate (a boolean one enters as 0/1)."""
    odds_ratio: Positive
    """Odds ratio per `per` units (or of the level `equals` against the others), > 0."""
    per: Positive = 1.0
    """Units of the covariate per odds ratio (e.g. 10 y); not for categorical covariates."""
    ref: float = 0.0
    """Covariate value at which p_ref applies; not for categorical covariates."""
    equals: str | None = None
    """For a categorical covariate (and only then): the level whose indicator enters."""


# -- distributions ----------------------------------------------------------------------------


class Normal(Meta):
    """Normal distribution."""

    type: Literal["normal"]
    """Selects this distribution: 'normal'."""
    mean: float
    """Mean."""
    sd: Positive
    """Standard deviation, > 0."""


class Lognormal(Meta):
    """Lognormal distribution: give the median or meanlog (not both) and sdlog."""

    type: Literal["lognormal"]
    """Selects this distribution: 'lognormal'."""
    median: Positive | None = None
    """Median, > 0 (meanlog = ln(median))."""
    meanlog: float | None = None
    """Mean of the logarithm."""
    sdlog: Positive
    """Standard deviation of the logarithm, > 0."""


class Truncated(Meta):
    """Exact inverse-CDF truncation of a normal or lognormal base to [lower, upper]; give lower,
    upper or both."""

    type: Literal["truncated"]
    """Selects this distribution: 'truncated'."""
    base: Annotated[Normal | Lognormal, Field(discriminator="type")]
    """The distribution before truncation (normal or lognormal)."""
    lower: float | None = None
    """Lower bound (>= 0 for a lognormal base); none if omitted."""
    upper: float | None = None
    """Upper bound, > lower; none if omitted."""


class Categorical(Meta):
    """One of the named levels; the value is the level's index."""

    type: Literal["categorical"]
    """Selects this distribution: 'categorical'."""
    levels: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """Level names, unique and non-empty."""
    probs: list[Probability] = Field(min_length=1)
    """Probability of each level, in [0, 1], summing to 1."""


class Bernoulli(Meta):
    """true with probability p."""

    type: Literal["bernoulli"]
    """Selects this distribution: 'bernoulli'."""
    p: Probability
    """Probability of true, in [0, 1]."""


class BernoulliLogit(Meta):
    """true with probability P, logit P = logit(p_ref) + the sum of the terms."""

    type: Literal["bernoulli_logit"]
    """Selects this distribution: 'bernoulli_logit'."""
    p_ref: float = Field(gt=0.0, lt=1.0)
    """Probability at the reference values of the terms, in (0, 1)."""
    terms: list[LogitTerm] = []
    """Covariate effects on the logit scale."""
    target_prevalence: float | None = Field(default=None, gt=0.0, lt=1.0)
    """Documentation: the cohort prevalence p_ref was calibrated to, in (0, 1); not used for
    sampling (see Population.calibrate_prevalence)."""


class BernoulliMixture(Meta):
    """Independent causes: P = 1 - (1 - base) * product over causes whose condition holds of
    (1 - p)."""

    type: Literal["bernoulli_mixture"]
    """Selects this distribution: 'bernoulli_mixture'."""
    base: Probability
    """Probability without any cause, in [0, 1]."""
    causes: list[MixtureCause] = Field(default=[], alias="if")
    """The causes (conditions with a probability)."""


class Empirical(Meta):
    """A discrete draw from the values, with the given weights (equal if omitted)."""

    type: Literal["empirical"]
    """Selects this distribution: 'empirical'."""
    values: list[float] = Field(min_length=1)
    """The values."""
    weights: list[Annotated[float, Field(ge=0.0)]] | None = None
    """Non-negative weight of each value, with a positive sum; equal weights if omitted."""


class EmpiricalCdf(Meta):
    """Piecewise-linear CDF through (values[i], cdf[i])."""

    type: Literal["empirical_cdf"]
    """Selects this distribution: 'empirical_cdf'."""
    values: list[float] = Field(min_length=2)
    """Points, non-decreasing."""
    cdf: list[Probability] = Field(min_length=2)
    """CDF at each point, non-decreasing from 0 to 1."""


class Stratified(Meta):
    """One distribution per level of an earlier categorical covariate ("false"/"true" for a
    boolean one); all strata give the same kind of value."""

    type: Literal["stratified"]
    """Selects this distribution: 'stratified'."""
    by: Name
    """An earlier categorical or boolean covariate."""
    strata: dict[str, Distribution] = Field(min_length=1)
    """Level name -> distribution, one per level."""


class Derived(Meta):
    """A formula of covariates listed before: male from sex; bmi = weight_kg / (height_cm/100)^2;
    weight_from_bmi = bmi * (height_cm/100)^2; ffm_janmahasatian: fat-free mass from age_y, sex
    (or male), weight_kg and bmi. Top-level covariates only."""

    type: Literal["derived"]
    """Selects this distribution: 'derived'."""
    formula: Literal["male", "bmi", "weight_from_bmi", "ffm_janmahasatian"]
    """The formula."""


#: The ``type`` of each distribution; "derived" only for a top-level covariate.
DISTRIBUTION_TYPES = (
    "normal",
    "lognormal",
    "truncated",
    "categorical",
    "bernoulli",
    "bernoulli_logit",
    "bernoulli_mixture",
    "empirical",
    "empirical_cdf",
    "stratified",
    "derived",
)

#: A distribution inside another one (a truncated base, a stratum): anything but derived.
Distribution = Annotated[
    Normal
    | Lognormal
    | Truncated
    | Categorical
    | Bernoulli
    | BernoulliLogit
    | BernoulliMixture
    | Empirical
    | EmpiricalCdf
    | Stratified,
    Field(discriminator="type"),
]
Stratified.model_rebuild()


# -- covariates and the spec --------------------------------------------------------------------


class CovariateFields(SpecModel):
    """What a covariate entry adds to its distribution."""

    name: Name
    """Column name: an identifier, unique, not 'patient'; reserved names (age_y, sex, ...) have
    a fixed kind."""
    only_if: list[Condition] | None = Field(default=None, min_length=1)
    """All conditions must hold, else the value is `otherwise`."""
    otherwise: bool | float | str | None = None
    """Value when only_if does not hold: default false for a boolean covariate, required for
    other kinds (a number, or a level name)."""
    unit: str = ""
    """Unit of a continuous covariate."""
    description: str = ""
    """What the covariate means."""


class NormalCovariate(CovariateFields, Normal):
    """A covariate with a normal distribution."""


class LognormalCovariate(CovariateFields, Lognormal):
    """A covariate with a lognormal distribution."""


class TruncatedCovariate(CovariateFields, Truncated):
    """A covariate with a truncated distribution."""


class CategoricalCovariate(CovariateFields, Categorical):
    """A covariate with a categorical distribution."""


class BernoulliCovariate(CovariateFields, Bernoulli):
    """A covariate with a bernoulli distribution."""


class BernoulliLogitCovariate(CovariateFields, BernoulliLogit):
    """A covariate with a bernoulli_logit distribution."""


class BernoulliMixtureCovariate(CovariateFields, BernoulliMixture):
    """A covariate with a bernoulli_mixture distribution."""


class EmpiricalCovariate(CovariateFields, Empirical):
    """A covariate with a empirical distribution."""


class EmpiricalCdfCovariate(CovariateFields, EmpiricalCdf):
    """A covariate with a empirical_cdf distribution."""


class StratifiedCovariate(CovariateFields, Stratified):
    """A covariate with a stratified distribution."""


class DerivedCovariate(CovariateFields, Derived):
    """A covariate with a derived distribution."""


Covariate = Annotated[
    NormalCovariate
    | LognormalCovariate
    | TruncatedCovariate
    | CategoricalCovariate
    | BernoulliCovariate
    | BernoulliLogitCovariate
    | BernoulliMixtureCovariate
    | EmpiricalCovariate
    | EmpiricalCdfCovariate
    | StratifiedCovariate
    | DerivedCovariate,
    Field(discriminator="type"),
]


class Correlation(Meta):
    """Gaussian copula between continuous covariates: the correlation matrix of the underlying
    standard normals."""

    variables: list[Name] = Field(min_length=1)
    """Covariates with a continuous distribution, each once."""
    matrix: list[list[Annotated[float, Field(ge=-1.0, le=1.0)]]]
    """Symmetric, positive definite, unit diagonal; one row per variable."""


class PopulationSpec(Meta):
    """Baseline covariates of a virtual cohort, sampled in the listed order; a covariate may
    depend only on covariates listed before it."""

    schema_: str = Field(default="", alias="$schema")
    """The JSON Schema this file follows (for editors)."""
    name: str = ""
    """Name of the population."""
    description: str = ""
    """Who the population describes."""
    version: int | str | None = None
    """Version of the spec."""
    frame: str = ""
    """The sampling frame (e.g. a trial's screening population)."""
    sources: JsonValue = None
    """Free-form bibliography (any JSON)."""
    covariates: list[Covariate] = Field(min_length=1)
    """The covariates, in sampling order."""
    correlation: Correlation | None = None
    """Gaussian copula between continuous covariates; none if omitted."""


# -- entry points -------------------------------------------------------------------------------


def loads(text: str) -> Any:
    """JSON text as Python data. NaN and Infinity literals (not JSON, but Python's json reads
    them) become float NaN/inf here, so that validation refuses them naming their JSON path."""
    try:
        return json.loads(text, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"$: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _data_path(loc: tuple[Any, ...], data: Any) -> list[Any]:
    """The part of an error location that is in the data (drops union tags such as 'normal')."""
    parts: list[Any] = []
    node = data
    for p in loc:
        inside = isinstance(node, Mapping) and p in node
        inside = inside or (isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node))
        if inside:
            parts.append(p)
            node = node[p]
    return parts


def _located(exc: ValidationError, data: Any) -> SpecError:
    """A SpecError at the JSON path of the first error. Errors raised on a whole object (an
    unknown key, a bad ``type``) point at the key; field errors keep pydantic's location."""
    err = exc.errors(include_url=False)[0]
    kind, ctx = err["type"], err.get("ctx") or {}
    path = _data_path(err["loc"], data)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("tag")
        nested = len(path) > 2  # deeper than $.covariates[i]: a base or a stratum
        where = json_path([*path, "type"])
        if kind == "union_tag_not_found":
            return SpecError(f"{where}: required field is missing")
        allowed: tuple[str, ...] = DISTRIBUTION_TYPES[:-1] if nested else DISTRIBUTION_TYPES
        if tag == "derived" and nested:
            return SpecError(f"{where}: 'derived' is allowed only for a top-level covariate")
        if path and path[-1] == "base":
            allowed = ("normal", "lognormal")
        return SpecError(
            f"{where}: unknown distribution type {tag!r}{did_you_mean(tag, allowed)}; "
            f"allowed: {', '.join(allowed)}"
        )
    message = str(spec_error(exc, data)).split(": ", 1)[1]
    if message.startswith("unknown key '"):
        path.append(message.split("'")[1])
    elif kind == "missing":
        path.append(err["loc"][-1])
    return SpecError(f"{json_path(path)}: {message}")


def _plain(data: Any) -> Any:
    """A copy with tuples as lists (strict models accept JSON arrays only)."""
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return data


def validate_population(data: Any) -> PopulationSpec:
    """A validated :class:`PopulationSpec` from JSON-like data, or :class:`SpecError` naming
    the JSON path, the problem and the allowed values."""
    if not isinstance(data, Mapping):
        raise SpecError(f"$: a population spec must be an object, got {type(data).__name__}")
    data = _plain(data)
    try:
        spec = PopulationSpec.model_validate(data)
    except ValidationError as exc:
        raise _located(exc, data) from None
    check_population(spec)
    return spec
