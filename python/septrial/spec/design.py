"""The trial design around the model: arms, allocation, measurement, solver, recruitment, power
settings and the drug-effect uncertainty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from scipy import stats

from septrial import _core
from septrial.spec.base import SpecModel, did_you_mean
from septrial.spec.dosing import ProtocolDose
from septrial.stats.priors import Mixture, beta_from_mean_interval, lognormal_sdlog

#: The engine's solver methods.
SOLVER_METHODS = tuple(_core.solver_methods())


class Arm(SpecModel):
    """A randomised arm: its own doses on top of the background."""

    name: str = Field(min_length=1)
    """Arm name (``arm`` column of the per-patient table)."""
    label: str = ""
    """Readable description of the arm's treatment."""
    doses: list[ProtocolDose] = []
    """The arm's study drug; anchored at randomisation."""
    propofol_sparing_fraction: float = Field(0.0, ge=0, le=1)
    """Fraction by which the background propofol rate is cut after randomisation."""
    params: dict[str, float] = {}
    """Model parameters set for this arm's treatment phase only."""

    @model_validator(mode="after")
    def _from_randomisation(self) -> Arm:
        for i, d in enumerate(self.doses):
            if d.anchor != "randomisation":
                raise ValueError(
                    f"doses[{i}].anchor: arm doses start at randomisation, got {d.anchor!r}; "
                    "allowed: randomisation (put doses given before it in background)"
                )
        return self


class Allocation(SpecModel):
    """Block randomisation."""

    ratio: list[Annotated[int, Field(ge=1, le=100)]] = Field([1, 1], min_length=2, max_length=2)
    """Control : treated allocation ratio."""
    block_size: int = Field(4, ge=2, le=10_000)
    """Permuted-block size, a multiple of the ratio's sum."""

    @model_validator(mode="after")
    def _blocks(self) -> Allocation:
        if self.block_size % sum(self.ratio):
            raise ValueError(
                f"block_size: must be a multiple of the ratio sum {sum(self.ratio)}, "
                f"got {self.block_size}"
            )
        return self


class Measurement(SpecModel):
    """Assay model applied to every sampled value before endpoints are computed."""

    assay_noise: bool = True
    """Add the models' residual (assay) errors."""
    lloq: dict[str, Annotated[float, Field(ge=0)]] = {}
    """Lower limit of quantification per observable; values below read as the limit."""


class Solver(SpecModel):
    """ODE solver settings."""

    method: Literal[SOLVER_METHODS] = "dopri5"  # type: ignore[valid-type]
    """``dopri5`` (explicit), ``rosenbrock4`` (stiff), ``exact`` (linear models only) or
    ``hybrid`` (linear PK in closed form feeding dopri5 on the nonlinear modules; fastest for
    composed models)."""
    rtol: float = Field(1e-6, gt=0, le=0.1)
    """Relative tolerance."""
    atol: float = Field(1e-9, gt=0, le=1)
    """Absolute tolerance."""
    max_steps: int = Field(200_000, ge=1, le=10**9)
    """Steps per patient before the solve is declared failed."""

    def engine(self) -> _core.SolverOptions:
        o = _core.SolverOptions()
        o.method = self.method
        o.rtol, o.atol, o.max_steps = self.rtol, self.atol, self.max_steps
        return o


class Recruitment(SpecModel):
    """Recruitment rate at the trial site."""

    septic_admissions_per_month: float = Field(gt=0, le=1e6)
    """Septic ICU admissions screened per month."""
    doc: str = ""
    """Source or assumption."""


class PowerSettings(SpecModel):
    """Defaults of ``septrial.power_curve``, ``power_grid`` and ``assurance`` for this scenario
    (the only place these defaults live)."""

    n_per_arm: list[Annotated[int, Field(ge=2, le=1_000_000)]] = Field([50], min_length=1)
    """Patients per arm to evaluate."""
    n_trials: int = Field(400, ge=1, le=10**7)
    """Simulated trials per sample size (pool method: split evenly over the pools)."""
    method: Literal["auto", "pool", "fresh"] = "auto"
    """``fresh``: simulate every trial anew; ``pool``: resample trials from independent pools
    of enrolled patients; ``auto``: fresh when its estimated run time fits
    ``interactive_budget_s``, pool otherwise."""
    pool_per_arm: int = Field(250, ge=2, le=10**7)
    """Patients per arm in each pool (pool method); at least the largest n per arm."""
    n_pools: int = Field(8, ge=1, le=10_000)
    """Independent pools (pool method); their spread gives the interval (>= 2 for an interval
    that covers the draw of the pools)."""
    interactive_budget_s: float = Field(120.0, gt=0)
    """Run time (s) within which ``auto`` runs the fresh method, estimated from a pilot."""


#: Probability of the central intervals a prior is given by (``interval95``).
PRIOR_LEVEL = 0.95


class _PriorBase(SpecModel):
    """What every prior distribution offers: a frozen scipy distribution (or
    :class:`~septrial.stats.priors.Mixture`) with ``pdf``, ``cdf``, ``ppf``, ``mean``,
    ``support``."""

    doc: str = ""
    """Source or assumption."""

    def frozen(self) -> Any:
        raise NotImplementedError

    @property
    def log_scale(self) -> bool:
        """Whether grid cells are cut at log-midpoints (positive, scale-like parameters)."""
        return False


def _interval(values: list[float] | None, field: str = "interval95") -> tuple[float, float]:
    lo, hi = values  # type: ignore[misc]
    if not hi > lo:
        raise ValueError(f"{field}: must be [low, high] with low < high, got {values}")
    return lo, hi


class UniformPrior(_PriorBase):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    """``uniform``."""
    low: float
    """Lower bound."""
    high: float
    """Upper bound."""

    @model_validator(mode="after")
    def _bounds(self) -> UniformPrior:
        if not self.high > self.low:
            raise ValueError(f"high: must be > low ({self.low}), got {self.high}")
        return self

    def frozen(self) -> Any:
        return stats.uniform(loc=self.low, scale=self.high - self.low)


class LogUniformPrior(UniformPrior):
    """Uniform on the log scale over [low, high], low > 0."""

    dist: Literal["loguniform"]  # type: ignore[assignment]
    """``loguniform``."""

    @model_validator(mode="after")
    def _positive(self) -> LogUniformPrior:
        if self.low <= 0:
            raise ValueError(f"low: must be > 0 for a log-uniform prior, got {self.low}")
        return self

    def frozen(self) -> Any:
        return stats.loguniform(self.low, self.high)

    @property
    def log_scale(self) -> bool:
        return True


class BetaPrior(_PriorBase):
    """Beta on (0, 1), given either by ``mean`` and ``interval95`` (fitted: the mean exactly,
    a + b by least squares on the 2.5 % and 97.5 % quantiles, :mod:`septrial.stats.priors`) or
    by the shapes ``a`` and ``b``."""

    dist: Literal["beta"]
    """``beta``."""
    mean: float | None = Field(None, gt=0, lt=1)
    """Mean (with ``interval95``)."""
    interval95: list[float] | None = Field(None, min_length=2, max_length=2)
    """Central 95 % interval [low, high] (with ``mean``), inside (0, 1) and around the mean."""
    a: float | None = Field(None, gt=0)
    """Shape a (with ``b``, instead of mean and interval)."""
    b: float | None = Field(None, gt=0)
    """Shape b (with ``a``)."""

    @model_validator(mode="after")
    def _given_once(self) -> BetaPrior:
        moments = self.mean is not None or self.interval95 is not None
        shapes = self.a is not None or self.b is not None
        if moments == shapes:
            raise ValueError(
                "dist: a beta prior takes either mean and interval95, or a and b; "
                f"got {self._given()}"
            )
        if moments:
            if self.mean is None or self.interval95 is None:
                missing = "mean" if self.mean is None else "interval95"
                raise ValueError(f"{missing}: required with {self._given()[0]}")
            lo, hi = _interval(self.interval95)
            if not 0 < lo < self.mean < hi < 1:
                raise ValueError(
                    f"interval95: must satisfy 0 < low < mean ({self.mean}) < high < 1, "
                    f"got {self.interval95}"
                )
        elif self.a is None or self.b is None:
            raise ValueError(f"{'a' if self.a is None else 'b'}: required with the other shape")
        return self

    def _given(self) -> list[str]:
        return [k for k in ("mean", "interval95", "a", "b") if getattr(self, k) is not None]

    def shapes(self) -> tuple[float, float]:
        """(a, b), fitted when given as mean and interval."""
        if self.a is not None and self.b is not None:
            return self.a, self.b
        return beta_from_mean_interval(self.mean, *self.interval95, level=PRIOR_LEVEL)  # type: ignore[arg-type,misc]

    def frozen(self) -> Any:
        return stats.beta(*self.shapes())


class LogNormalPrior(_PriorBase):
    """Log-normal, given by ``median`` and either ``interval95`` (the median exactly, sdlog by
    least squares on the log quantiles) or ``sdlog``."""

    dist: Literal["lognormal"]
    """``lognormal``."""
    median: float = Field(gt=0)
    """Median (exp of the mean of the log)."""
    interval95: list[float] | None = Field(None, min_length=2, max_length=2)
    """Central 95 % interval [low, high] around the median (or give ``sdlog``)."""
    sdlog: float | None = Field(None, gt=0)
    """Standard deviation of the natural log (or give ``interval95``)."""

    @model_validator(mode="after")
    def _spread_once(self) -> LogNormalPrior:
        if (self.interval95 is None) == (self.sdlog is None):
            raise ValueError(
                "sdlog: a log-normal prior takes one of interval95 or sdlog, "
                f"got {'both' if self.sdlog is not None else 'neither'}"
            )
        if self.interval95 is not None:
            lo, hi = _interval(self.interval95)
            if not 0 < lo < self.median < hi:
                raise ValueError(
                    f"interval95: must satisfy 0 < low < median ({self.median}) < high, "
                    f"got {self.interval95}"
                )
        return self

    def sigma(self) -> float:
        """sdlog, fitted when given as an interval."""
        if self.sdlog is not None:
            return self.sdlog
        return lognormal_sdlog(self.median, *self.interval95, level=PRIOR_LEVEL)  # type: ignore[misc]

    def frozen(self) -> Any:
        return stats.lognorm(s=self.sigma(), scale=self.median)

    @property
    def log_scale(self) -> bool:
        return True


class _Weighted(SpecModel):
    weight: float = Field(gt=0, le=1)
    """Weight of the component (the weights of a mixture sum to 1)."""
    label: str = ""
    """Name of the component (e.g. "in vivo")."""


class UniformComponent(UniformPrior, _Weighted):
    """A uniform mixture component."""


class LogUniformComponent(LogUniformPrior, _Weighted):
    """A log-uniform mixture component."""


class BetaComponent(BetaPrior, _Weighted):
    """A beta mixture component."""


class LogNormalComponent(LogNormalPrior, _Weighted):
    """A log-normal mixture component."""


MixtureComponent = Annotated[
    UniformComponent | LogUniformComponent | BetaComponent | LogNormalComponent,
    Field(discriminator="dist"),
]


class MixturePrior(_PriorBase):
    """A weighted mixture of uniform, log-uniform, beta or log-normal components."""

    dist: Literal["mixture"]
    """``mixture``."""
    components: list[MixtureComponent] = Field(min_length=1)
    """The components, each with its ``weight``; the weights sum to 1."""

    @model_validator(mode="after")
    def _weights(self) -> MixturePrior:
        total = sum(c.weight for c in self.components)
        if abs(total - 1) > 1e-9:
            weights = [c.weight for c in self.components]
            raise ValueError(f"components: the weights must sum to 1, got {total:g} ({weights})")
        return self

    def frozen(self) -> Mixture:
        return Mixture([c.weight for c in self.components], [c.frozen() for c in self.components])

    @property
    def log_scale(self) -> bool:
        return all(c.log_scale for c in self.components)

    @property
    def labels(self) -> list[str]:
        """Component names (``label``, else the position)."""
        return [c.label or str(i) for i, c in enumerate(self.components)]


PRIOR_DISTRIBUTIONS = ("uniform", "loguniform", "beta", "lognormal", "mixture")

PriorDistribution = Annotated[
    UniformPrior | LogUniformPrior | BetaPrior | LogNormalPrior | MixturePrior,
    Field(discriminator="dist"),
]
"""Prior of one assumption parameter (a union over ``dist``)."""


class Prior(SpecModel):
    """The assurance prior: independent parameter priors (each key other than ``p_null`` and
    ``doc`` is a model parameter, with its distribution) plus a point mass on no effect."""

    model_config = SpecModel.model_config | {"extra": "allow"}
    __pydantic_extra__: dict[str, PriorDistribution] = Field(init=False)  # type: ignore[assignment]
    p_null: float = Field(0.0, ge=0, le=1)
    """Prior mass on no drug effect (I_max = 0)."""
    doc: str = ""
    """Source or assumption."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data):  # other keys are parameter names, each with a distribution
        if isinstance(data, Mapping):
            for name, value in data.items():
                if name in ("p_null", "doc"):
                    continue
                if not isinstance(value, Mapping):
                    raise ValueError(
                        f"{name}: a parameter's prior is an object with 'dist' (one of "
                        f"{', '.join(PRIOR_DISTRIBUTIONS)}), got {value!r}"
                    )
                if value.get("dist") not in PRIOR_DISTRIBUTIONS:
                    raise ValueError(
                        f"{name}.dist: unknown value {value.get('dist')!r}"
                        f"{did_you_mean(value.get('dist'), PRIOR_DISTRIBUTIONS)}; "
                        f"allowed: {', '.join(PRIOR_DISTRIBUTIONS)}"
                    )
        return data

    @property
    def parameters(self) -> dict[str, Any]:
        """Parameter -> its prior distribution (a spec object with ``frozen()``)."""
        return dict(self.__pydantic_extra__ or {})


class Uncertainty(SpecModel):
    """Drug-effect assumptions nobody knows: a grid to sweep and a prior for assurance."""

    grid: dict[str, list[float]] = {}
    """Parameter -> values swept by ``power_grid``."""
    prior: Prior | None = None
    """Prior for ``assurance``."""


class RegistryRecord(SpecModel):
    """What the trial registry says."""

    id: str = ""
    """Registry identifier, e.g. NCT04843982."""
    sponsor: str = ""
    """Sponsor."""
    design: str = ""
    """Design in words."""
    planned_n: int = Field(100, ge=1)
    """Planned total enrolment."""
    source: str = ""
    """Where this record comes from."""


class FixedCovariate(SpecModel):
    """A covariate value shared by every patient of the scenario."""

    value: bool | float | str
    """The value."""
    doc: str = ""
    """Why."""
